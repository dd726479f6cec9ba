cluster "prod-tokyo-1" {}

tenant "acme" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-acme-oncall"]
  vars    = { service = "acme-api", p95_latency_s = 0.8 }
}
