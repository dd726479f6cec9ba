monitor "region_health" {
  tier    = "L0"
  name    = "[platform] Region network degraded"
  type    = "metric alert"
  query   = "avg(last_5m):avg:network.tcp.retrans_pct{env:prod} > 5"
  options = { timeout_h = 1 }
}

monitor "alb_5xx" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Load balancer 5xx"
  type     = "metric alert"
  query    = "sum(last_5m):sum:aws.applicationelb.httpcode_elb_5xx{loadbalancer:${cluster.vars.alb}}.as_count() > 50"
  options  = { timeout_h = 1, evaluation_delay = 900 }
  # Mistake: misspelt monitor name.
  suppressed_by = [monitor.region_helth]
}

monitor "api_error_rate" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API error rate high"
  type     = "query alert"
  query    = "sum(last_5m):sum:trace.http.request.errors{service:${tenant.vars.service}}.as_count() > 100"
  # Mistake: alb_5xx exists once per cluster; which one?
  suppressed_by = [monitor.alb_5xx, monitor.region_health]
}
