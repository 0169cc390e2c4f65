"""A small reference server for the API contract, and copies of it that each break one rule.

`ops smoke` must pass against the reference and fail against every broken copy, at the check that
covers the broken rule. All variants are served by one loopback server under /<variant>/..., so a
base URL with a path (like an API Gateway stage) is exercised too.
"""

from __future__ import annotations

import http
import json
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tools.emulator import free_port

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=+-]{1,128}$")
NAME = re.compile(r"^[A-Za-z0-9 _.-]{1,64}$")
MAX_BODY_BYTES = 262144
ORIGIN = "https://app.example.test"

# Each break is one deviation from the contract; the value is what it is about, for the reader.
BREAKS = {
    "health-status": 'health says "OK" instead of "ok"',
    "health-version": "health has no version",
    "hello-message": "hello greets without the comma",
    "hello-name-ignored": "hello ignores the name",
    "hello-name-long-accepted": "names of 65+ characters are accepted",
    "hello-name-empty-accepted": "an empty name is treated as no name",
    "hello-name-chars-accepted": "any characters are accepted in a name",
    "hello-name-repeated-accepted": "a repeated name takes the last value",
    "echo-wrapped": "echo wraps the value in an object",
    "echo-charset-rejected": "echo refuses application/json; charset=utf-8",
    "echo-empty-422": "an empty body is a 422, not a 400",
    "echo-malformed-500": "malformed JSON is a 500",
    "echo-utf8-lenient": "invalid UTF-8 is decoded with replacement characters",
    "echo-depth-unchecked": "nesting depth is not limited",
    "echo-depth-off-by-one": "nesting of exactly 32 is refused",
    "echo-any-content-type": "any content type is accepted",
    "echo-no-limit": "bodies over MAX_BODY_BYTES are accepted",
    "echo-limit-off-by-one": "a body of exactly MAX_BODY_BYTES is refused",
    "problem-json-type": "errors are application/json, not application/problem+json",
    "problem-status-string": 'problem status is a string ("422")',
    "problem-status-mismatch": "problem status differs from the HTTP status",
    "problem-no-request-id": "problem has no request_id",
    "problem-request-id-differs": "problem request_id differs from the X-Request-ID header",
    "problem-type": "problem type is not about:blank",
    "problem-title": "problem title is not the reason phrase",
    "problem-no-detail": "problem has no detail",
    "no-request-id": "no X-Request-ID header",
    "request-id-invalid-echoed": "an invalid incoming X-Request-ID is sent back",
    "request-id-bad-format": "generated request ids contain a space",
    "no-nosniff-on-errors": "error responses lack X-Content-Type-Options: nosniff",
    "no-store-on-success": "success responses are cacheable",
    "hello-text": "hello answers text/plain",
    "openapi-3.0": "the OpenAPI document is 3.0",
    "openapi-paths": "the OpenAPI document lacks /echo",
    "unknown-200": "an unknown path answers 200",
    "method-no-allow": "405 without an Allow header",
    "method-404": "a wrong method gets a problem+json 404",
    "method-404-plain": "a wrong method gets a plain 404 while unknown paths get problem+json",
    "head-405": "HEAD is refused",
    "health-500": "health fails with 500",
    "slow-hello": "GET /hello never answers",
}
# With JWT authorization: GET /hello and POST /echo need `Authorization: Bearer <TOKEN>`.
TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzbW9rZSJ9.c2ln"  # noqa: S105 - a made-up token
PROTECTED = {("GET", "/hello"), ("HEAD", "/hello"), ("POST", "/echo")}
AUTH_BREAKS = {
    "auth-open": "protected routes take requests without a token",
    "auth-any-token": "any bearer value is accepted, JWT or not",
    "auth-health": "/health needs a token too",
    "auth-app-no-challenge": "the app's own 401 lacks WWW-Authenticate",
}
CORS_BREAKS = {
    "cors-none": "no CORS at all",
    "cors-wrong-origin": "another origin is allowed",
    "cors-no-post": "the preflight does not allow POST",
    "cors-no-headers": "the preflight does not allow the content-type header",
    "cors-simple-missing": "the actual response lacks Access-Control-Allow-Origin",
}


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


