"""CloudWatch Embedded Metric Format: metrics as one JSON log line, no API calls.

CloudWatch turns each line into the metrics below under low-cardinality dimension sets. The
monitoring module's dashboard and alarms, and `ops release`, read these exact names.

The second directive is the release signal: Requests, Errors and Latency per published version
(`AWS_LAMBDA_FUNCTION_VERSION`), stored at one-second resolution (`StorageResolution: 1`) so that a
canary can be judged on 10-second periods. Versions are few and short-lived: a version's series
stops receiving data (and costing) once it serves no traffic.
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
VERSION_DIMENSIONS = [["Service", "Version"]]
VERSION_METRICS = [
    {"Name": "Requests", "Unit": "Count", "StorageResolution": 1},
    {"Name": "Errors", "Unit": "Count", "StorageResolution": 1},
    {"Name": "Latency", "Unit": "Milliseconds", "StorageResolution": 1},
]


class Recorder:
    """Renders one EMF line per request. The constant part is serialised once, not per request."""

    def __init__(self, namespace: str, service: str, version: str) -> None:
        directive = json.dumps(
            [
                {"Namespace": namespace, "Dimensions": DIMENSIONS, "Metrics": METRICS},
                {"Namespace": namespace, "Dimensions": VERSION_DIMENSIONS, "Metrics": VERSION_METRICS},
            ]
        )
        self.head = '{"_aws":{"Timestamp":%d,"CloudWatchMetrics":' + directive.replace("%", "%%") + "}"
        self.service = json.dumps(service)
        self.version = json.dumps(version)

    def line(self, *, route: str, status: int, latency_ms: float, cold_start: bool) -> str:
        return (
            self.head % (time.time() * 1000)
            + f',"event":"metrics","level":"info","Service":{self.service},"Version":{self.version}'
            + f',"Route":{json.dumps(route)},"StatusClass":"{status // 100}xx","Requests":1'
            + f',"Errors":{int(status >= 500)},"ClientErrors":{int(400 <= status < 500)}'
            + f',"Latency":{latency_ms:.3f},"ColdStart":{int(cold_start)}}}\n'
        )
