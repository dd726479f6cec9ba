# Mistake: no timeout_h / no-data handling on a suppressor.
monitor "region_health" {
  tier  = "L0"
  name  = "[platform] Region network degraded"
  type  = "metric alert"
  query = "avg(last_5m):avg:network.tcp.retrans_pct{env:prod} > 5"
}

# Mistake: grouped by host, but the L3 monitors it suppresses group by resource_name.
monitor "db_cpu" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Database CPU saturated"
  type     = "metric alert"
  query    = "avg(last_10m):avg:aws.rds.cpuutilization{dbinstanceidentifier:${cluster.vars.db}} by {host} > 90"
  options  = { timeout_h = 1, evaluation_delay = 900 }
  suppressed_by = [monitor.region_health]
}

monitor "api_latency_p95" {
  tier     = "L3"
  for_each = tenants
  name     = "[${tenant.name}] API p95 latency"
  type     = "query alert"
  query    = "avg(last_15m):p95:trace.http.request{service:${tenant.vars.service}} by {resource_name} > 0.8"
  options  = { timeout_h = 1 }
  suppressed_by = [monitor.db_cpu[tenant.cluster], monitor.region_health]
}

# Mistake: an L2 monitor silenced by an L3 one, the wrong way round.
monitor "db_connections" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Database connections exhausted"
  type     = "metric alert"
  query    = "max(last_5m):max:aws.rds.database_connections{dbinstanceidentifier:${cluster.vars.db}} > 900"
  options  = { timeout_h = 1, evaluation_delay = 900 }
  suppressed_by = [monitor.api_latency_p95["initech"]]
}
