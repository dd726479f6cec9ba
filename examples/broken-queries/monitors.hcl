# Mistake: the threshold in `thresholds` does not match the query, and warning is above critical.
monitor "api_latency_p95" {
  tier       = "L3"
  for_each   = tenants
  name       = "[${tenant.name}] API p95 latency"
  type       = "query alert"
  query      = "avg(last_15m):p95:trace.http.request{service:${tenant.vars.service}} by {resource_name} > ${tenant.vars.p95_latency_s}"
  thresholds = { critical = 1.0, warning = 1.5 }
  # Mistake: host is not a group-by tag of the query.
  message    = "p95 of {{resource_name.name}} on {{host.name}} is {{value}}s"
}

# Mistake: a missing closing brace in the scope.
monitor "api_errors" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API errors"
  type     = "query alert"
  query    = "sum(last_5m):sum:trace.http.request.errors{service:${tenant.vars.service}.as_count() > 100"
}
