"""`python -m tools.gateway`: serve the app through its Lambda handler, the way API Gateway does.

Each HTTP request becomes an API Gateway HTTP API payload 2.0 event, goes to `app.handler.handler`
with a Lambda-like context, and the handler's result becomes the HTTP response. One worker thread
runs the handler, like one Lambda execution environment serving one request at a time. This is what
`make up` serves; it exercises the code path the image runs, without Docker or AWS.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from tools.lambda_events import LambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/x-www-form-urlencoded")


def to_event(scope: Scope, body: bytes) -> dict[str, Any]:
    """An HTTP API payload 2.0 event for this request, shaped like AWS's documented sample."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:  # API Gateway joins repeated headers with commas
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_query = scope["query_string"].decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value  # joined, as API Gateway does
    now = time.time()
    request_id = base64.b64encode(secrets.token_bytes(12)).decode()  # the shape of API Gateway's ids
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    content_type = headers.get("content-type", "")
    is_text = content_type.startswith(TEXT_TYPES)
    try:
        text = body.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text = None
    client = scope.get("client") or ("127.0.0.1", 0)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": scope["method"],
                "path": scope["path"],
                "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                "sourceIp": client[0],
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
        event["isBase64Encoded"] = text is None
    return event


def from_result(result: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the HTTP response for a payload 2.0 handler result."""
    headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in result["headers"].items()]
    headers += [(b"set-cookie", cookie.encode("latin-1")) for cookie in result.get("cookies", [])]
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return int(result["statusCode"]), headers, body


def _new_event_loop() -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())


class LambdaGateway:
    """ASGI app that forwards every HTTP request to a Lambda handler."""

    def __init__(self, handler: Handler, max_body_bytes: int, function_name: str = "local-function") -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes  # the app's MAX_BODY_BYTES
        self.function_name = function_name
        # One worker with its own event loop: Mangum drives the app with loop.run_until_complete.
        self.worker = ThreadPoolExecutor(max_workers=1, initializer=_new_event_loop)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "run with lifespan off"
        # Read no more than the app accepts: past its limit, what is read is enough for its 413 (a
        # declared Content-Length over it, forwarded, is refused with nothing read at all).
        declared = dict(scope["headers"]).get(b"content-length", b"")
        body = bytearray()
        more = not (declared.isdigit() and int(declared) > self.max_body_bytes)
        while more and len(body) <= self.max_body_bytes:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        context = LambdaContext(function_name=self.function_name)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.worker, self.handler, to_event(scope, bytes(body)), context)
        status, headers, payload = from_result(result)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gateway", description="Serve the app through its Lambda handler."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (default: 8080)")
    args = parser.parse_args(argv)

    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "local-function")  # the app logs as it does on Lambda
    import uvicorn

    from app.handler import handler
    from app.main import settings

    uvicorn.run(
        LambdaGateway(handler, settings.max_body_bytes, os.environ["AWS_LAMBDA_FUNCTION_NAME"]),
        host=args.host,
        port=args.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
