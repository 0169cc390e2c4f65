"""AWS Lambda entry point, `app.handler.handler`: API Gateway HTTP API (payload 2.0) events only.

Everything here runs at import time, once per execution environment. Nothing used only locally
(uvicorn, test clients) is imported on this path.
"""

from __future__ import annotations

import logging
from typing import Any

from app import deferred

# What the libraries import for paths a Lambda request never takes runs only if used: app/deferred.py.
with deferred.imports():
    import structlog
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

    from app.main import app

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
    tokens = structlog.contextvars.bind_contextvars(lambda_request_id=lambda_request_id, cold_start=first)
    try:
        return adapter(event, context)
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
