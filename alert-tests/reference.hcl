# Alert tests for the reference setup: which notifications fire when these monitors alert.
# Run with `monc test`; every monitor not named is OK. See README "monc test".

scenario "an L3-only failure pages the tenant" {
  alert = ["l3/login_check/acme"]
  page "l3/login_check/acme/composite" {
    notify = ["@slack-acme-oncall", "@pagerduty-acme"]
  }
}

scenario "an API's errors and latency page once" {
  alert = ["l3/api_error_rate/acme", "l3/api_latency_p95/acme"]
  page "l3/api/acme" {
    notify = ["@slack-acme-oncall", "@pagerduty-acme"]
  }
}

scenario "one slow endpoint pages for that group only" {
  group "resource_name:/checkout" {
    alert = [monitor.api_latency_p95["globex"]]
  }
  page "l3/api/globex" {
    groups = ["resource_name:/checkout"]
    notify = ["@slack-globex-oncall"]
  }
}

scenario "an L2 outage pages once and silences the cluster's tenants" {
  alert = [
    monitor.alb_5xx["prod-tokyo-1"],
    "l3/api_error_rate/acme", "l3/login_check/acme",
    "l3/api_error_rate/globex", "l3/login_check/globex",
  ]
  page "l2/alb_5xx/prod-tokyo-1/composite" {
    notify = ["@pagerduty-infra-apac"]
  }
}

scenario "an L2 outage leaves the other cluster's tenants paging" {
  alert = [monitor.db_cpu["prod-tokyo-1"], "l3/api_latency_p95/acme", "l3/api_latency_p95/initech"]
  page "l2/db_cpu/prod-tokyo-1/composite" {}
  page "l3/api/initech" {
    notify = ["@slack-initech-oncall", "@opsgenie-initech"]
  }
}

scenario "an L0 region problem silences L2 and L3" {
  alert = [
    monitor.region_health,
    monitor.alb_5xx["prod-osaka-1"], monitor.ecs_cpu["prod-tokyo-1"],
    "l3/api_error_rate/umbrella", "l3/login_check/initech", "l3/api_latency_p95/acme",
  ]
  page "l0/region_health" {
    notify = ["@pagerduty-platform"]
  }
}

scenario "a suppressor in No Data silences the target, and nobody is told" {
  # Datadog: !NoData is No Data, so `l3 && !l2 && !l0` is No Data and does not page.
  alert   = ["l3/api_error_rate/acme"]
  no_data = [monitor.ecs_cpu["prod-tokyo-1"]]
}

scenario "the heartbeat's No Data pages the platform instead" {
  alert   = [monitor.db_cpu["prod-osaka-1"]]
  no_data = [monitor.pipeline_heartbeat]
  page "l0/pipeline_heartbeat" {
    notify = ["@pagerduty-platform"]
  }
}
