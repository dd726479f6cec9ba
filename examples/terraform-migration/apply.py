#!/usr/bin/env python3
"""What `terraform apply` did for the states beside this script, replayed on the local emulator.

    python3 examples/terraform-migration/apply.py http://127.0.0.1:8787 states

creates each `datadog_monitor` of TEAM/terraform.tfstate in the org at the URL (as the Datadog
provider sends it: the flat option attributes, thresholds as numbers) and writes the state, with
the id the org gave, to states/TEAM/terraform.tfstate. The ids in the examples are made up, so
an org must hold the monitors before `monc import --from states --adopt` can adopt them. Only a
loopback URL is accepted: the keys (DD_API_KEY, DD_APP_KEY) go to the emulator, nowhere else.
"""

import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
# No proxy (http_proxy in the environment) ever sees the keys: the emulator is on loopback.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Options the provider sends as they are; an absent one is stored as 0 or "" in the state.
OPTIONS = ["notify_no_data", "require_full_window", "include_tags", "notify_audit", "locked",
           "new_host_delay", "new_group_delay", "evaluation_delay", "no_data_timeframe",
           "renotify_interval", "timeout_h", "escalation_message"]


def monitor(attributes):
    """The API body of a monitor from its state attributes."""
    options = {k: attributes[k] for k in OPTIONS
               if attributes.get(k) not in (None, "", 0) or k == "new_host_delay"}
    for thresholds in attributes.get("monitor_thresholds") or []:
        options["thresholds"] = {k: float(v) for k, v in thresholds.items() if v != ""}
    body = {k: attributes[k] for k in ["name", "type", "query", "message", "tags"]}
    if attributes.get("priority") not in (None, ""):
        body["priority"] = int(attributes["priority"])
    body["options"] = options
    return body


def create(url, body):
    request = urllib.request.Request(
        url + "/api/v1/monitor", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "DD-API-KEY": os.environ["DD_API_KEY"],
                 "DD-APPLICATION-KEY": os.environ["DD_APP_KEY"]})
    for attempt in range(50):  # the emulator may still be starting (as curl --retry-connrefused)
        try:
            with DIRECT.open(request, timeout=10) as answer:
                return json.load(answer)["id"]
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError) or attempt == 49:
                raise
            time.sleep(0.2)


def main(url, out):
    if urllib.parse.urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"apply.py: {url} is not the local emulator (a loopback URL)")
    for path in sorted(HERE.glob("*/terraform.tfstate")):
        state = json.loads(path.read_text())
        for resource in state["resources"]:
            if resource["type"] != "datadog_monitor":
                continue
            for instance in resource["instances"]:
                attributes = instance["attributes"]
                attributes["id"] = str(create(url, monitor(attributes)))
        target = pathlib.Path(out) / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(state, indent=2) + "\n")
        print(f"{path.parent.name}: created its monitors, wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: apply.py URL OUT_DIR")
    main(sys.argv[1].rstrip("/"), sys.argv[2])
