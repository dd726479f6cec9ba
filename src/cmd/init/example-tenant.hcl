# One tenant: a customer with its own copy of every `for_each = tenants` monitor.
# Add a tenant by copying this file; `notify` is who its alerts page.

tenant "example" {
  cluster = "prod-eu-1"
  notify  = ["@slack-example-oncall"]
  vars = {
    service = "example-api"
  }
}
