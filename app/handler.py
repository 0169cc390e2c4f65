"""AWS Lambda entry point, `app.handler.handler`: API Gateway HTTP API (payload 2.0) events only.

Everything here runs at import time, once per execution environment. Nothing used only locally
(uvicorn, test clients) is imported on this path.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

import structlog
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.handlers.utils import get_server_and_port

from app.auth import subject_of
from app.main import app
from app.middleware import ENVELOPE_ERROR

# Problem bodies are text too: without this Mangum would base64-encode them.
adapter = Mangum(app, lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"])
# The app's middleware writes the one access line per request; Mangum's own would repeat it.
logging.getLogger("mangum.http").setLevel(logging.WARNING)
log = structlog.get_logger()
cold_start = True


class UnsupportedEvent(ValueError):
    """The function was invoked with something other than an API Gateway HTTP API 2.0 event."""


def is_http_api_event(event: object) -> bool:
    return (
        isinstance(event, dict)
        and event.get("version") == "2.0"
        and isinstance(event.get("requestContext"), dict)
        and isinstance(event["requestContext"].get("http"), dict)
        and isinstance(event["requestContext"]["http"].get("method"), str)
    )


def _text(value: object) -> bool:
    """A string Mangum can encode (a JSON event can carry lone surrogates, which UTF-8 cannot)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def envelope_error(event: dict[str, Any]) -> str | None:
    """What in an HTTP API event Mangum cannot read (it would raise), or None when it can read it all.

    API Gateway never sends such an event, but anything may invoke the function, and the local
    gateway passes on what a client sends (its Host header, say): the answer is a 400, not a crash.
    """
    http = event["requestContext"]["http"]
    for name in ("path", "sourceIp"):
        if not _text(http.get(name)):
            return f"requestContext.http.{name} must be a string"
    headers = event.get("headers", {})
    if not isinstance(headers, dict) or not all(_text(k) and _text(v) for k, v in headers.items()):
        return "headers must be an object of strings"
    cookies = event.get("cookies")
    if cookies is not None and not (isinstance(cookies, list) and all(map(_text, cookies))):
        return "cookies must be a list of strings"
    if not _text(event.get("rawQueryString", "")):
        return "rawQueryString must be a string"
    encoded, body = event.get("isBase64Encoded", False), event.get("body")
    if not isinstance(encoded, bool):
        return "isBase64Encoded must be true or false"
    if body is not None and not _text(body):
        return "body must be a string"
    if encoded and body:
        try:
            base64.b64decode(body, validate=True)
        except binascii.Error:
            return "body is not valid base64 (isBase64Encoded is true)"
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        get_server_and_port(lowered)  # Mangum's own parsing of Host and X-Forwarded-Port
    except ValueError:
        if ":" in lowered.get("host", ""):
            return "the Host header is not host[:port]"
        return "the X-Forwarded-Port header is not a port number"
    return None


def readable(event: dict[str, Any], reason: str) -> dict[str, Any]:
    """The same request reduced to what Mangum can read, marked for the middleware to refuse."""
    context = event["requestContext"]
    http = context["http"]
    return {
        "version": "2.0",
        "requestContext": {
            **context,
            "http": {
                "method": http["method"],
                "path": http["path"] if _text(http.get("path")) else "/",
                "sourceIp": "",
            },
        },
        "isBase64Encoded": False,
        ENVELOPE_ERROR: f"malformed API Gateway event: {reason}",
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global cold_start
    first, cold_start = cold_start, False
    lambda_request_id = getattr(context, "aws_request_id", None)
    if not is_http_api_event(event):
        # Fail fast and say why: Mangum would otherwise guess at the shape or raise a bare error.
        log.error(
            "unsupported_event",
            detail="expected an API Gateway HTTP API payload format 2.0 event",
            event_type=type(event).__name__,
            event_keys=sorted(str(key) for key in event)[:20] if isinstance(event, dict) else None,
            lambda_request_id=lambda_request_id,
            cold_start=first,
        )
        raise UnsupportedEvent("expected an API Gateway HTTP API payload format 2.0 event")
    # The caller API Gateway's JWT authorizer vouched for, on every line of this request (never the token).
    subject = subject_of(event)
    caller = {"subject": subject} if subject else {}
    tokens = structlog.contextvars.bind_contextvars(
        lambda_request_id=lambda_request_id, cold_start=first, **caller
    )
    try:
        reason = envelope_error(event)
        if reason is not None:
            log.warning("malformed_event", detail=reason)
            event = readable(event, reason)
        return adapter(event, context)
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
