# L2: shared infrastructure, one monitor per cluster. Silenced by platform problems.
# CloudWatch metrics (aws.*) arrive minutes late: `evaluation_delay = 900` evaluates each window
# as of 15 minutes ago, so a window is never judged before its data is in.

monitor "alb_5xx" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Load balancer 5xx"
  type     = "metric alert"
  query    = "sum(last_5m):sum:aws.applicationelb.httpcode_elb_5xx{loadbalancer:${cluster.vars.alb}}.as_count() > 50"
  message = <<-EOT
    The load balancer of ${cluster.name} (${cluster.region}) returns 5xx.
    Tenants on this cluster: ${join(", ", cluster.tenants)}.
  EOT
  thresholds    = { critical = 50, warning = 20 }
  options       = { timeout_h = 1, evaluation_delay = 900 }
  priority      = 2
  suppressed_by = [monitor.region_health, monitor.pipeline_heartbeat]
}

monitor "db_cpu" {
  tier     = "L2"
  for_each = clusters
  name     = "[${cluster.name}] Database CPU saturated"
  type     = "metric alert"
  query    = "avg(last_10m):avg:aws.rds.cpuutilization{dbinstanceidentifier:${cluster.vars.db}} > 90"
  message = <<-EOT
    Database ${cluster.vars.db} is at {{value}}% CPU.
    Tenants on this cluster: ${join(", ", cluster.tenants)}.
  EOT
  thresholds    = { critical = 90, warning = 80 }
  options       = { timeout_h = 1, evaluation_delay = 900 }
  priority      = 2
  suppressed_by = [monitor.region_health, monitor.pipeline_heartbeat]
}

monitor "ecs_cpu" {
  tier          = "L2"
  for_each      = clusters
  name          = "[${cluster.name}] Container service out of CPU"
  type          = "metric alert"
  query         = "avg(last_10m):avg:ecs.fargate.cpu.percent{ecs_cluster:${cluster.vars.ecs}} > 85"
  message       = "Containers of ${cluster.name} are at {{value}}% CPU; scale the service or find the noisy tenant."
  options       = { timeout_h = 1 }
  priority      = 3
  suppressed_by = [monitor.region_health, monitor.pipeline_heartbeat]
}
