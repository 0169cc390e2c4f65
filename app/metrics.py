"""CloudWatch Embedded Metric Format: metrics as one JSON log line, no API calls.

CloudWatch turns each record into the metrics below under three low-cardinality dimension sets.
The monitoring module's dashboard and alarms read these exact names.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

DIMENSIONS = [["Service"], ["Service", "Route"], ["Service", "StatusClass"]]
METRICS = [
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "ClientErrors", "Unit": "Count"},
    {"Name": "Latency", "Unit": "Milliseconds"},
    {"Name": "ColdStart", "Unit": "Count"},
]


def record(
    *, namespace: str, service: str, route: str, status: int, latency_ms: float, cold_start: bool
) -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": DIMENSIONS, "Metrics": METRICS}],
        },
        "event": "metrics",
        "level": "info",
        "Service": service,
        "Route": route,
        "StatusClass": f"{status // 100}xx",
        "Requests": 1,
        "Errors": int(status >= 500),
        "ClientErrors": int(400 <= status < 500),
        "Latency": round(latency_ms, 3),
        "ColdStart": int(cold_start),
    }


def emit(entry: dict[str, Any], stream: TextIO | None = None) -> None:
    # Written directly, not through the logger: LOG_LEVEL must not switch metrics off.
    (stream or sys.stdout).write(json.dumps(entry, separators=(",", ":")) + "\n")
