"""The same two routes on the leanest AWS Lambda Powertools app: the HTTP API resolver and Logger only."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

logger = Logger()
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
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = app.resolve(event, context)
    logger.info("request", extra={"path": event["rawPath"], "status": response["statusCode"]})
    return response
