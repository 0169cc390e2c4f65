"""The OpenAPI 3.1 description of the API, served at /openapi.json and checked by the test suite."""

from __future__ import annotations

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
