"""CloudWatch Embedded Metric Format: metrics as one JSON log line, no API calls.

CloudWatch turns each line into the metrics below under three low-cardinality dimension sets.
The monitoring module's dashboard and alarms read these exact names.
"""

from __future__ import annotations

import json
import time

DIMENSIONS = [["Service"], ["Service", "Route"], ["Service", "StatusClass"]]
METRICS = [
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "ClientErrors", "Unit": "Count"},
    {"Name": "Latency", "Unit": "Milliseconds"},
    {"Name": "ColdStart", "Unit": "Count"},
]


class Recorder:
    """Renders one EMF line per request. The constant part is serialised once, not per request."""

    def __init__(self, namespace: str, service: str) -> None:
        directive = json.dumps([{"Namespace": namespace, "Dimensions": DIMENSIONS, "Metrics": METRICS}])
        self.head = '{"_aws":{"Timestamp":%d,"CloudWatchMetrics":' + directive.replace("%", "%%") + "}"
        self.service = json.dumps(service)

    def line(self, *, route: str, status: int, latency_ms: float, cold_start: bool) -> str:
        return (
            self.head % (time.time() * 1000)
            + f',"event":"metrics","level":"info","Service":{self.service},"Route":{json.dumps(route)}'
            + f',"StatusClass":"{status // 100}xx","Requests":1,"Errors":{int(status >= 500)}'
            + f',"ClientErrors":{int(400 <= status < 500)},"Latency":{latency_ms:.3f}'
            + f',"ColdStart":{int(cold_start)}}}\n'
        )
