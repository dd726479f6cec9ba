tenant "initech" {
  cluster = "prod-osaka-1"
  notify  = ["@slack-initech-oncall", "@opsgenie-initech"]
  vars = {
    service        = "initech-api"
    hostname       = "initech.example-saas.com"
    p95_latency_s  = 0.5
    error_rate_max = 0.05
  }
}
