"""Behind a custom domain's API mapping key and API Gateway's JWT authorizer, through the handler.

Events are shaped as API Gateway sends them (shared/events.py): through the custom domain
`api.example.com` with the API mapped at `v1`, the path keeps the key (`rawPath` `/v1/hello` for the
route `GET /hello`); at the API's own `$default` endpoint it has none. Both reach the same function.
A protected route's event carries the authorizer's claims; a public one has no authorizer.

`app.handler.handler` reads BASE_PATH and PROTECTED_ROUTES at import, as on Lambda, so the
configured cases run in a fresh interpreter with the environment the lambda module sets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.requests import Request

from app import auth
from app.handler import handler
from shared.events import LambdaContext, http_event
from tests.conftest import handle_in_new_interpreter

DOMAIN = "api.example.com"
CONFIGURED = {"BASE_PATH": "v1", "PROTECTED_ROUTES": "GET /hello"}
CLAIMS = {"sub": "user-123", "iss": "https://issuer.example.com/", "aud": "lambda-api", "scope": "read"}
# What a client sent in its Authorization header: it must never reach a log line.
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2VjcmV0LXNpZ25hdHVyZQ"  # noqa: S105 - a made-up token


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def answer(result: dict[str, Any]) -> Answer:
    body = result.get("body") or ""
    return Answer(result["statusCode"], result["headers"], json.loads(body) if body else None)


def invoke(events: list[dict[str, Any]], env: dict[str, str]) -> tuple[list[Answer], list[dict[str, Any]]]:
    """Each event through `app.handler.handler` in one new execution environment; answers and log lines."""
    env = {"AWS_LAMBDA_FUNCTION_NAME": "lambda-api-test", "LOG_FORMAT": "json", **env}
    results, stdout = handle_in_new_interpreter(events, env)
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [answer(result) for result in results], lines


def mapped(
    method: str,
    path: str,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A request to https://api.example.com/v1<path>: API Gateway keeps the key in the path."""
    sent = {**(headers or {}), **({"authorization": f"Bearer {TOKEN}"} if claims else {})}
    return http_event(
        method,
        f"/v1{path}",
        domain_name=DOMAIN,
        route_key=f"{method} {path}",
        claims=claims,
        headers=sent,
        **kwargs,
    )


def unmapped(method: str, path: str, claims: dict[str, str] | None = None) -> dict[str, Any]:
    """The same request to the API's own endpoint, https://<id>.execute-api.<region>.amazonaws.com."""
    headers = {"authorization": f"Bearer {TOKEN}"} if claims else {}
    return http_event(method, path, route_key=f"{method} {path}", claims=claims, headers=headers)


def assert_problem(reply: Answer, status: int) -> None:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["status"] == status
    assert reply.body["request_id"] == reply.headers["x-request-id"]


@pytest.fixture(scope="module")
def configured() -> dict[str, Any]:
    """One execution environment configured as the lambda module sets it, serving both endpoints."""
    cases = {
        "mapped-health": mapped("GET", "/health"),
        "mapped-hello": mapped("GET", "/hello", CLAIMS, query="name=Ada"),
        "mapped-hello-head": mapped("HEAD", "/hello", CLAIMS),
        "mapped-hello-no-claims": mapped("GET", "/hello"),
        "mapped-hello-claims-without-sub": mapped("GET", "/hello", {"iss": CLAIMS["iss"]}),
        "mapped-echo": mapped(
            "POST", "/echo", headers={"content-type": "application/json"}, body=b'{"under": "v1"}'
        ),
        "mapped-openapi": mapped("GET", "/openapi.json"),
        "mapped-root": http_event("GET", "/v1", domain_name=DOMAIN),
        "outside-base-path": http_event("GET", "/hello", domain_name=DOMAIN, claims=CLAIMS),
        "prefix-lookalike": http_event("GET", "/v10/health", domain_name=DOMAIN),
        "unmapped-health": unmapped("GET", "/health"),
        "unmapped-hello": unmapped("GET", "/hello", CLAIMS),
        "unmapped-hello-no-claims": unmapped("GET", "/hello"),
        "unmapped-openapi": unmapped("GET", "/openapi.json"),
        "unmapped-with-key": unmapped("GET", "/v1/health"),
    }
    answers, lines = invoke(list(cases.values()), CONFIGURED)
    return {"answers": dict(zip(cases, answers, strict=True)), "lines": lines}


