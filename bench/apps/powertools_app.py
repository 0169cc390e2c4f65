"""The same two routes on AWS Lambda Powertools with its Metrics utility (EMF), as this app writes metrics."""

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver()


@app.get("/hello")
def hello() -> dict[str, str]:
    name = app.current_event.get_query_string_value("name", "World")
    return {"message": f"Hello, {name}!"}


@app.post("/echo")
def echo() -> Response[str]:
    return Response(
        status_code=200, content_type="application/json", body=json.dumps(app.current_event.json_body)
    )


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = app.resolve(event, context)
    logger.info("request", extra={"path": event["rawPath"], "status": response["statusCode"]})
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    return response
