# monc project settings. Every line is optional; these are the defaults plus a few choices.
# `monc validate` checks the whole project; `monc diff --org local` plans against a local
# emulated org; `monc --help` lists every command.

# This project's name. monc records it on every monitor it writes (`monc-project:<name>`) and
# only ever changes or deletes monitors that record it, so several projects can share an org.
project = "PROJECT_NAME"

# Tiers, most fundamental first. A monitor may only be suppressed by a strictly lower tier:
# L0 platform-wide, L2 shared infrastructure (a cluster, a database), L3 one tenant.
tiers = ["L0", "L2", "L3"]

# Every monitor monc creates carries this tag; monc never touches a monitor without it.
owner_tag = "managed-by:monc"

# Added to every monitor.
default_tags = ["team:sre"]

# Who is paged by platform-wide monitors that set no `notify` of their own.
notify = ["@pagerduty-platform"]
