"""API Gateway HTTP API payload 2.0 events and a Lambda context, for everything that invokes the
handler without AWS: the tests, the local gateway, `ops release`'s smoke, the image check in CI and
the benchmark; and the HTTP response API Gateway makes of the handler's result.

Events start from the sample in AWS's documentation ("Working with AWS Lambda proxy integrations
for HTTP APIs") and change only what a request needs. Standard library only: CI runs the image
check with a bare python3.
"""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

AWS_SAMPLE: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path",
    "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
    "cookies": ["cookie1", "cookie2"],
    "headers": {"header1": "value1", "header2": "value1,value2"},
    "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "authentication": {
            "clientCert": {
                "clientCertPem": "CERT_CONTENT",
                "subjectDN": "www.example.com",
                "issuerDN": "Example issuer",
                "serialNumber": "a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1",
                "validity": {"notBefore": "May 28 12:30:02 2019 GMT", "notAfter": "Aug  5 09:36:04 2021 GMT"},
            }
        },
        "authorizer": {"jwt": {"claims": {"claim1": "value1", "claim2": "value2"}, "scopes": ["scope1"]}},
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {
            "method": "POST",
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "agent",
        },
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": "Hello from Lambda",
    "pathParameters": {"parameter1": "value1"},
    "isBase64Encoded": False,
    "stageVariables": {"stageVariable1": "value1", "stageVariable2": "value2"},
}


EXECUTE_API_DOMAIN = "id.execute-api.us-east-1.amazonaws.com"


def http_event(
    method: str,
    raw_path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    base64_body: bool = False,
    cookies: list[str] | None = None,
    request_id: str | None = None,
    domain_name: str = EXECUTE_API_DOMAIN,
    route_key: str = "$default",
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The AWS sample, re-aimed at one request. `raw_path` is as sent (percent-encoded).

    `domain_name` is the host the client called: the API's own endpoint by default, or a custom
    domain, whose API mapping key API Gateway leaves in the path (`/v1/hello` for the route
    `GET /hello` mapped at `v1`). `claims` are what a JWT authorizer passes on a protected route;
    without them the event has no authorizer, as on a public route.
    """
    event = copy.deepcopy(AWS_SAMPLE)
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = raw_path
    event["rawQueryString"] = query
    event["headers"] = {"host": domain_name, **(headers or {})}
    event["requestContext"]["domainName"] = domain_name
    event["requestContext"]["domainPrefix"] = domain_name.split(".")[0]
    if claims is None:
        del event["requestContext"]["authorizer"]
    else:
        scopes = claims.get("scope", "").split() or None
        event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": scopes}}
    # API Gateway joins repeated parameters with commas in the parsed map.
    params: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        params[key] = f"{params[key]},{value}" if key in params else value
    if params:
        event["queryStringParameters"] = params
    else:
        event.pop("queryStringParameters")
    if cookies is None:
        event.pop("cookies")
    else:
        event["cookies"] = cookies
    event.pop("pathParameters")
    context = event["requestContext"]
    context["http"]["method"] = method
    context["http"]["path"] = unquote(raw_path)
    context["requestId"] = request_id or uuid.uuid4().hex[:16]
    if body is None:
        event.pop("body")
    elif base64_body:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = body.decode("utf-8")
    if body is not None:
        event["headers"].setdefault("content-length", str(len(body)))
    return event


def token_payload(authorization: str | None) -> dict[str, Any] | None:
    """The payload of `Authorization: Bearer <JWT>`, decoded but NOT verified; None when the header
    holds no readable JWT. Whoever calls this stands in for API Gateway's JWT authorizer."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def claim_texts(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as an HTTP API's JWT authorizer hands them to the function (payload 2.0): every value a
    string, numbers as written, arrays as "[a b]"."""

    def text(value: Any) -> str:
        if isinstance(value, list):
            return "[" + " ".join(str(item) for item in value) + "]"
        return value if isinstance(value, str) else json.dumps(value)

    return {key: text(value) for key, value in claims.items()}


# Bodies API Gateway passes as text; anything else (or text that is not UTF-8) goes base64-encoded.
TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/x-www-form-urlencoded")


def request_event(
    method: str,
    raw_path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    domain_name: str | None = None,
    request_id: str | None = None,
    source_ip: str | None = None,
    protocol: str = "HTTP/1.1",
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The event API Gateway makes of an HTTP request as it arrived: repeated headers joined with
    commas, cookies in `cookies`, a body base64-encoded unless it is UTF-8 text of a text type. The
    domain is the Host header's unless `domain_name` says otherwise."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, value in headers:
        name = raw_name.lower()
        if name == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
        else:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
    text = joined.get("content-type", "").startswith(TEXT_TYPES)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = False
    event = http_event(
        method,
        raw_path,
        query=query,
        headers=joined,
        body=body or None,
        base64_body=not text,
        cookies=cookies or None,
        request_id=request_id,
        domain_name=domain_name or joined.get("host") or EXECUTE_API_DOMAIN,
        claims=claims,
    )
    # The sample's client certificate and stage variables are not this API's.
    event["requestContext"].pop("authentication", None)
    event.pop("stageVariables", None)
    now = time.time()
    context = event["requestContext"]
    context["time"] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
    context["timeEpoch"] = int(now * 1000)
    context["http"].update(protocol=protocol, userAgent=joined.get("user-agent", ""))
    if source_ip is not None:
        context["http"]["sourceIp"] = source_ip
    return event


# What an HTTP API answers when the function's result is not in the required format: status 500 and
# the body AWS's "Troubleshooting issues with HTTP API Lambda integrations" names (docs.aws.amazon.com/
# apigateway/latest/developerguide/http-api-troubleshooting-lambda.html), {"message":"Internal Server
# Error"}; the cause goes only to the access log ($context.integrationErrorMessage). REST APIs answer
# 502 instead (docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
def internal_server_error() -> tuple[int, list[tuple[str, str]], bytes]:
    return 500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of the HTTP response API Gateway makes of a payload 2.0 result. A
    result without a statusCode is API Gateway's inference: 200, the result as JSON. A result it
    cannot use (a statusCode that is no HTTP status, headers that are no object, a body that is not
    base64 when it says it is) is its 500."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, [("content-type", "application/json")], json.dumps(result).encode()
    try:
        status = int(result["statusCode"])
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
        raw = result.get("body") or ""
        body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode("utf-8")
    except (ValueError, TypeError, AttributeError):  # binascii.Error is a ValueError
        return internal_server_error()
    if not 100 <= status <= 599:
        return internal_server_error()
    return status, headers, body


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that code commonly reads."""

    function_name: str = "local-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local-function:live"
    log_group_name: str = "/aws/lambda/local-function"
    log_stream_name: str = "local"
    deadline_ms: int = field(default_factory=lambda: int(time.time() * 1000) + 30_000)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))
