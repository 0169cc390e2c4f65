"""Every rule of the API contract, through the ASGI app and through the Lambda handler.

The routes' examples come from the app's own document (each operation's `x-contract`, app/openapi.py),
checked with the rules `ops smoke` and the image check apply (shared/contract.py); the tests below
them add the edge cases and the generic rules.
"""

from __future__ import annotations

import json

import pytest

from app.config import DEFAULT_MAX_BODY_BYTES
from app.endpoints import MAX_JSON_DEPTH
from app.main import app
from shared import contract
from tests.app.transports import Reply, Transport

JSON = {"content-type": "application/json"}


def assert_common_headers(reply: Reply) -> None:
    assert reply.headers["x-request-id"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["cache-control"] == "no-store"


def assert_problem(reply: Reply, status: int) -> dict[str, object]:
    assert reply.status == status
    assert reply.headers["content-type"] == "application/problem+json"
    assert_common_headers(reply)
    problem = reply.json()
    assert set(problem) == {"type", "title", "status", "detail", "request_id"}
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    assert problem["request_id"] == reply.headers["x-request-id"]
    # No stack traces and no internal paths.
    text = reply.body.decode()
    assert "Traceback" not in text
    assert "/app/" not in text
    assert ".py" not in text
    return problem


# The routes' examples

EXAMPLES = contract.examples(app.state.openapi)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.name for example in EXAMPLES])
def test_every_example_of_every_route(call: Transport, example: contract.Example) -> None:
    reply = call(
        example.method, example.path, query=example.query, headers=example.headers, body=example.body
    )
    assert contract.verify(example, contract.Answer.of(reply.status, reply.headers, reply.body)) == []
    assert_common_headers(reply)
    if example.status >= 400:
        assert_problem(reply, example.status)


# GET /hello


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("name=Ada", "Ada"),
        ("name=Ada%20Lovelace", "Ada Lovelace"),
        ("name=Ada+Lovelace", "Ada Lovelace"),
        ("name=o.k-_1", "o.k-_1"),
        ("name=" + "x" * 64, "x" * 64),
        ("name=Ada&other=ignored", "Ada"),
    ],
)
def test_hello_greets_a_valid_name(call: Transport, query: str, name: str) -> None:
    reply = call("GET", "/hello", query=query)
    assert reply.status == 200
    assert reply.json() == {"message": f"Hello, {name}!"}


@pytest.mark.parametrize(
    "query",
    [
        "name=",
        "name",
        "name=" + "x" * 65,
        "name=%3Cscript%3E",
        "name=a%2Cb",
        "name=%C3%A9",
        "name=%FF",
        "name=a%0Ab",
    ],
)
def test_hello_rejects_an_invalid_name(call: Transport, query: str) -> None:
    problem = assert_problem(call("GET", "/hello", query=query), 422)
    assert "name" in str(problem["detail"])
    # The offending value is not echoed back.
    assert "script" not in str(problem["detail"])


@pytest.mark.parametrize("query", ["name=a&name=b", "name=a&name=a"])
def test_hello_rejects_a_repeated_name(call: Transport, query: str) -> None:
    problem = assert_problem(call("GET", "/hello", query=query), 422)
    assert "at most once" in str(problem["detail"])


# POST /echo


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a": 1, "b": [true, false, null]}',
        b"[]",
        b"{}",
        b'"just a string"',
        b"42",
        b"-0.0",
        b"1.10",
        b"1e400",
        b"123456789012345678901234567890",
        b"true",
        b"null",
        '{"greeting": "こんにちは", "emoji": "🙂"}'.encode(),
        b'{"escaped": "\\u00e9\\ud83d\\ude42"}',
        b'  {"spaced" : 1 }\n',
    ],
)
def test_echo_returns_the_same_json(call: Transport, payload: bytes) -> None:
    reply = call("POST", "/echo", headers=JSON, body=payload)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.body == payload  # byte for byte: numbers and unicode unchanged
    assert_common_headers(reply)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/json;charset=UTF-8", "APPLICATION/JSON"]
)
def test_echo_accepts_json_with_or_without_charset(call: Transport, content_type: str) -> None:
    reply = call("POST", "/echo", headers={"content-type": content_type}, body=b'{"ok": true}')
    assert reply.status == 200
    assert reply.json() == {"ok": True}


