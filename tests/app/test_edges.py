"""Hostile input a tester found the API mishandling: valid JSON that did not round-trip, nesting
reported as malformed, and Lambda events Mangum cannot read, which raised out of the handler."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from app.endpoints import MAX_JSON_DEPTH
from shared.events import http_event
from tests.app.transports import Transport, drive, http_scope

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JSON = {"content-type": "application/json"}
NESTING = f"JSON nesting is deeper than {MAX_JSON_DEPTH} levels"

# POST /echo


@pytest.mark.parametrize(
    "payload",
    [
        b"1" * 4301,  # one digit past Python's integer-string conversion limit
        b"-" + b"9" * 100_000,
        b'{"n": [' + b"7" * 5000 + b", 1]}",
        b"1" * 4301 + b".5e-3",
    ],
    ids=["4301-digits", "100000-digits", "nested-5000-digits", "long-float"],
)
def test_big_json_numbers_round_trip(call: Transport, payload: bytes) -> None:
    reply = call("POST", "/echo", headers=JSON, body=payload)
    assert reply.status == 200, reply.body[:200]
    assert reply.body == payload


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b"[" * 100_000 + b"]" * 100_000,
        b"[" * 10_000,  # unclosed as well: too deep is still the first thing wrong with it
    ],
    ids=["arrays-10000", "objects-10000", "arrays-100000", "unclosed-10000"],
)
def test_very_deep_nesting_gets_the_nesting_message(call: Transport, payload: bytes) -> None:
    reply = call("POST", "/echo", headers=JSON, body=payload)
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["detail"] == NESTING


# Lambda events Mangum cannot read. API Gateway never sends these, but anything may invoke the
# function, and tools.gateway passes on what a client sends (a Host header, say).


def event(request_id: str, **changes: Any) -> dict[str, Any]:
    built = http_event("POST", "/echo", headers=dict(JSON), body=b'{"a": 1}', request_id=request_id)
    for key, value in changes.items():
        if key == "http":
            built["requestContext"]["http"].update(value)
        else:
            built[key] = value
    return built


def without(key: str) -> dict[str, Any]:
    built = event(f"rid-no-{key}")
    del built["requestContext"]["http"][key]
    return built


MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "body-not-base64": (
        event("rid-1", isBase64Encoded=True, body="not base64!"),
        "body is not valid base64 (isBase64Encoded is true)",
    ),
    "base64-flag-not-bool": (event("rid-2", isBase64Encoded="yes"), "isBase64Encoded must be true or false"),
    "body-not-a-string": (event("rid-3", body=5), "body must be a string"),
    "body-with-a-lone-surrogate": (event("rid-4", body='"\ud800"'), "body must be a string"),
    "headers-null": (event("rid-5", headers=None), "headers must be an object of strings"),
    "header-value-number": (
        event("rid-6", headers={**JSON, "x-n": 5}),
        "headers must be an object of strings",
    ),
    "header-value-surrogate": (
        event("rid-7", headers={**JSON, "x-s": "\udc80"}),
        "headers must be an object of strings",
    ),
    "host-a:b:c": (event("rid-8", headers={**JSON, "host": "a:b:c"}), "the Host header is not host[:port]"),
    "host-port-not-a-number": (
        event("rid-9", headers={**JSON, "Host": "example.com:http"}),
        "the Host header is not host[:port]",
    ),
    "x-forwarded-port-abc": (
        event("rid-10", headers={**JSON, "host": "example.com", "x-forwarded-port": "abc"}),
        "the X-Forwarded-Port header is not a port number",
    ),
    "cookies-not-a-list": (event("rid-11", cookies="a=b"), "cookies must be a list of strings"),
    "cookie-not-a-string": (event("rid-12", cookies=[1]), "cookies must be a list of strings"),
    "query-not-a-string": (event("rid-13", rawQueryString=5), "rawQueryString must be a string"),
    "path-not-a-string": (event("rid-14", http={"path": 5}), "requestContext.http.path must be a string"),
    "no-path": (without("path"), "requestContext.http.path must be a string"),
    "no-source-ip": (without("sourceIp"), "requestContext.http.sourceIp must be a string"),
}

INVOKE = """
import json, sys
sys.path.insert(0, {root!r})
from app.handler import handler
from shared.events import LambdaContext
for line in sys.stdin:
    event = json.loads(line)
    try:
        result = handler(event, LambdaContext())
    except Exception as exc:
        result = {{"raised": f"{{type(exc).__name__}}: {{exc}}"}}
    print(json.dumps(result), file=sys.stderr)
