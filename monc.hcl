# Project settings. Everything here is optional; these are the defaults plus a few choices.

# Named values, usable as `local.<name>` in every file.
locals {
  env = "prod"
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
