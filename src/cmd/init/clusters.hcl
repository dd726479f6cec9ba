# Shared infrastructure. Each `cluster` stamps out one copy of every `for_each = clusters`
# monitor; `vars` are what its templates may read as `cluster.vars.<name>`.

cluster "prod-eu-1" {
  notify = ["@pagerduty-infra"]
  vars = {
    region = "eu-west-1"
  }
}
