"""The OpenAPI 3.1 description of the API, served at /openapi.json and checked by the test suite.

Each operation's `x-contract` lists its examples: a request and the answer it must get. They are the
contract of the route, read from the served document by the contract tests, `ops smoke` and the image
check in CI (shared/contract.py), and the README's examples must be among them. What every route does
(headers, problems, request ids, 404/405, HEAD, the body limit) is not repeated here: those checks
are generic. To add a route, see docs/add-a-route.md.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from typing import Any

from app.endpoints import MAX_JSON_DEPTH, NAME


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
        "content": {"application/json": {"schema": schema}},
    }


REQUEST_ID_PARAMETER = {"$ref": "#/components/parameters/X-Request-ID"}
NO_BODY = object()
JSON = "application/json"


def example(
    name: str,
    status: int,
    body: Any = NO_BODY,
    *,
    query: str = "",
    content_type: str | None = None,
    send: str | bytes | None = None,
) -> dict[str, Any]:
    """One entry of an operation's `x-contract`: the request (`query` as sent, percent-encoded; the body
    `send` with its `content_type`, text as UTF-8) and the answer: `status`, and `body` when it is
    always the same. An error status means a problem (application/problem+json) with that status."""
    request: dict[str, Any] = {}
    if query:
        request["query"] = query
    if content_type is not None:
        request["headers"] = {"content-type": content_type}
    if isinstance(send, str):
        request["body"] = send
    elif send is not None:
        try:
            request["body"] = send.decode()
        except UnicodeDecodeError:  # bytes JSON text cannot hold
            request["bodyBase64"] = base64.b64encode(send).decode()
    response: dict[str, Any] = {"status": status}
    if body is not NO_BODY:
        response["body"] = body
    return {"name": name, "request": request, "response": response}


# Bodies /echo's examples send; each answer is the same JSON value.
ECHOED = '{"order": 42, "price": 19.90, "note": "naïve café"}'
ECHOED_CHARSET = '["grüße", "日本", "emoji \U0001f680"]'
DEEPEST = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
TOO_DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)


def _protect(paths: dict[str, Any], protected_routes: Collection[str]) -> None:
    """Mark the operations PROTECTED_ROUTES lists: a bearer token is required, 401 without one."""
    for path, item in paths.items():
        for method, operation in item.items():
            if f"{method.upper()} {path}" in protected_routes or f"ANY {path}" in protected_routes:
                operation["security"] = [{"bearerAuth": []}]
                unauthorized = _problem(
                    "No valid bearer token. API Gateway's JWT authorizer answers first, with "
                    '`{"message": "Unauthorized"}` (application/json); the app answers this problem '
                    "when a call without a verified caller reaches it"
                )
                unauthorized["content"]["application/json"] = {
                    "schema": {"$ref": "#/components/schemas/GatewayMessage"}
                }
                operation["responses"]["401"] = unauthorized


def document(version: str, max_body_bytes: int, protected_routes: Collection[str] = ()) -> dict[str, Any]:
    result = _document(version, max_body_bytes)
    if protected_routes:
        _protect(result["paths"], protected_routes)
        result["components"]["securitySchemes"] = {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A token from the identity provider API Gateway's JWT authorizer trusts.",
            }
        }
        result["components"]["schemas"]["GatewayMessage"] = {
            "type": "object",
            "description": "An answer from API Gateway itself, not from the app",
            "required": ["message"],
            "properties": {"message": {"type": "string"}},
        }
    return result


def _document(version: str, max_body_bytes: int) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        # MAX_BODY_BYTES, for clients: a larger request body gets a 413 problem on every route.
        "x-max-body-bytes": max_body_bytes,
        "info": {
            "title": "Lambda API",
            "version": version,
            "description": "A minimal HTTP API served by AWS Lambda behind an API Gateway HTTP API. "
            "Every error is an RFC 9457 problem; every response carries X-Request-ID.",
        },
        "paths": {
            "/hello": {
                "get": {
                    "operationId": "hello",
                    "summary": "Greet the caller",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "query",
                            "required": False,
                            "description": "Who to greet. Given at most once.",
                            "schema": {"type": "string", "pattern": f"^{NAME.pattern}$"},
                        },
                        REQUEST_ID_PARAMETER,
                    ],
                    "responses": {
                        "200": _json("A greeting", {"$ref": "#/components/schemas/Message"}),
                        "422": _problem("`name` is invalid or repeated"),
                    },
                    "x-contract": [
                        example("hello", 200, {"message": "Hello, World!"}),
                        example("hello-name", 200, {"message": "Hello, Ada!"}, query="name=Ada"),
                        example(
                            "hello-name-chars",
                            200,
                            {"message": "Hello, Ops Smoke_1.0-x!"},
                            query="name=Ops%20Smoke_1.0-x",
                        ),
                        example(
                            "hello-name-64", 200, {"message": f"Hello, {'n' * 64}!"}, query="name=" + "n" * 64
                        ),
                        example("hello-name-65", 422, query="name=" + "n" * 65),
                        example("hello-name-empty", 422, query="name="),
                        example("hello-name-invalid", 422, query="name=%3Cscript%3E"),
                        example("hello-name-repeated", 422, query="name=a&name=b"),
                    ],
                }
            },
            "/echo": {
                "post": {
                    "operationId": "echo",
                    "summary": "Return the JSON value sent",
                    "parameters": [REQUEST_ID_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "description": f"Any JSON value, UTF-8, at most {max_body_bytes} bytes and "
                        f"{MAX_JSON_DEPTH} levels of nesting.",
                        "content": {"application/json": {"schema": {}}},
                    },
                    "responses": {
                        "200": _json("The same JSON value, byte for byte", {}),
                        "400": _problem("Empty body, invalid UTF-8, malformed or too deeply nested JSON"),
                        "413": _problem(f"Body larger than {max_body_bytes} bytes"),
                        "415": _problem("Body not sent as application/json"),
                    },
                    "x-contract": [
                        example("echo", 200, json.loads(ECHOED), content_type=JSON, send=ECHOED),
                        example(
                            "echo-charset",
                            200,
                            json.loads(ECHOED_CHARSET),
                            content_type="application/json; charset=utf-8",
                            send=ECHOED_CHARSET,
                        ),
                        example(
                            f"echo-depth-{MAX_JSON_DEPTH}",
                            200,
                            json.loads(DEEPEST),
                            content_type=JSON,
                            send=DEEPEST,
                        ),
                        example("echo-empty", 400, content_type=JSON, send=""),
                        example("echo-malformed", 400, content_type=JSON, send='{"unclosed": '),
                        example("echo-invalid-utf8", 400, content_type=JSON, send=b'{"a": "\xff"}'),
                        example(f"echo-depth-{MAX_JSON_DEPTH + 1}", 400, content_type=JSON, send=TOO_DEEP),
                        example("echo-content-type", 415, content_type="text/plain", send="hi"),
                    ],
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness and build version (no I/O)",
                    "parameters": [REQUEST_ID_PARAMETER],
                    "responses": {"200": _json("Healthy", {"$ref": "#/components/schemas/Health"})},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "parameters": [REQUEST_ID_PARAMETER],
                    "responses": {"200": _json("OpenAPI 3.1 document", {"type": "object"})},
                }
            },
        },
        "components": {
            "schemas": {
                "Message": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": {"type": "string"}},
                    "additionalProperties": False,
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "version"],
                    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
                    "additionalProperties": False,
                },
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details",
                    "required": ["type", "title", "status", "detail", "request_id"],
                    "properties": {
                        "type": {"type": "string", "format": "uri-reference"},
                        "title": {"type": "string"},
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "detail": {"type": "string"},
                        "request_id": {"type": "string"},
                    },
                },
            },
            "parameters": {
                "X-Request-ID": {
                    "name": "X-Request-ID",
                    "in": "header",
                    "required": False,
                    "description": "Kept as the request id if it matches the pattern; otherwise one is made.",
                    "schema": {"type": "string"},
                }
            },
            "headers": {
                "X-Request-ID": {
                    "description": "The request id, also in the access log line and in error bodies",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            },
        },
    }
