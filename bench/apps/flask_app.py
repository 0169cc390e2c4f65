"""The same two routes on Flask + serverless-wsgi: a comparison point."""

import json
import sys
import time
from typing import Any

import serverless_wsgi  # type: ignore[import-untyped]  # serverless-wsgi ships no type information
from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.get("/hello")
def hello() -> Response:
    return jsonify(message=f"Hello, {request.args.get('name', 'World')}!")


@app.post("/echo")
def echo() -> Response:
    return app.response_class(request.get_data(), mimetype="application/json")


@app.after_request
def access_log(response: Response) -> Response:
    # One JSON access line and one EMF record, as the other two apps write.
    line = {"event": "request", "path": request.path, "status": response.status_code}
    sys.stdout.write(json.dumps(line) + "\n")
    emf = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": "Bench", "Dimensions": [[]], "Metrics": [{"Name": "Requests"}]}
            ],
        },
        "Requests": 1,
    }
    sys.stdout.write(json.dumps(emf) + "\n")
    return response


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result: dict[str, Any] = serverless_wsgi.handle_request(app, event, context)
    return result