"""


def invoke(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each event through the handler in one fresh interpreter, as on Lambda: results, log records."""
    completed = subprocess.run(
        [sys.executable, "-c", INVOKE.format(root=ROOT)],
        input="".join(json.dumps(e) + "\n" for e in events),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_LAMBDA_FUNCTION_NAME": "lambda-api-test"},
        check=True,
    )
    results = [json.loads(line) for line in completed.stderr.splitlines() if line.startswith("{")]
    return results, [json.loads(line) for line in completed.stdout.splitlines()]


@pytest.fixture(scope="module")
def malformed_answers() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each malformed event's result and the log records written while it was handled."""
    names = list(MALFORMED)
    results, records = invoke([MALFORMED[name][0] for name in names])
    assert len(results) == len(names), results
    answers = {}
    for name, result in zip(names, results, strict=True):
        request_id = MALFORMED[name][0]["requestContext"]["requestId"]
        start = next((i for i, r in enumerate(records) if r.get("request_id") == request_id), len(records))
        answers[name] = (result, records[start : start + 2])
    return answers


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_event_gets_a_400_problem_an_access_line_and_a_metric(
    malformed_answers: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]], name: str
) -> None:
    result, records = malformed_answers[name]
    request_id = MALFORMED[name][0]["requestContext"]["requestId"]
    assert result.get("statusCode") == 400, result
    headers = result["headers"]
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-request-id"] == request_id
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert result["isBase64Encoded"] is False
    body = json.loads(result["body"])
    assert body == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": f"malformed API Gateway event: {MALFORMED[name][1]}",
        "request_id": request_id,
    }
    assert len(records) == 2, records
    access, metric = records
    assert access["event"] == "request"
    assert (access["status"], access["route"], access["request_id"]) == (400, "unmatched", request_id)
    assert access["lambda_request_id"]
    assert metric["event"] == "metrics"
    assert (metric["Route"], metric["StatusClass"], metric["ClientErrors"]) == ("unmatched", "4xx", 1)


def test_the_environment_keeps_serving_after_a_malformed_event() -> None:
    good = event("rid-after")
    results, _ = invoke([MALFORMED["headers-null"][0], good])
    assert [r["statusCode"] for r in results] == [400, 200]
    assert results[1]["body"] == '{"a": 1}'


# requestContext.requestId goes into a header and every log line: validated like a caller's id.


@pytest.mark.parametrize(
    "request_id",
    ["a b", "x\r\nSet-Cookie: y=1", "ü" * 4, "x" * 129, "", 5, None, ["id"], '"quoted"'],
    ids=["space", "crlf", "non-ascii", "too-long", "empty", "number", "null", "list", "quotes"],
)
def test_an_unusable_api_gateway_request_id_is_replaced(request_id: Any) -> None:
    bad = event("placeholder")
    bad["requestContext"]["requestId"] = request_id
    results, records = invoke([copy.deepcopy(bad)])
    (result,) = results
    assert result["statusCode"] == 200
    generated = result["headers"]["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    (access,) = [r for r in records if r.get("event") == "request"]
    assert access["request_id"] == generated
    if isinstance(request_id, str) and request_id:
        assert all(request_id not in json.dumps(r) for r in records)


@pytest.mark.parametrize(
    "request_id", ["JKJaXmPLvHcESHA=", "ab/cd+ef==", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"]
)
def test_api_gateway_request_ids_are_kept(request_id: str) -> None:
    results, records = invoke([event(request_id)])
    assert results[0]["headers"]["x-request-id"] == request_id
    assert [r["request_id"] for r in records if r.get("event") == "request"] == [request_id]


# tools.gateway stands in for API Gateway in front of the handler: it must not buffer without bound.


def through_gateway(headers: list[tuple[bytes, bytes]], chunk: bytes) -> tuple[int, dict[str, Any], int]:
    """POST /echo through the local gateway from a client that never stops sending `chunk`:
    the status, the problem body and how many chunks the gateway read."""
    from app.handler import handler
    from app.main import settings
    from tools.gateway import LambdaGateway

    gateway = LambdaGateway(handler, settings.max_body_bytes)
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        assert read <= 100, "the gateway kept reading: 100 chunks and counting"
        return {"type": "http.request", "body": chunk, "more_body": True}

    sent = drive(
        gateway,
        http_scope("POST", "/echo", headers=[(b"content-type", b"application/json"), *headers]),
        receive,
    )
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), read


def test_the_local_gateway_stops_reading_a_body_past_the_apps_limit() -> None:
    from app.main import settings

    status, problem, read = through_gateway([], b"1" * 65536)
    assert status == 413
    assert problem["detail"] == f"request body is larger than {settings.max_body_bytes} bytes"
    assert read == settings.max_body_bytes // 65536 + 1  # the first chunk past the limit is the last


def test_the_local_gateway_reads_nothing_of_a_body_declared_too_large() -> None:
    status, _, read = through_gateway([(b"content-length", b"10000000000")], b"1" * 65536)
    assert (status, read) == (413, 0)
