"""The one middleware: request id, response headers, body limit, access log and metrics.

Plain ASGI rather than BaseHTTPMiddleware, which breaks contextvars and streams.
"""

from __future__ import annotations

import os
import re
import sys
import time

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.metrics import Recorder
from app.problems import problem

# A caller's id is kept only if it is short and made of characters safe in logs and headers.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+-]{1,128}")
# API Gateway's ids are base64 (so "/" too); an event's id is checked as strictly before use.
GATEWAY_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
# Set by app.handler on an event Mangum could not read: the request is refused with a 400.
ENVELOPE_ERROR = "app.envelope_error"
# nginx's "client closed request": the client left before the answer, so nothing failed here.
CLIENT_CLOSED_REQUEST = 499

log = structlog.get_logger()


def request_id_for(scope: Scope, headers: Headers) -> str:
    event = scope.get("aws.event")
    if event is not None:
        # On Lambda, API Gateway's id: the same one is in its access log and in X-Ray.
        request_id = event.get("requestContext", {}).get("requestId")
        if isinstance(request_id, str) and GATEWAY_REQUEST_ID.fullmatch(request_id):
            return request_id
    incoming = headers.get("x-request-id")
    if incoming is not None and REQUEST_ID.fullmatch(incoming):
        return incoming
    return os.urandom(16).hex()


def route_of(scope: Scope) -> Route | None:
    route = scope.get("route")
    return route if isinstance(route, Route) else None


def declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class RequestContext:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        # Metrics go wherever JSON logs go (Lambda, CI); not into a developer's console.
        self.metrics = (
            Recorder(settings.metrics_namespace, settings.service_name, settings.function_version)
            if settings.log_format == "json"
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        request_headers = Headers(scope=scope)
        request_id = request_id_for(scope, request_headers)
        scope.setdefault("state", {})["request_id"] = request_id
        limit = self.settings.max_body_bytes
        status = 500
        bytes_in = 0
        bytes_out = 0
        response_started = False
        head = scope["method"] == "HEAD"

        async def receive_limited() -> Message:
            nonlocal bytes_in
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
                if bytes_in > limit:
                    raise HTTPException(413, f"request body is larger than {limit} bytes")
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, bytes_out, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Cache-Control", "no-store")
            elif message["type"] == "http.response.body":
                if head:
                    # Starlette sends the body for HEAD too; uvicorn drops it, Mangum would not.
                    message = {**message, "body": b""}
                bytes_out += len(message.get("body", b""))
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            try:
                length = declared_length(request_headers)
                envelope_error = (scope.get("aws.event") or {}).get(ENVELOPE_ERROR)
                if envelope_error is not None:
                    response = problem(400, envelope_error, request_id)
                    await response(scope, receive, send_with_headers)
                elif length is not None and length > limit:
                    # Refused before a byte of the body is read.
                    response = problem(413, f"request body is larger than {limit} bytes", request_id)
                    await response(scope, receive, send_with_headers)
                else:
                    await self.app(scope, receive_limited, send_with_headers)
            except ClientDisconnect:
                # Gone mid-body: no one to answer, and not a server error (it must not count in
                # Errors or the 5xx class, or any client could inflate the signal releases trust).
                status = CLIENT_CLOSED_REQUEST
            except Exception:
                log.exception("unhandled_exception")
                if response_started:
                    raise  # nothing sensible can be sent any more; the server closes the connection
                response = problem(500, "the server failed to handle this request", request_id)
                await response(scope, receive, send_with_headers)
            finally:
                self.finish(scope, started, status, bytes_in, bytes_out)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    def finish(self, scope: Scope, started: float, status: int, bytes_in: int, bytes_out: int) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        route = route_of(scope)
        template = route.path if route is not None else "unmatched"
        log.info(
            "request",
            method=scope["method"],
            route=template,
            path=scope["path"],
            status=status,
            duration_ms=round(duration_ms, 3),
            bytes_in=bytes_in,
            bytes_out=bytes_out,
        )
        if self.metrics is not None:
            if route is None:
                metric_route = "unmatched"
            else:
                # Only methods the route serves become dimension values: cardinality stays bounded.
                method = scope["method"] if scope["method"] in (route.methods or ()) else "OTHER"
                metric_route = f"{method} {template}"
            cold_start = structlog.contextvars.get_contextvars().get("cold_start") is True
            # Written directly, not through the logger: LOG_LEVEL must not switch metrics off.
            sys.stdout.write(
                self.metrics.line(
                    route=metric_route, status=status, latency_ms=duration_ms, cold_start=cold_start
                )
            )
