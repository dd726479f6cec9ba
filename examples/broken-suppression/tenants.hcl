cluster "prod-osaka-1" {
  vars = { db = "prod-osaka-1-pg" }
}

tenant "initech" {
  cluster = "prod-osaka-1"
  notify  = ["@slack-initech-oncall"]
  vars    = { service = "initech-api" }
}
