"""The lean Powertools app (powertools_lean_app.py: the same two routes and access log) with the
Metrics utility (EMF) on top, as this app writes metrics: one request count per invocation."""

from typing import Any

# A top-level module beside this one in the task root, as the runtime imports both; mypy knows the
# file as bench.apps.powertools_lean_app (checked there).
import powertools_lean_app  # type: ignore[import-not-found]
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = powertools_lean_app.handler(event, context)
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    return response
