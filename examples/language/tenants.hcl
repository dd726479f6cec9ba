# Tenant vars, declared once as Terraform declares variables: every tenant is checked against
# this at its own file and line (`monc validate` says what a tenant lacks), and defaults are
# filled in. A var not declared here still works (with a warning).
tenant_vars {
  variable "service" {
    type        = string
    description = "The APM service name of the tenant's API."
  }
  variable "error_rate_max" {
    type    = number
    default = 0.05
    validation {
      condition     = var.error_rate_max > 0 && var.error_rate_max < 1
      error_message = "error_rate_max is a fraction of requests, between 0 and 1."
    }
  }
  variable "apm" {
    type = object({
        enabled = bool
        p95_s   = optional(number, 1)
      })
    default = { enabled = false }
  }
}

cluster "prod-tokyo-1" {
  region = "ap-northeast-1"
  notify = ["@pagerduty-infra-apac"]
}

tenant "acme" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-acme-oncall"]
  vars = {
    service        = "acme-api"
    error_rate_max = "0.02" # a number in a string: converted, as Terraform converts it
    apm            = { enabled = true, p95_s = 0.8 }
  }
}

tenant "globex" {
  cluster = "prod-tokyo-1"
  notify  = ["@slack-globex-oncall"]
  vars = {
    service = "globex-api" # error_rate_max 0.05 and apm off, from the defaults
  }
}
