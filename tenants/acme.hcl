tenant "acme" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-acme-oncall", "@pagerduty-acme"]
  vars = {
    service        = "acme-api"
    hostname       = "acme.example-saas.com"
    p95_latency_s  = 0.8
    error_rate_max = 0.05
  }
}
