"""The lean Powertools app (powertools_lean_app.py: the same two routes and access log) with the
Metrics utility (EMF) on top, as this app writes metrics: one request count per invocation."""

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

import powertools_lean_app

metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = powertools_lean_app.handler(event, context)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    return response
