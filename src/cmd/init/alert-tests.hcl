# Alert tests: which notifications fire when some monitors alert. Run them with `monc test`.
# A monitor not named in a scenario is OK.

scenario "a tenant's own failure pages the tenant" {
  alert = [monitor.api_errors["example"]]
  page "l3/api_errors/example/composite" {
    notify = ["@slack-example-oncall"]
  }
}

scenario "a database outage pages the infrastructure team once" {
  alert = [monitor.db_cpu["prod-eu-1"], monitor.api_errors["example"]]
  page "l2/db_cpu/prod-eu-1/composite" {
    notify = ["@pagerduty-infra"]
  }
}
