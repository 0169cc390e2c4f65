"""Two ways to send one request: straight into the ASGI app, and through the Lambda handler.

Contract tests run on both, so the laptop and Lambda cannot drift apart.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import astuple, dataclass
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope

from shared.events import LambdaContext, http_event


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    cookies: list[str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Request:
    method: str
    path: str  # as sent, percent-encoded
    query: str
    headers: dict[str, str]
    body: bytes | None
    cookies: list[str]


class Transport:
    """Sends one request, given as keywords, and returns the reply."""

    name: str

    def __call__(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        cookies: list[str] | None = None,
    ) -> Reply:
        return self.send(Request(method, path, query, headers or {}, body, cookies or []))

    def send(self, request: Request) -> Reply:
        raise NotImplementedError


class Asgi(Transport):
    """Calls the ASGI app with a scope built by hand: no client library normalises the request."""

    name = "asgi"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def send(self, request: Request) -> Reply:
        method, path, query, headers, body, cookies = astuple(request)
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
        if body is not None and "content-length" not in (headers or {}):
            raw_headers.append((b"content-length", str(len(body)).encode()))
        if cookies:
            raw_headers.append((b"cookie", "; ".join(cookies).encode("latin-1")))
        pending = [{"type": "http.request", "body": body or b"", "more_body": False}]

        async def receive() -> Message:
            return pending.pop() if pending else {"type": "http.disconnect"}

        messages = drive(self.app, http_scope(method, path, query, raw_headers), receive)
        start = next(m for m in messages if m["type"] == "http.response.start")
        collected: dict[str, list[str]] = {}
        for key, value in start["headers"]:
            collected.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        payload = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        return Reply(
            status=start["status"],
            headers={k: ", ".join(v) for k, v in collected.items() if k != "set-cookie"},
            body=payload,
            cookies=collected.get("set-cookie", []),
        )


def http_scope(
    method: str, path: str, query: str = "", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    """The ASGI scope of a request from a client on loopback; `path` as sent (percent-encoded)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "root_path": "",
        "query_string": query.encode("latin-1"),
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def drive(app: ASGIApp, scope: Scope, receive: Receive) -> list[Message]:
    """Run one request through an ASGI app; the messages it sent."""
    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    # A private loop: asyncio.run would unset the thread's loop, which Mangum relies on.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(app(scope, receive, record))
    finally:
        loop.close()
    return messages


def ensure_event_loop() -> None:
    """Mangum drives the app on the thread's current loop, which it sets up at import. A test that
    ran asyncio.run() in this process since has unset it; the Lambda runtime never does that."""
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


class Lambda(Transport):
    """Calls `app.handler.handler` with an API Gateway HTTP API 2.0 event, as AWS does."""

    name = "lambda"

    def __init__(self, base64_bodies: bool = False) -> None:
        from app.handler import handler

        self.handler = handler
        self.base64_bodies = base64_bodies
        self.last_event: dict[str, Any] | None = None

    def send(self, request: Request) -> Reply:
        method, path, query, headers, body, cookies = astuple(request)
        text_ok = True
        if body is not None:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                text_ok = False
        event = http_event(
            method,
            path,
            query=query,
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            base64_body=self.base64_bodies or not text_ok,
            cookies=cookies,
        )
        self.last_event = event
        result = self.handler(event, LambdaContext())
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
        return Reply(
            status=result["statusCode"],
            headers={k.lower(): v for k, v in result.get("headers", {}).items()},
            body=payload,
            cookies=result.get("cookies", []),
        )