def test_mapped_requests_are_served_under_the_mapping_key(configured: dict[str, Any]) -> None:
    answers = configured["answers"]
    assert answers["mapped-health"].status == 200
    assert answers["mapped-health"].body["status"] == "ok"
    assert answers["mapped-hello"].body == {"message": "Hello, Ada!"}
    assert answers["mapped-echo"].body == {"under": "v1"}
    assert answers["mapped-hello-head"].status == 200


def test_the_execute_api_endpoint_still_serves_without_the_key(configured: dict[str, Any]) -> None:
    answers = configured["answers"]
    assert answers["unmapped-health"].status == 200
    assert answers["unmapped-hello"].body == {"message": "Hello, World!"}
    # The key means nothing there: API Gateway has no such route, and neither has the app.
    assert_problem(answers["unmapped-with-key"], 404)


@pytest.mark.parametrize("case", ["outside-base-path", "prefix-lookalike", "mapped-root"])
def test_requests_outside_the_base_path_are_the_usual_404_problem(
    configured: dict[str, Any], case: str
) -> None:
    reply = configured["answers"][case]
    assert_problem(reply, 404)
    assert reply.body["detail"] == "Nothing matches the given URI"


def test_the_openapi_document_names_the_server_the_request_used(configured: dict[str, Any]) -> None:
    mapped_doc = configured["answers"]["mapped-openapi"].body
    assert mapped_doc["servers"] == [{"url": "/v1"}]
    assert configured["answers"]["unmapped-openapi"].body["servers"] == [{"url": "/"}]
    # The protected route says so; the public ones do not.
    hello = mapped_doc["paths"]["/hello"]["get"]
    assert hello["security"] == [{"bearerAuth": []}]
    assert "application/problem+json" in hello["responses"]["401"]["content"]
    assert mapped_doc["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"
    for path in ("/health", "/openapi.json", "/echo"):
        for operation in mapped_doc["paths"][path].values():
            assert "security" not in operation
            assert "401" not in operation["responses"]


@pytest.mark.parametrize(
    "case", ["mapped-hello-no-claims", "unmapped-hello-no-claims", "mapped-hello-claims-without-sub"]
)
def test_a_protected_route_without_a_verified_caller_is_401(configured: dict[str, Any], case: str) -> None:
    reply = configured["answers"][case]
    assert_problem(reply, 401)
    assert reply.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in reply.body["detail"]


def test_the_caller_is_logged_by_subject_and_the_token_never(configured: dict[str, Any]) -> None:
    lines = configured["lines"]
    access = {
        (line["path"], line["status"], line.get("subject")) for line in lines if line["event"] == "request"
    }
    assert ("/v1/hello", 200, "user-123") in access
    assert ("/hello", 200, "user-123") in access
    assert ("/v1/hello", 401, None) in access
    assert ("/v1/health", 200, None) in access
    # Matched routes are reported without the key, so metrics and queries are the same for both doors.
    routes = {line["route"] for line in lines if line["event"] == "request" and line["path"] == "/v1/hello"}
    assert routes == {"/hello"}
    everything = "\n".join(json.dumps(line) for line in lines)
    assert TOKEN not in everything
    assert TOKEN.split(".")[2] not in everything


def test_without_configuration_the_app_serves_at_the_root_of_any_domain() -> None:
    # The module defaults: no mapping key, no protected route (this process imported the app so).
    at_root = handler(http_event("GET", "/hello", domain_name=DOMAIN), LambdaContext())
    assert at_root["statusCode"] == 200
    # An API mapped at `v1` without BASE_PATH set: every request misses, which is why the lambda
    # module sets BASE_PATH from the same mapping key the api-gateway module maps.
    missed = handler(mapped("GET", "/health"), LambdaContext())
    assert missed["statusCode"] == 404


def test_a_handler_reads_the_callers_subject_and_claims() -> None:
    def request(event: dict[str, Any] | None) -> Request:
        scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": []}
        if event is not None:
            scope["aws.event"] = event
        return Request(scope)

    protected = request(mapped("GET", "/hello", CLAIMS))
    assert auth.subject(protected) == "user-123"
    assert auth.claims(protected)["scope"] == "read"
    assert auth.subject(request(mapped("GET", "/hello"))) is None
    assert auth.subject(request(None)) is None  # uvicorn: no API Gateway, no caller
    assert auth.subject(request({"requestContext": {"authorizer": {"jwt": {"claims": {"sub": 7}}}}})) is None
