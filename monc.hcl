# Project settings. Everything here is optional; these are the defaults plus a few choices.

# Named values, usable as `local.<name>` in every file.
locals {
  env = "prod"
}

# The vars every tenant and cluster gives, with their types: `monc validate` checks each tenant
# against them at its own file and line (a var missing, of the wrong type, failing a validation,
# or not declared) and fills in defaults. Onboarding a tenant: add a tenant file; `monc validate`
# tells you what it lacks.
tenant_vars {
  variable "service" {
    type        = string
    description = "APM service name of the tenant's API"
  }
  variable "hostname" {
    type = string
  }
  variable "p95_latency_s" {
    type = number
    validation {
      condition     = var.p95_latency_s > 0
      error_message = "p95_latency_s is a latency in seconds, above 0."
    }
  }
  variable "error_rate_max" {
    type = number
    validation {
      condition     = var.error_rate_max > 0 && var.error_rate_max < 1
      error_message = "error_rate_max is a fraction of requests, between 0 and 1."
    }
  }
  variable "apm" {
    type        = bool
    default     = true
    description = "false for a tenant without APM: its latency monitors are not created"
  }
}

cluster_vars {
  variable "alb" {
    type = string
  }
  variable "db" {
    type = string
  }
  variable "ecs" {
    type = string
  }
}

# Tiers, most fundamental first. A monitor may only be suppressed by a strictly lower tier.
tiers = ["L0", "L2", "L3"]

# Every monitor monc creates carries this tag; monitors without it are never touched.
owner_tag = "managed-by:monc"

# Added to every monitor.
default_tags = ["team:sre", "env:${local.env}"]

# Who is paged by platform-wide (single) monitors that set no `notify` of their own.
notify = ["@pagerduty-platform"]

site = "datadoghq.com"
