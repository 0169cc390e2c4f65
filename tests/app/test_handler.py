"""The Lambda entry point: AWS's own event shape, what only Lambda sends, and what it must refuse."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from app.handler import UnsupportedEvent, handler
from shared.events import AWS_SAMPLE, LambdaContext, http_event

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_aws_sample_event_verbatim_gets_a_problem_not_a_crash() -> None:
    result = handler(copy.deepcopy(AWS_SAMPLE), LambdaContext())
    # POST /my/path is no route of ours: a 404 problem, text not base64, with API Gateway's request id.
    assert result["statusCode"] == 404
    assert result["isBase64Encoded"] is False
    assert result["headers"]["content-type"] == "application/problem+json"
    assert result["headers"]["x-request-id"] == "id"
    assert json.loads(result["body"])["request_id"] == "id"


def test_the_aws_sample_aimed_at_echo_keeps_its_cookies_query_and_stage() -> None:
    event = copy.deepcopy(AWS_SAMPLE)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/echo"
    event["headers"]["content-type"] = "application/json"
    event["body"] = '{"from": "lambda"}'
    result = handler(event, LambdaContext())
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"from": "lambda"}


def test_repeated_query_values_are_seen_as_repeated_not_comma_joined() -> None:
    event = http_event("GET", "/hello", query="name=Ada&name=Grace")
    assert event["queryStringParameters"] == {"name": "Ada,Grace"}  # how API Gateway presents them
    result = handler(event, LambdaContext())
    assert result["statusCode"] == 422
    assert "at most once" in json.loads(result["body"])["detail"]


def test_a_comma_inside_one_value_is_still_one_value() -> None:
    result = handler(http_event("GET", "/hello", query="name=a%2Cb"), LambdaContext())
    assert result["statusCode"] == 422
    assert "1-64 characters" in json.loads(result["body"])["detail"]


def test_base64_body_is_decoded_before_the_app_sees_it() -> None:
    payload = '{"bytes": "ü"}'.encode()
    event = http_event(
        "POST", "/echo", headers={"content-type": "application/json"}, body=payload, base64_body=True
    )
    result = handler(event, LambdaContext())
    assert result["statusCode"] == 200
    assert result["isBase64Encoded"] is False
    assert result["body"].encode() == payload


def test_binary_garbage_in_base64_is_a_client_error() -> None:
    event = http_event(
        "POST", "/echo", headers={"content-type": "application/json"}, body=b"\x00\xff\xfe", base64_body=True
    )
    result = handler(event, LambdaContext())
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["detail"] == "request body is not valid UTF-8"


@pytest.mark.parametrize(
    "event",
    [
        {},
        [],
        None,
        "GET /hello",
        {"Records": [{"eventSource": "aws:s3", "s3": {}}]},
        {"version": "1.0", "resource": "/hello", "path": "/hello", "httpMethod": "GET", "requestContext": {}},
        {"version": "2.0", "requestContext": {}},
        {"version": "2.0", "requestContext": {"http": {"path": "/hello"}}},
    ],
    ids=["empty", "list", "none", "string", "s3", "rest-api-v1", "no-http", "no-method"],
)
def test_an_event_that_is_not_an_http_api_event_is_refused_clearly(event: object) -> None:
    with pytest.raises(UnsupportedEvent, match=r"API Gateway HTTP API payload format 2\.0"):
        handler(event, LambdaContext())  # type: ignore[arg-type]


LAMBDA_SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from app.handler import handler
from shared.events import LambdaContext, http_event
for kind in sys.argv[1:]:
    if kind == "bad":
        try:
            handler({{"Records": []}}, LambdaContext(aws_request_id="bad-invocation"))
        except Exception as exc:
            print("RAISED", type(exc).__name__, file=sys.stderr)
        continue
    method, path, query, body = {{
        "hello": ("GET", "/hello", "name=Ada&secret=hunter2", None),
        "echo": ("POST", "/echo", "", b'{{"password": "hunter2"}}'),
        "missing": ("GET", "/missing", "", None),
    }}[kind]
    headers = {{"content-type": "application/json"}} if body else {{}}
    event = http_event(method, path, query=query, headers=headers, body=body, request_id="rid-" + kind)
    result = handler(event, LambdaContext(aws_request_id="lambda-" + kind))
    print("RESULT", result["statusCode"], result["headers"]["x-request-id"], file=sys.stderr)
"""


def run_lambda(*kinds: str, env: dict[str, str] | None = None) -> tuple[list[dict[str, object]], str]:
    """Invoke the handler in a fresh interpreter, as a new execution environment; parse its stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", LAMBDA_SCRIPT.format(root=ROOT), *kinds],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "lambda-api-test", **(env or {})},
        check=True,
    )
    return [json.loads(line) for line in completed.stdout.splitlines()], completed.stderr


def test_cold_start_is_flagged_on_the_first_invocation_only() -> None:
    lines, _ = run_lambda("hello", "hello", "echo")
    access = [line for line in lines if line.get("event") == "request"]
    assert [line["cold_start"] for line in access] == [True, False, False]
    emf = [line for line in lines if line.get("event") == "metrics"]
    assert [line["ColdStart"] for line in emf] == [1, 0, 0]


def test_an_unsupported_event_is_logged_as_an_error_and_raised() -> None:
    lines, stderr = run_lambda("bad", "hello")
    assert "RAISED UnsupportedEvent" in stderr
    error = next(line for line in lines if line.get("event") == "unsupported_event")
    assert error["level"] == "error"
    assert error["event_keys"] == ["Records"]
    assert error["lambda_request_id"] == "bad-invocation"
    assert error["cold_start"] is True
    # The environment keeps serving afterwards, and the next invocation is warm.
    access = next(line for line in lines if line.get("event") == "request")
    assert access["status"] == 200
    assert access["cold_start"] is False


def test_the_lambda_path_imports_nothing_used_only_locally() -> None:
    code = (
        f"import sys; sys.path.insert(0, {ROOT!r}); import app.handler; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'uvicorn', 'httpx', 'httpx2', 'tools', 'tests', 'pytest', 'boto3', 'botocore', 'ops'}"
        " or m == 'starlette.testclient'))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"AWS_LAMBDA_FUNCTION_NAME": "x"},
    )
    assert out.stdout.strip() == "[]"
