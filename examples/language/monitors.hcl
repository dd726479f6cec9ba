# `for_each` over any map or set of strings, as in Terraform: one monitor per key, with
# `each.key` (part of the monitor's key: `l2/cpu/steal`) and `each.value`.
locals {
  cpu_states = {
    steal  = { above = 10, role = "db" }
    iowait = { above = 30, role = "db" }
  }
}

monitor "cpu" {
  tier     = "L2"
  for_each = local.cpu_states
  name     = "[db] CPU ${each.key} above ${each.value.above}%"
  type     = "metric alert"
  query    = "avg(last_10m):avg:system.cpu.${each.key}{role:${each.value.role}} > ${each.value.above}"
  options  = { timeout_h = 1, notify_no_data = true, no_data_timeframe = 20 }
  notify   = ["@pagerduty-infra-apac"]
}

monitor "errors" {
  tier          = "L3"
  for_each      = tenants
  name          = "[${tenant.name}] API error rate"
  type          = "query alert"
  query         = "sum(last_10m):sum:trace.http.request.errors{service:${tenant.vars.service}}.as_count() / sum:trace.http.request.hits{service:${tenant.vars.service}}.as_count() > ${tenant.vars.error_rate_max}"
  suppressed_by = [monitor.cpu["steal"]]
}

# Only the tenants with APM: a map built with a `for` expression over `tenants`.
monitor "latency" {
  tier          = "L3"
  for_each      = { for t in tenants : t.name => t if t.vars.apm.enabled }
  name          = "[${each.key}] API p95 latency"
  type          = "query alert"
  query         = "avg(last_15m):p95:trace.http.request{service:${each.value.vars.service}} > ${each.value.vars.apm.p95_s}"
  notify        = each.value.notify
  suppressed_by = [monitor.cpu["steal"], monitor.cpu["iowait"]]
}
