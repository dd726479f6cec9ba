# Shared infrastructure. Each cluster has its own load balancer, database and container service;
# many tenants run on one cluster. L2 monitors are stamped out once per cluster.

cluster "prod-tokyo-1" {
  region = "ap-northeast-1"
  notify = ["@pagerduty-infra-apac"]
  vars = {
    alb = "app/prod-tokyo-1-alb/4f2a9c7e1b3d"
    db  = "prod-tokyo-1-pg"
    ecs = "prod-tokyo-1"
  }
}

cluster "prod-osaka-1" {
  region = "ap-northeast-3"
  notify = ["@pagerduty-infra-apac"]
  vars = {
    alb = "app/prod-osaka-1-alb/91c0d2e4a8f6"
    db  = "prod-osaka-1-pg"
    ecs = "prod-osaka-1"
  }
}
