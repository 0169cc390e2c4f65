"""The real app, and copies of it that each break one rule of its contract (mutants).

Each mutant is the real app (`app.main.create_app`) under a thin ASGI layer (`Mutation`) that changes
one thing: the request on its way in, or the answer on its way out. `ops smoke` must pass against
the app and fail against every mutant, at exactly the checks that cover the broken rule. API
Gateway's parts (its JWT authorizer, CORS) are stood in for by two small layers of their own,
`Authorizer` and `Cors`, which can be broken the same way. Every variant is served by one loopback
server under /<variant>/..., so a base URL with a path (like an API Gateway stage) is exercised too.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.endpoints import depth
from app.main import create_app
from app.middleware import REQUEST_ID
from tools.gateway import LocalAuthorizer, local_token

VERSION = "1.2.3"
ORIGIN = "https://app.example.test"
ISSUER = "https://issuer.example.test"
AUDIENCE = "smoke"
TOKEN = local_token(ISSUER, AUDIENCE, subject="smoke")
PROTECTED_ROUTES = "GET /hello,POST /echo"


def real_app(**environ: str) -> Starlette:
    return create_app(Settings.from_env({"APP_VERSION": VERSION, "LOG_FORMAT": "console", **environ}))


LIMIT = real_app().state.openapi["x-max-body-bytes"]


# The layer


@dataclass
class Sent:
    """The request as the client sent it; a mutant may change it before the app sees it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def names(self) -> list[str]:
        return [value for key, value in parse_qsl(self.query, keep_blank_values=True) if key == "name"]

    def with_names(self, names: Iterable[str]) -> None:
        self.query = urlencode([("name", name) for name in names], quote_via=quote)


@dataclass
class Reply:
    """The app's answer; a mutant may change it before the client gets it."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def with_json(self, value: Any, status: int | None = None, media_type: str | None = None) -> Reply:
        body = json.dumps(value).encode()
        headers = {**self.headers, "content-length": str(len(body))}
        if media_type is not None:
            headers["content-type"] = media_type
        return Reply(self.status if status is None else status, headers, body)

    @property
    def is_problem(self) -> bool:
        return self.headers.get("content-type") == "application/problem+json"


HANG = Reply(0, {}, b"")  # a request the mutant never answers


@dataclass(frozen=True)
class Mutant:
    breaks: str  # the rule broken, for the reader
    request: Callable[[Sent], Reply | None] = lambda sent: None  # an answer here replaces the app's
    response: Callable[[Sent, Reply], Reply] = lambda sent, reply: reply


class Mutation:
    """The app, with one mutant between it and the client."""

    def __init__(self, app: ASGIApp, mutant: Mutant) -> None:
        self.app = app
        self.mutant = mutant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        sent = Sent(scope["method"], scope["path"], scope["query_string"].decode("latin-1"), headers, body)
        reply = self.mutant.request(sent)
        if reply is HANG:
            while (await receive())["type"] != "http.disconnect":
                pass  # until the client gives up
            return
        if reply is None:
            reply = self.mutant.response(sent, await self.call(scope, sent, receive))
        start = {"type": "http.response.start", "status": reply.status}
        start["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
        await send(start)
        await send({"type": "http.response.body", "body": reply.body})

    async def call(self, scope: Scope, sent: Sent, receive: Receive) -> Reply:
        headers = {**sent.headers, "content-length": str(len(sent.body))}
        inner = {
            **scope,
            "method": sent.method,
            "query_string": sent.query.encode("latin-1"),
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
        pending = [{"type": "http.request", "body": sent.body, "more_body": False}]
        messages: list[Message] = []

        async def inner_receive() -> Message:
            return pending.pop() if pending else await receive()

        async def inner_send(message: Message) -> None:
            messages.append(message)

        await self.app(inner, inner_receive, inner_send)
        start = next(m for m in messages if m["type"] == "http.response.start")
        answer = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
        return Reply(start["status"], names, answer)


# Small pieces the mutants are made of


def answers(method: str, path: str, change: Callable[[Reply], Reply]) -> Callable[[Sent, Reply], Reply]:
    """Change the app's successful answers to METHOD path."""

    def response(sent: Sent, reply: Reply) -> Reply:
        if sent.method == method and sent.path == path and reply.status < 400:
            return change(reply)
        return reply

    return response


