tenant "umbrella" {
  cluster = "prod-osaka-1"
  notify  = ["@slack-umbrella-oncall"]
  vars = {
    service        = "umbrella-api"
    hostname       = "umbrella.example-saas.com"
    p95_latency_s  = 1.0
    error_rate_max = 0.03
  }
}
