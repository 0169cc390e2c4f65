"""Runs in a fresh `python -I` that has every development package installed (uvicorn, httpx, rich...):
imports the Lambda entry point as the runtime does, invokes it with each event, and reports which
modules ran. argv: REPO EVENTS_JSON OUTPUT_JSON. Imports nothing of the repository but `app`.
"""

import importlib.util
import json
import sys
import types

repo, events_file, output_file = sys.argv[1:4]
sys.path.insert(0, repo)

import app.handler  # noqa: E402 - after the path is set, as the runtime imports it

# isort: split
import structlog  # noqa: E402 - imported by the handler already: only read here


def executed() -> list[str]:
    return sorted(sys.modules)


after_import = executed()
with open(events_file) as stream:
    events = json.load(stream)
statuses = []
for number, event in enumerate(events):
    context = types.SimpleNamespace(
        aws_request_id=f"probe-{number}", get_remaining_time_in_millis=lambda: 30_000
    )
    statuses.append(app.handler.handler(event, context)["statusCode"])

with open(output_file, "w") as stream:
    json.dump(
        {
            "after_import": after_import,
            "after_requests": executed(),
            "statuses": statuses,
            "processors": [
                type(p).__module__ + "." + type(p).__qualname__ for p in structlog.get_config()["processors"]
            ],
            "installed": {name: importlib.util.find_spec(name) is not None for name in ("uvicorn", "httpx")},
        },
        stream,
    )