def problems(change: Callable[[dict[str, Any]], None]) -> Callable[[Sent, Reply], Reply]:
    """Change the body of every problem the app answers."""

    def response(sent: Sent, reply: Reply) -> Reply:
        if not reply.is_problem:
            return reply
        body = reply.json()
        change(body)
        return reply.with_json(body)

    return response


def as_problem(reply: Reply, status: int, detail: str) -> Reply:
    """The answer made into a problem with `status` (the app's headers kept)."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": reply.headers.get("x-request-id"),
    }
    reply = reply.with_json(body, status, "application/problem+json")
    reply.headers.pop("allow", None)
    return reply


def refused(status: int, fragment: str, change: Callable[[Reply], Reply]) -> Callable[[Sent, Reply], Reply]:
    """Change the app's `status` problems whose detail has `fragment`."""

    def response(sent: Sent, reply: Reply) -> Reply:
        if reply.status == status and reply.is_problem and fragment in reply.json()["detail"]:
            return change(reply)
        return reply

    return response


def on(method: str, path: str, change: Callable[[Sent], None]) -> Callable[[Sent], Reply | None]:
    """Change the requests to METHOD path before the app sees them."""

    def request(sent: Sent) -> Reply | None:
        if sent.method == method and sent.path == path:
            change(sent)
        return None

    return request


def headers_changed(change: Callable[[Sent, Reply], None]) -> Callable[[Sent, Reply], Reply]:
    def response(sent: Sent, reply: Reply) -> Reply:
        reply = replace(reply, headers=dict(reply.headers))
        change(sent, reply)
        return reply

    return response


def set_request_id(reply: Reply, request_id: str) -> Reply:
    reply.headers["x-request-id"] = request_id
    if reply.is_problem:
        return reply.with_json({**reply.json(), "request_id": request_id})
    return reply


def echoed_invalid_id(sent: Sent, reply: Reply) -> Reply:
    incoming = sent.headers.get("x-request-id", "")
    if incoming and not REQUEST_ID.fullmatch(incoming):
        return set_request_id(reply, incoming)
    return reply


def nested_once_more(sent: Sent) -> None:
    try:
        value = json.loads(sent.body)
    except ValueError:
        return
    if depth(value) == 32:
        sent.body = b"[" + sent.body + b"]"


def with_body(sent: Sent, reply: Reply) -> Reply:
    """The request's body as a 200 application/json answer."""
    headers = {**reply.headers, "content-type": "application/json", "content-length": str(len(sent.body))}
    return Reply(200, headers, sent.body)


