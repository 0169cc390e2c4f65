"""`python -m tools.gateway`: serve the app through its Lambda handler, the way API Gateway does.

Each HTTP request becomes an API Gateway HTTP API payload 2.0 event, goes to `app.handler.handler`
with a Lambda-like context, and the handler's result becomes the HTTP response. One worker thread
runs the handler, like one Lambda execution environment serving one request at a time. This is what
`make up` serves; it exercises the code path the image runs, without Docker or AWS.

With `--protected-route` (and `--jwt-issuer`, `--jwt-audience`) it stands in for API Gateway's JWT
authorizer too: a protected route needs `Authorization: Bearer <JWT>` whose `iss`, `aud` (or
`client_id`) and `exp` hold, else 401 `{"message":"Unauthorized"}` as API Gateway answers; the
token's claims go into the event. Signatures and scopes are NOT checked (there is no identity
provider here): local use only. `--mapping-key` says where the API is mapped, as on a custom domain, so the route
is found under it; the path reaches the handler with the key, as API Gateway sends it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope, Send

from shared.events import LambdaContext, http_response, request_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def to_event(scope: Scope, body: bytes, claims: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP API payload 2.0 event for this request, shaped like AWS's documented sample."""
    client = scope.get("client") or ("127.0.0.1", 0)
    return request_event(
        scope["method"],
        (scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        scope["query_string"].decode("latin-1"),
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]],
        body,
        request_id=base64.b64encode(secrets.token_bytes(12)).decode(),  # the shape of API Gateway's ids
        source_ip=client[0],
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        claims=claims,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def local_token(issuer: str, audience: str, subject: str = "local-user", ttl_s: int = 12 * 3600) -> str:
    """A JWT this gateway accepts (its signature is a placeholder: nothing here checks one)."""
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "local"}).encode())
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + ttl_s}
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{_b64url(b'not-signed')}"


def _claim_text(value: Any) -> str:
    # API Gateway hands every claim on as a string; arrays read "[a b]".
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class LocalAuthorizer:
    """API Gateway's JWT authorizer for the protected routes, minus the signature check."""

    issuer: str | None
    audiences: Collection[str]
    routes: Collection[str]
    mapping_key: str = ""

    def route_key(self, method: str, path: str) -> str:
        prefix = f"/{self.mapping_key}" if self.mapping_key else ""
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :] or "/"
        return f"{method} {path}"

    def protects(self, method: str, path: str) -> bool:
        key = self.route_key(method, path)
        return key in self.routes or f"ANY {key.split(' ', 1)[1]}" in self.routes

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        """The token's claims when it passes, else None (API Gateway: 401)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or token.count(".") != 2:
            return None
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(claims, dict):
            return None
        audience = claims.get("aud", claims.get("client_id"))
        named = set(audience) if isinstance(audience, list) else {audience}
        if self.issuer is not None and claims.get("iss") != self.issuer:
            return None
        if self.audiences and not named & set(self.audiences):
            return None
        expiry = claims.get("exp")
        if not isinstance(expiry, int | float) or expiry <= time.time():
            return None
        return {key: _claim_text(value) for key, value in claims.items()}


def _new_event_loop() -> None:
    asyncio.set_event_loop(asyncio.new_event_loop())


class LambdaGateway:
    """ASGI app that forwards every HTTP request to a Lambda handler."""

    def __init__(
        self,
        handler: Handler,
        max_body_bytes: int,
        function_name: str = "local-function",
        authorizer: LocalAuthorizer | None = None,
    ) -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes  # the app's MAX_BODY_BYTES
        self.function_name = function_name
        self.authorizer = authorizer
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
        claims = None
        if self.authorizer is not None and self.authorizer.protects(scope["method"], scope["path"]):
            received = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            claims = self.authorizer.claims(received.get("authorization"))
            if claims is None:
                unauthorized = b'{"message":"Unauthorized"}'
                headers_out = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(unauthorized)).encode()),
                    (b"www-authenticate", b'Bearer scope="" error="invalid_token"'),  # as API Gateway says
                ]
                await send({"type": "http.response.start", "status": 401, "headers": headers_out})
                await send({"type": "http.response.body", "body": unauthorized})
                return
        context = LambdaContext(function_name=self.function_name)
        loop = asyncio.get_running_loop()
        event = to_event(scope, bytes(body), claims)
        result = await loop.run_in_executor(self.worker, self.handler, event, context)
        status, headers, payload = http_response(result)
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gateway", description="Serve the app through its Lambda handler."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind (default: 8080)")
    parser.add_argument("--mapping-key", default="", help="the custom domain's API mapping key, e.g. v1")
    parser.add_argument(
        "--protected-route", action="append", default=[], metavar="ROUTE", help="route key needing a JWT"
    )
    parser.add_argument("--jwt-issuer", help="the iss a token must carry")
    parser.add_argument("--jwt-audience", action="append", default=[], metavar="AUD", help="an accepted aud")
    args = parser.parse_args(argv)
    authorizer = (
        LocalAuthorizer(args.jwt_issuer, args.jwt_audience, args.protected_route, args.mapping_key.strip("/"))
        if args.protected_route
        else None
    )

    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "local-function")  # the app logs as it does on Lambda
    import uvicorn

    from app.handler import handler
    from app.main import settings

    uvicorn.run(
        LambdaGateway(handler, settings.max_body_bytes, os.environ["AWS_LAMBDA_FUNCTION_NAME"], authorizer),
        host=args.host,
        port=args.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
