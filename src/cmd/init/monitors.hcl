# Monitor templates, one tier each. `suppressed_by` lists the lower-tier monitors whose alert
# explains this one: monc then pages through a composite `this && !those`, so a shared outage
# pages once instead of once per tenant.
#
# A suppressor whose data stops would keep what it suppresses silent: `timeout_h` resolves it
# after an hour without data. Cloud metrics (aws.*) arrive minutes late: `evaluation_delay`
# judges each window only once its data is in.

monitor "region_health" {
  tier    = "L0"
  name    = "[platform] Region network degraded"
  type    = "metric alert"
  query   = "avg(last_5m):avg:network.tcp.retrans_pct{*} > 5"
  message = "TCP retransmissions are above {{threshold}}%."
  options = { timeout_h = 1 }
}

monitor "db_cpu" {
  tier          = "L2"
  for_each      = clusters
  name          = "[${cluster.name}] Database CPU high"
  type          = "metric alert"
  query         = "avg(last_10m):avg:aws.rds.cpuutilization{region:${cluster.vars.region}} > 90"
  message       = "The shared database of ${cluster.name} is saturated."
  options       = { timeout_h = 1, evaluation_delay = 900 }
  suppressed_by = [monitor.region_health]
}

monitor "api_errors" {
  tier          = "L3"
  for_each      = tenants
  name          = "[${tenant.name}] API error rate high"
  type          = "metric alert"
  query         = "avg(last_5m):avg:trace.http.request.errors{service:${tenant.vars.service}} > 10"
  message       = "Errors on ${tenant.vars.service} are above {{threshold}} per second."
  suppressed_by = [monitor.db_cpu[tenant.cluster], monitor.region_health]
}