@pytest.mark.parametrize("body", [None, b""])
def test_echo_rejects_a_missing_or_empty_body(call: Transport, body: bytes | None) -> None:
    problem = assert_problem(call("POST", "/echo", headers=JSON, body=body), 400)
    assert "empty" in str(problem["detail"])


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"{", "not valid JSON"),
        (b"{'a': 1}", "not valid JSON"),
        (b'{"a": 1,}', "not valid JSON"),
        (b"NaN", "not valid JSON"),
        (b"[Infinity]", "not valid JSON"),
        (b"   ", "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a byte-order mark is not JSON
        (b'{"a": "\xff"}', "not valid UTF-8"),
        (b'"\xed\xa0\x80"', "not valid UTF-8"),  # an encoded surrogate
    ],
)
def test_echo_rejects_bad_json(call: Transport, payload: bytes, fragment: str) -> None:
    problem = assert_problem(call("POST", "/echo", headers=JSON, body=payload), 400)
    assert fragment in str(problem["detail"])
    assert payload.decode("utf-8", "replace")[:20] not in str(problem["detail"])


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    ],
)
def test_echo_rejects_nesting_past_the_limit(call: Transport, payload: bytes) -> None:
    problem = assert_problem(call("POST", "/echo", headers=JSON, body=payload), 400)
    assert f"deeper than {MAX_JSON_DEPTH}" in str(problem["detail"])


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/json; charset=latin-1",
        "application/problem+json",
    ],
)
def test_echo_rejects_other_content_types(call: Transport, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    assert_problem(call("POST", "/echo", headers=headers, body=b'{"a": 1}'), 415)


def test_echo_accepts_a_body_at_the_limit(call: Transport) -> None:
    payload = json.dumps("x" * (DEFAULT_MAX_BODY_BYTES - 2)).encode()
    assert len(payload) == DEFAULT_MAX_BODY_BYTES
    reply = call("POST", "/echo", headers=JSON, body=payload)
    assert reply.status == 200
    assert reply.body == payload


def test_echo_rejects_a_body_over_the_limit(call: Transport) -> None:
    payload = json.dumps("x" * (DEFAULT_MAX_BODY_BYTES - 1)).encode()
    problem = assert_problem(call("POST", "/echo", headers=JSON, body=payload), 413)
    assert str(DEFAULT_MAX_BODY_BYTES) in str(problem["detail"])


# GET /health and /openapi.json


def test_health_reports_status_and_version(call: Transport) -> None:
    from app import __version__

    reply = call("GET", "/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "version": __version__}
    assert_common_headers(reply)


def test_openapi_document_is_served(call: Transport) -> None:
    reply = call("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["openapi"].startswith("3.1.")


# Unknown paths, wrong methods, HEAD


@pytest.mark.parametrize("path", ["/", "/nope", "/hello/", "/HELLO", "/echo/extra", "/%2e%2e/etc/passwd"])
def test_unknown_path_is_404(call: Transport, path: str) -> None:
    assert_problem(call("GET", path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/hello", {"GET", "HEAD"}),
        ("DELETE", "/health", {"GET", "HEAD"}),
        ("GET", "/echo", {"POST"}),
        ("PUT", "/echo", {"POST"}),
        ("PATCH", "/openapi.json", {"GET", "HEAD"}),
    ],
)
def test_wrong_method_is_405_with_allow(call: Transport, method: str, path: str, allow: set[str]) -> None:
    reply = call(method, path)
    assert_problem(reply, 405)
    assert reply.headers["allow"] == ", ".join(sorted(allow))


@pytest.mark.parametrize("path", ["/hello", "/health", "/openapi.json"])
def test_head_has_the_headers_of_get_and_no_body(call: Transport, path: str) -> None:
    get = call("GET", path)
    head = call("HEAD", path)
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.body))


def test_percent_encoded_path_reaches_its_route(call: Transport) -> None:
    reply = call("GET", "/hel%6Co", query="name=Ada")
    assert reply.status == 200
    assert reply.json() == {"message": "Hello, Ada!"}


def test_cookies_do_not_disturb_a_request(call: Transport) -> None:
    reply = call("GET", "/hello", cookies=["session=abc", "theme=dark"])
    assert reply.status == 200
    assert reply.cookies == []


# Request ids


def test_each_request_gets_its_own_id(call: Transport) -> None:
    first = call("GET", "/health").headers["x-request-id"]
    second = call("GET", "/health").headers["x-request-id"]
    assert first != second
