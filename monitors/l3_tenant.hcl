# L3: per-tenant service alerts, stamped out for every tenant. Each pages the tenant's on-call
# only through a composite that is silent while the cluster (L2) or platform (L0) is alerting;
# the API's two signals share one (`page "api"` below).

monitor "api_error_rate" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API error rate high"
  type     = "query alert"
  query    = "sum(last_5m):sum:trace.http.request.errors{service:${tenant.vars.service},env:${local.env}}.as_count() / sum:trace.http.request.hits{service:${tenant.vars.service},env:${local.env}}.as_count() > ${tenant.vars.error_rate_max}"
  message = <<-EOT
    {{#is_alert}}The error rate of ${tenant.vars.service} is {{value}} (limit ${tenant.vars.error_rate_max}).{{/is_alert}}
    Dashboard: https://app.datadoghq.com/apm/services/${tenant.vars.service}
  EOT
  tags     = ["service:${tenant.vars.service}"]
  options  = { require_full_window = false, renotify_interval = 60 }
  priority = 2
  suppressed_by = [
    monitor.alb_5xx[tenant.cluster],
    monitor.ecs_cpu[tenant.cluster],
    monitor.region_health,
  ]
}

monitor "api_latency_p95" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API p95 latency"
  type     = "query alert"
  query    = "avg(last_15m):p95:trace.http.request{service:${tenant.vars.service},env:${local.env}} by {resource_name} > ${tenant.vars.p95_latency_s}"
  message = <<-EOT
    p95 latency of {{resource_name.name}} on ${tenant.vars.service} is {{value}}s (limit ${tenant.vars.p95_latency_s}s).
  EOT
  tags     = ["service:${tenant.vars.service}"]
  priority = 3
  # A tenant without APM tracing sets `apm = false` in its vars: no latency monitor for it.
  enabled = lookup(tenant.vars, "apm", true)
  suppressed_by = [
    monitor.db_cpu[tenant.cluster],
    monitor.ecs_cpu[tenant.cluster],
    monitor.region_health,
  ]
}

# One page per tenant for its API: errors or latency page the tenant's on-call once, silenced
# while anything either of them is suppressed by (load balancer, database, containers, region)
# is alerting. The two monitors above page only through it.
page "api" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API degraded"
  message = <<-EOT
    Errors or p95 latency of ${tenant.vars.service} are above the tenant's limits.
    Dashboard: https://app.datadoghq.com/apm/services/${tenant.vars.service}
  EOT
  priority = 2
  monitors = [monitor.api_error_rate[tenant.name], monitor.api_latency_p95[tenant.name]]
}

monitor "login_check" {
  tier       = "L3"
  for_each   = tenants
  name       = "[${tenant.name}] Login page unreachable"
  type       = "service check"
  query      = "\"http.can_connect\".over(\"url:https://${tenant.vars.hostname}/login\").by(\"instance\").last(3).count_by_status()"
  message    = "https://${tenant.vars.hostname}/login has failed three checks in a row."
  thresholds = { critical = 2, warning = 1, ok = 1 }
  tags       = ["service:${tenant.vars.service}"]
  priority   = 1
  suppressed_by = [
    monitor.alb_5xx[tenant.cluster],
    monitor.region_health,
  ]
}