def build(
    breaks: frozenset[str] = frozenset(), cors: bool = False, gateway: bool = False, auth: str | None = None
) -> ASGI:
    """The contract's app with the given rules broken; `cors`/`gateway` add what API Gateway does.

    `auth` protects routes: "gateway" answers 401 as API Gateway's JWT authorizer does, "app" as the
    app does when a call without a caller reaches it (a problem).
    """

    def refused(request: Request) -> bool:
        """Whether this request to a protected route lacks the one valid token."""
        protected = PROTECTED | (
            {("GET", "/health"), ("HEAD", "/health")} if "auth-health" in breaks else set()
        )
        if auth is None or "auth-open" in breaks or (request.method, request.scope["path"]) not in protected:
            return False
        sent = request.headers.get("authorization", "")
        if "auth-any-token" in breaks:
            return not sent.startswith("Bearer ")
        return sent != f"Bearer {TOKEN}"

    def problem(status: int, detail: str, request_id: str, headers: dict[str, str] | None = None) -> Response:
        body: dict[str, Any] = {
            "type": "https://example.test/error" if "problem-type" in breaks else "about:blank",
            "title": "Error" if "problem-title" in breaks else http.HTTPStatus(status).phrase,
            "status": str(status) if "problem-status-string" in breaks else status,
            "detail": detail,
            "request_id": request_id,
        }
        if "problem-status-mismatch" in breaks:
            body["status"] = 500
        if "problem-no-request-id" in breaks:
            del body["request_id"]
        if "problem-request-id-differs" in breaks:
            body["request_id"] = uuid.uuid4().hex
        if "problem-no-detail" in breaks:
            del body["detail"]
        media = "application/json" if "problem-json-type" in breaks else "application/problem+json"
        return JSONResponse(body, status, headers=headers, media_type=media)

    async def route(request: Request, path: str, request_id: str) -> Response:
        method = request.method
        if path == "/health":
            if method not in ("GET", "HEAD"):
                return problem(405, "method not allowed", request_id, {"allow": "GET, HEAD"})
            if "head-405" in breaks and method == "HEAD":
                return problem(405, "method not allowed", request_id, {"allow": "GET"})
            if "health-500" in breaks:
                return problem(500, "broken", request_id)
            body: dict[str, Any] = {"status": "OK" if "health-status" in breaks else "ok", "version": "1.2.3"}
            if "health-version" in breaks:
                del body["version"]
            return JSONResponse(body)
        if path == "/hello":
            if method not in ("GET", "HEAD"):
                if "method-404" in breaks:
                    return problem(404, "not found", request_id)
                if "method-404-plain" in breaks:
                    return Response("not found", 404)
                allow = {} if "method-no-allow" in breaks else {"allow": "GET, HEAD"}
                return problem(405, "method not allowed", request_id, allow)
            names = request.query_params.getlist("name")
            if "hello-name-repeated-accepted" in breaks:
                names = names[-1:]
            if "hello-name-empty-accepted" in breaks:
                names = [n for n in names if n]
            if len(names) > 1:
                return problem(422, "name given more than once", request_id)
            if names:
                limit = 200 if "hello-name-long-accepted" in breaks else 64
                chars = r"." if "hello-name-chars-accepted" in breaks else r"[A-Za-z0-9 _.-]"
                if not re.fullmatch(rf"{chars}{{1,{limit}}}", names[0]):
                    return problem(422, "invalid name", request_id)
            if "slow-hello" in breaks and not names:
                while (await request.receive())["type"] != "http.disconnect":
                    pass  # until the client gives up
            name = names[0] if names and "hello-name-ignored" not in breaks else "World"
            message = f"Hello {name}!" if "hello-message" in breaks else f"Hello, {name}!"
            if "hello-text" in breaks:
                return Response(json.dumps({"message": message}), media_type="text/plain")
            return JSONResponse({"message": message})
        if path == "/echo":
            if method != "POST":
                return problem(405, "method not allowed", request_id, {"allow": "POST"})
            content_type = request.headers.get("content-type", "")
            media, _, params = content_type.partition(";")
            if "echo-charset-rejected" in breaks and params:
                return problem(415, "charset not supported", request_id)
            if media.strip().lower() != "application/json" and "echo-any-content-type" not in breaks:
                return problem(415, "expected application/json", request_id)
            raw = await request.body()
            too_large = (
                len(raw) >= MAX_BODY_BYTES if "echo-limit-off-by-one" in breaks else len(raw) > MAX_BODY_BYTES
            )
            if too_large and "echo-no-limit" not in breaks:
                return problem(413, "body too large", request_id)
            if not raw:
                return problem(422 if "echo-empty-422" in breaks else 400, "empty body", request_id)
            try:
                text = raw.decode("utf-8", errors="replace" if "echo-utf8-lenient" in breaks else "strict")
            except UnicodeDecodeError:
                return problem(400, "invalid UTF-8", request_id)
            try:
                value = json.loads(text)
            except ValueError:
                if "echo-malformed-500" in breaks:
                    return problem(500, "boom", request_id)
                return problem(400, "malformed JSON", request_id)
            limit = 31 if "echo-depth-off-by-one" in breaks else 32
            if depth(value) > limit and "echo-depth-unchecked" not in breaks:
                return problem(400, "nested too deeply", request_id)
            return JSONResponse({"echo": value} if "echo-wrapped" in breaks else value)
        if path == "/openapi.json":
            paths = {"/hello": {}, "/health": {}, "/openapi.json": {}}
            if "openapi-paths" not in breaks:
                paths["/echo"] = {}
            version = "3.0.3" if "openapi-3.0" in breaks else "3.1.0"
            return JSONResponse({"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths})
        if "unknown-200" in breaks:
            return JSONResponse({"message": "anything goes"})
        return problem(404, "not found", request_id)

    def gateway_404() -> Response:
        return JSONResponse({"message": "Not Found"}, 404)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        path = scope["path"]
        origin = request.headers.get("origin")
        cors_on = cors and "cors-none" not in breaks
        allowed_origin = "https://other.example.test" if "cors-wrong-origin" in breaks else ORIGIN
        if (
            cors_on
            and request.method == "OPTIONS"
            and origin
            and "access-control-request-method" in request.headers
        ):
            headers = {
                "access-control-allow-origin": allowed_origin,
                "access-control-allow-methods": "GET" if "cors-no-post" in breaks else "GET,POST",
            }
            if "cors-no-headers" not in breaks:
                headers["access-control-allow-headers"] = "content-type"
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return
        routes = {("GET", "/health"), ("GET", "/hello"), ("POST", "/echo"), ("GET", "/openapi.json")}
        if gateway and (request.method, path) not in routes:
            await gateway_404()(scope, receive, send)
            return

        if auth == "gateway" and refused(request):
            await JSONResponse({"message": "Unauthorized"}, 401)(scope, receive, send)
            return

        incoming = request.headers.get("x-request-id", "")
        if "request-id-bad-format" in breaks:
            request_id = f"req {uuid.uuid4().hex}"
        elif REQUEST_ID.match(incoming) or ("request-id-invalid-echoed" in breaks and incoming):
            request_id = incoming
        else:
            request_id = uuid.uuid4().hex
        if auth == "app" and refused(request):
            challenge = {} if "auth-app-no-challenge" in breaks else {"www-authenticate": "Bearer"}
            response = problem(401, "this route needs a bearer token", request_id, challenge)
        else:
            response = await route(request, path, request_id)
        error = response.status_code >= 400
        if "no-request-id" not in breaks:
            response.headers["x-request-id"] = request_id
        if not (error and "no-nosniff-on-errors" in breaks):
            response.headers["x-content-type-options"] = "nosniff"
        response.headers["cache-control"] = (
            "max-age=60" if not error and "no-store-on-success" in breaks else "no-store"
        )
        if cors_on and origin and "cors-simple-missing" not in breaks:
            response.headers["access-control-allow-origin"] = allowed_origin
        await response(scope, receive, send)

    return app


def flaky(app: ASGI, failures: int, status: int = 503) -> ASGI:
    """The app behind something that answers `status` to the first `failures` requests."""
    seen = 0

    async def wrapper(scope: Scope, receive: Any, send: Any) -> None:
        nonlocal seen
        seen += 1
        if seen <= failures:
            await Response("warming up", status)(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapper


def variants(apps: dict[str, ASGI]) -> ASGI:
    """One ASGI app serving each of `apps` under /<name>."""

    async def dispatch(scope: Scope, receive: Any, send: Any) -> None:
        name, _, rest = scope["path"][1:].partition("/")
        app = apps.get(name)
        if app is None:
            await Response("no such variant", 404)(scope, receive, send)
            return
        await app({**scope, "path": "/" + rest, "raw_path": ("/" + rest).encode()}, receive, send)

    return dispatch


def all_variants() -> ASGI:
    apps: dict[str, ASGI] = {
        "ok": build(),
        "cors": build(cors=True),
        "gateway": build(cors=True, gateway=True),
    }
    apps.update({name: build(frozenset({name})) for name in BREAKS})
    apps.update({name: build(frozenset({name}), cors=True) for name in CORS_BREAKS})
    apps["auth"] = build(auth="gateway")
    apps["auth-app"] = build(auth="app")
    apps.update(
        {name: build(frozenset({name}), auth="app" if "app" in name else "gateway") for name in AUTH_BREAKS}
    )
    return variants(apps)


class ThreadServer:
    """uvicorn serving an ASGI app on a free loopback port from a background thread."""

    def __init__(self, app: ASGI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 60  # a safety net: a busy machine may be slow to start it
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
