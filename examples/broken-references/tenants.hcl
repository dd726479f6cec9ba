cluster "prod-tokyo-1" {
  vars = { alb = "app/prod-tokyo-1-alb/4f2a9c7e1b3d" }
}

tenant "acme" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-acme-oncall"]
  vars    = { service = "acme-api" }
}

# Mistake: the cluster is called prod-tokyo-1.
tenant "globex" {
  cluster = "prod-tokio-1"
  notify  = ["@slack-globex-oncall"]
  vars    = { service = "globex-api" }
}
