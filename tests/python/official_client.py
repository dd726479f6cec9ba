"""Drive the monc emulator with Datadog's official Python client (datadog-api-client).

Usage: official_client.py BASE_URL
Exit 0 when every call behaved like Datadog; 3 when the package is missing; 1 otherwise.
"""

import sys

try:
    from datadog_api_client import ApiClient, Configuration
    from datadog_api_client.exceptions import ApiException
    from datadog_api_client.v1.api.monitors_api import MonitorsApi
    from datadog_api_client.v1.model.monitor import Monitor
    from datadog_api_client.v1.model.monitor_options import MonitorOptions
    from datadog_api_client.v1.model.monitor_thresholds import MonitorThresholds
    from datadog_api_client.v1.model.monitor_type import MonitorType
    from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest
except ImportError as error:
    print(f"datadog-api-client is not installed ({error}); run scripts/test.sh", file=sys.stderr)
    sys.exit(3)

TAG = "managed-by:python-check"


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def metric_monitor(name):
    return Monitor(
        name=name,
        type=MonitorType("metric alert"),
        query="avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        message="CPU high @slack-ops\n",
        tags=[TAG, "team:core"],
        options=MonitorOptions(thresholds=MonitorThresholds(critical=90.0, warning=80.0)),
        priority=3,
    )


def run(api):
    api.validate_monitor(body=metric_monitor("python l3"))
    l3 = api.create_monitor(body=metric_monitor("python l3"))
    l2 = api.create_monitor(body=metric_monitor("python l2"))
    check(l3.id and l2.id and l3.id != l2.id, "ids assigned")
    check(str(l3.type) == "metric alert", f"metric alert kept as sent (recorded), got {l3.type}")
    check(l3.message == "CPU high @slack-ops", "message trimmed")
    check(l3.options.notify_no_data is False and l3.options.new_host_delay == 300, "defaults filled")

    fetched = api.get_monitor(l3.id)
    check(fetched.name == "python l3", "get returns the monitor")

    page = api.list_monitors(monitor_tags=TAG, page=0, page_size=1)
    check(len(page) == 1, f"page_size honoured, got {len(page)}")
    everything = api.list_monitors(monitor_tags=TAG)
    check({m.id for m in everything} == {l3.id, l2.id}, "monitor_tags filter")

    updated = api.update_monitor(l3.id, body=MonitorUpdateRequest(name="python l3 renamed"))
    check(updated.name == "python l3 renamed", "update applied")
    api.validate_existing_monitor(l3.id, body=metric_monitor("python l3 renamed"))

    composite = api.create_monitor(
        body=Monitor(
            name="python suppressed l3",
            type=MonitorType("composite"),
            query=f"{l3.id} && !{l2.id}",
            message="page the tenant",
            tags=[TAG],
        )
    )
    check(str(composite.type) == "composite", "composite created")

    try:
        api.delete_monitor(l2.id)
        raise AssertionError("deleting a monitor a composite references must fail")
    except ApiException as error:
        check(error.status == 400, f"expected 400, got {error.status}")
        check("python suppressed l3" in str(error.body), "refusal names the composite")

    try:
        api.get_monitor(999999999)
        raise AssertionError("unknown id must 404")
    except ApiException as error:
        check(error.status == 404 and "Monitor not found" in str(error.body), "404 body")

    api.delete_monitor(composite.id)
    api.delete_monitor(l2.id)
    api.delete_monitor(l3.id, force="true")
    check(api.list_monitors(monitor_tags=TAG) == [], "all deleted")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    configuration = Configuration(host=sys.argv[1])
    configuration.api_key["apiKeyAuth"] = "python-api-key"
    configuration.api_key["appKeyAuth"] = "python-app-key"
    configuration.retry_on_errors = False
    with ApiClient(configuration) as client:
        try:
            run(MonitorsApi(client))
        except (AssertionError, ApiException) as error:
            print(f"FAILED: {error}", file=sys.stderr)
            sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
