tenant "globex" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-globex-oncall"]
  vars = {
    service        = "globex-api"
    hostname       = "globex.example-saas.com"
    p95_latency_s  = 1.2
    error_rate_max = 0.02
  }
}
