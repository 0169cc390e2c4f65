"""The OpenAPI 3.1 description of the API, served at /openapi.json and checked by the test suite."""

from __future__ import annotations

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


def document(version: str, max_body_bytes: int) -> dict[str, Any]:
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