# The mutants: name -> one rule broken
MUTANTS = {
    "health-status": Mutant(
        'health says "OK" instead of "ok"',
        response=answers("GET", "/health", lambda r: r.with_json({**r.json(), "status": "OK"})),
    ),
    "health-version": Mutant(
        "health has no version",
        response=answers("GET", "/health", lambda r: r.with_json({"status": r.json()["status"]})),
    ),
    "hello-message": Mutant(
        "hello greets without the comma",
        response=answers(
            "GET", "/hello", lambda r: r.with_json({"message": r.json()["message"].replace(", ", " ")})
        ),
    ),
    "hello-name-ignored": Mutant(
        "hello ignores the name (but still checks it)",
        response=answers("GET", "/hello", lambda r: r.with_json({"message": "Hello, World!"})),
    ),
    "hello-name-long-accepted": Mutant(
        "names of 65+ characters are cut to 64, not refused",
        request=on("GET", "/hello", lambda sent: sent.with_names(name[:64] for name in sent.names())),
    ),
    "hello-name-empty-accepted": Mutant(
        "an empty name is treated as no name",
        request=on("GET", "/hello", lambda sent: sent.with_names(name for name in sent.names() if name)),
    ),
    "hello-name-chars-accepted": Mutant(
        "any characters are accepted in a name",
        request=on(
            "GET",
            "/hello",
            lambda sent: sent.with_names(re.sub(r"[^A-Za-z0-9 ._-]", "x", name) for name in sent.names()),
        ),
    ),
    "hello-name-repeated-accepted": Mutant(
        "a repeated name takes the last value",
        request=on("GET", "/hello", lambda sent: sent.with_names(sent.names()[-1:])),
    ),
    "echo-wrapped": Mutant(
        "echo wraps the value in an object",
        response=answers("POST", "/echo", lambda r: r.with_json({"echo": r.json()})),
    ),
    "echo-charset-rejected": Mutant(
        "echo refuses application/json; charset=utf-8",
        request=on(
            "POST",
            "/echo",
            lambda sent: (
                sent.headers.update({"content-type": "text/plain"})
                if ";" in sent.headers.get("content-type", "")
                else None
            ),
        ),
    ),
    "echo-empty-422": Mutant(
        "an empty body is a 422, not a 400",
        response=refused(400, "empty", lambda r: as_problem(r, 422, "empty")),
    ),
    "echo-malformed-500": Mutant(
        "malformed JSON is a 500",
        response=refused(400, "not valid JSON", lambda r: as_problem(r, 500, "the server failed")),
    ),
    "echo-utf8-lenient": Mutant(
        "invalid UTF-8 is decoded with replacement characters",
        request=on(
            "POST", "/echo", lambda sent: setattr(sent, "body", sent.body.decode("utf-8", "replace").encode())
        ),
    ),
    "echo-depth-unchecked": Mutant(
        "nesting depth is not limited",
        response=lambda sent, r: with_body(sent, r) if r.status == 400 and b"deeper than" in r.body else r,
    ),
    "echo-depth-off-by-one": Mutant(
        "nesting of exactly 32 is refused", request=on("POST", "/echo", nested_once_more)
    ),
    "echo-any-content-type": Mutant(
        "any content type is accepted",
        request=on("POST", "/echo", lambda sent: sent.headers.update({"content-type": "application/json"})),
    ),
    "limit-unenforced": Mutant(
        "bodies over the stated limit are accepted (the app takes twice what its document says)",
        response=answers(
            "GET", "/openapi.json", lambda r: r.with_json({**r.json(), "x-max-body-bytes": LIMIT // 2})
        ),
    ),
    "limit-off-by-one": Mutant(
        "a body of exactly the limit is refused",
        request=lambda sent: setattr(sent, "body", sent.body + b" ") if len(sent.body) == LIMIT else None,
    ),
    "problem-json-type": Mutant(
        "errors are application/json, not application/problem+json",
        response=lambda sent, r: (
            replace(r, headers={**r.headers, "content-type": "application/json"}) if r.is_problem else r
        ),
    ),
    "problem-status-string": Mutant(
        'problem status is a string ("422")',
        response=problems(lambda body: body.update(status=str(body["status"]))),
    ),
    "problem-status-mismatch": Mutant(
        "problem status differs from the HTTP status", response=problems(lambda body: body.update(status=500))
    ),
    "problem-no-request-id": Mutant(
        "problem has no request_id", response=problems(lambda body: body.pop("request_id"))
    ),
    "problem-request-id-differs": Mutant(
        "problem request_id differs from the X-Request-ID header",
        response=problems(lambda body: body.update(request_id=uuid.uuid4().hex)),
    ),
    "problem-type": Mutant(
        "problem type is not about:blank",
        response=problems(lambda body: body.update(type="https://example.test/error")),
    ),
    "problem-title": Mutant(
        "problem title is not the reason phrase", response=problems(lambda b: b.update(title="Error"))
    ),
    "problem-no-detail": Mutant("problem has no detail", response=problems(lambda body: body.pop("detail"))),
    "no-request-id": Mutant(
        "no X-Request-ID header", response=headers_changed(lambda sent, r: r.headers.pop("x-request-id"))
    ),
    "request-id-invalid-echoed": Mutant(
        "an invalid incoming X-Request-ID is sent back", response=echoed_invalid_id
    ),
    "request-id-bad-format": Mutant(
        "request ids contain a space",
        response=lambda sent, r: set_request_id(r, f"req {r.headers['x-request-id']}"),
    ),
    "no-nosniff-on-errors": Mutant(
        "error responses lack X-Content-Type-Options: nosniff",
        response=headers_changed(
            lambda sent, r: r.headers.pop("x-content-type-options") if r.status >= 400 else None
        ),
    ),
    "no-store-on-success": Mutant(
        "success responses are cacheable",
        response=headers_changed(
            lambda sent, r: r.headers.update({"cache-control": "max-age=60"}) if r.status < 400 else None
        ),
    ),
    "hello-text": Mutant(
        "hello answers text/plain",
        response=answers(
            "GET", "/hello", lambda r: replace(r, headers={**r.headers, "content-type": "text/plain"})
        ),
    ),
    "openapi-3.0": Mutant(
        "the OpenAPI document is 3.0",
        response=answers("GET", "/openapi.json", lambda r: r.with_json({**r.json(), "openapi": "3.0.3"})),
    ),
    "openapi-no-health": Mutant(
        "the OpenAPI document lacks /health",
        response=answers(
            "GET",
            "/openapi.json",
            lambda r: r.with_json(
                {**r.json(), "paths": {p: i for p, i in r.json()["paths"].items() if p != "/health"}}
            ),
        ),
    ),
    "unknown-200": Mutant(
        "an unknown path answers 200",
        response=lambda sent, r: (
            r.with_json({"message": "anything goes"}, 200, "application/json") if r.status == 404 else r
        ),
    ),
    "method-no-allow": Mutant(
        "405 without an Allow header",
        response=headers_changed(lambda sent, r: r.headers.pop("allow") if r.status == 405 else None),
    ),
    "method-404": Mutant(
        "a wrong method gets a problem+json 404",
        response=lambda sent, r: as_problem(r, 404, "not found") if r.status == 405 else r,
    ),
    "method-404-plain": Mutant(
        "a wrong method gets a plain 404 while unknown paths get problem+json",
        response=lambda sent, r: (
            Reply(404, {**r.headers, "content-type": "text/plain", "content-length": "9"}, b"not found")
            if r.status == 405
            else r
        ),
    ),
    "head-405": Mutant(
        "HEAD is refused",
        request=lambda sent: setattr(sent, "method", "DELETE") if sent.method == "HEAD" else None,
    ),
    "health-500": Mutant(
        "health fails with 500",
        response=lambda sent, r: as_problem(r, 500, "the server failed") if sent.path == "/health" else r,
    ),
    "slow-hello": Mutant(
        "GET /hello never answers",
        request=lambda sent: HANG if (sent.method, sent.path, sent.query) == ("GET", "/hello", "") else None,
    ),
}


# API Gateway's parts


class Authorizer:
    """API Gateway's JWT authorizer and Mangum as the app sees them: the claims of a valid token in
    `scope["aws.event"]`. With `refuse`, a protected route without a valid token gets API Gateway's
    own 401; without it, such a request reaches the app, which answers 401 itself."""

    def __init__(self, app: ASGIApp, *, refuse: bool, breaks: str | None = None) -> None:
        self.app = app
        self.refuse = refuse
        self.breaks = breaks
        routes = set(PROTECTED_ROUTES.split(","))
        if breaks == "auth-health":
            routes |= {"GET /health", "HEAD /health"}
        self.authorizer = LocalAuthorizer(ISSUER, [AUDIENCE], routes)

    def claims(self, authorization: str) -> dict[str, str] | None:
        if self.breaks == "auth-open" or (
            self.breaks == "auth-any-token" and authorization.startswith("Bearer ")
        ):
            return {"sub": "anyone"}
        return self.authorizer.claims(authorization)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        claims = self.claims(authorization)
        if claims is None and self.refuse and self.authorizer.protects(scope["method"], scope["path"]):
            await JSONResponse({"message": "Unauthorized"}, 401)(scope, receive, send)
            return
        if claims is not None:
            scope = {**scope, "aws.event": {"requestContext": {"authorizer": {"jwt": {"claims": claims}}}}}
        await self.app(scope, receive, send)


class Cors:
    """API Gateway's CORS: it answers preflights itself and adds Access-Control-Allow-Origin."""

    def __init__(self, app: ASGIApp, breaks: str | None = None) -> None:
        self.app = app
        self.breaks = breaks
        self.origin = "https://other.example.test" if breaks == "cors-wrong-origin" else ORIGIN

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if self.breaks == "cors-none" or "origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            allow = {
                "access-control-allow-origin": self.origin,
                "access-control-allow-methods": "GET" if self.breaks == "cors-no-post" else "GET,POST",
            }
            if self.breaks != "cors-no-headers":
                allow["access-control-allow-headers"] = "content-type"
            await Response(status_code=204, headers=allow)(scope, receive, send)
            return

        async def with_origin(message: Message) -> None:
            if message["type"] == "http.response.start" and self.breaks != "cors-simple-missing":
                extra = [(b"access-control-allow-origin", self.origin.encode())]
                message = {**message, "headers": [*message["headers"], *extra]}
            await send(message)

        await self.app(scope, receive, with_origin)


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
NO_CHALLENGE = Mutant(
    AUTH_BREAKS["auth-app-no-challenge"],
    response=headers_changed(lambda sent, r: r.headers.pop("www-authenticate") if r.status == 401 else None),
)


def flaky(app: ASGIApp, failures: int, status: int = 503) -> ASGIApp:
    """The app behind something that answers `status` to the first `failures` requests."""
    seen = 0

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal seen
        seen += 1
        if seen <= failures:
            await Response("warming up", status)(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapper


def variants(apps: dict[str, ASGIApp]) -> ASGIApp:
    """One ASGI app serving each of `apps` under /<name>."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        name, _, rest = scope["path"][1:].partition("/")
        app = apps.get(name)
        if app is None:
            await Response("no such variant", 404)(scope, receive, send)
            return
        await app({**scope, "path": "/" + rest, "raw_path": ("/" + rest).encode()}, receive, send)

    return dispatch


@dataclass
class Served:
    """Every variant: the app, a mutant of it per rule, and API Gateway's parts, plain and broken."""

    apps: dict[str, ASGIApp] = field(default_factory=dict)

    def __post_init__(self) -> None:
        app = real_app()
        protected = real_app(PROTECTED_ROUTES=PROTECTED_ROUTES)
        self.apps["ok"] = app
        self.apps.update({name: Mutation(app, mutant) for name, mutant in MUTANTS.items()})
        self.apps["cors"] = Cors(app)
        self.apps.update({name: Cors(app, name) for name in CORS_BREAKS})
        self.apps["auth"] = Authorizer(protected, refuse=True)
        self.apps["auth-app"] = Authorizer(protected, refuse=False)
        for name in ("auth-open", "auth-any-token", "auth-health"):
            self.apps[name] = Authorizer(protected, refuse=True, breaks=name)
        self.apps["auth-app-no-challenge"] = Authorizer(Mutation(protected, NO_CHALLENGE), refuse=False)


def all_variants() -> ASGIApp:
    return variants(Served().apps)
