# L0: platform-wide. When one of these fires, everything above it is noise.

monitor "pipeline_heartbeat" {
  tier  = "L0"
  name  = "[platform] Monitoring pipeline heartbeat missing"
  type  = "metric alert"
  query = "sum(last_10m):sum:monc.pipeline.heartbeat{env:${local.env}}.as_count() < 1"
  message = <<-EOT
    The monitoring pipeline has stopped reporting its heartbeat.
    Every other alert may be stale or missing until it recovers.
    Runbook: https://runbooks.example-saas.com/platform/pipeline
  EOT
  options = {
    notify_no_data    = true
    no_data_timeframe = 20
  }
  priority = 1
}

monitor "region_health" {
  tier  = "L0"
  name  = "[platform] Region network degraded"
  type  = "metric alert"
  query = "avg(last_5m):avg:network.tcp.retrans_pct{env:${local.env}} > 5"
  message = <<-EOT
    TCP retransmissions across the region are above {{threshold}}% (now {{value}}%).
    Runbook: https://runbooks.example-saas.com/platform/network
  EOT
  thresholds = { critical = 5, warning = 3 }
  options = {
    timeout_h           = 1
    require_full_window = false
  }
  priority = 1
}
