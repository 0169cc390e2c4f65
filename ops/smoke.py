"""`ops smoke`: check the API contract against a base URL.

The checks come from the API itself: after `GET /health`, `GET /openapi.json` gives the route
examples (each operation's `x-contract`, shared/contract.py reads them) and the body limit; every
example is one check, so a new route is checked with no change here. The generic rules follow:
unknown path, wrong method, HEAD, request ids, the body limit, and with options authorization and
CORS. Transient failures (no connection, timeouts, 5xx and 429) are retried with backoff, but only
inside the warm-up window that starts with the run: a fresh deploy is eventually consistent, a steady
5xx afterwards is a failure.

With a bearer token (a deployment whose routes API Gateway's JWT authorizer protects), every check
but those of the public /health and /openapi.json sends it, and two more checks show that the
protected route refuses a request without a token and one with a malformed token. The token is
never printed, logged or written to the JSON report.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops import OpsError
from shared import contract
from shared.contract import PUBLIC_PATHS, REQUEST_ID, Answer

PROTECTED_ROUTE = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9._~/-]*)$")
# A bearer token as HTTP allows it (RFC 6750 b64token): nothing that could break the header.
TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MAX_BACKOFF = 5.0
# The user:password@ part of a URL's authority (up to its last "@", before any "/", "?" or "#"),
# wherever a URL occurs in a text.
USERINFO = re.compile(r"//[^/?#\s'\"]*@")
# The warm-up window is measured on this clock; the tests put in one they control.
clock = time.monotonic


@dataclass
class Context:
    """What earlier checks learnt about the deployment, for the checks that depend on it."""

    run_id: str
    expect_version: str | None = None
    # From GET /openapi.json: its operations, examples and body limit, once they could be read.
    document: contract.Document | None = None


Verify = Callable[[httpx.Response, Context], list[str]]


@dataclass
class Check:
    name: str
    method: str
    path: str
    verify: Verify
    query: str = ""  # as sent, percent-encoded
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    # Send the run's bearer token (if any). Off for the checks that must do without one.
    authorize: bool = True
    # Why the check cannot be made: it fails with this, and nothing is sent.
    unmet: str | None = None


@dataclass
class Outcome:
    name: str
    method: str
    path: str
    status: int | None
    errors: list[str]
    request_id: str | None
    attempts: int
    elapsed_ms: float
    url_path: str

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Report:
    base_url: str
    outcomes: list[Outcome]
    duration_s: float

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def request_ids(self) -> list[str]:
        return [o.request_id for o in self.outcomes if o.request_id]

    def text(self) -> str:
        width = max(len(o.name) for o in self.outcomes)
        path_width = max(len(o.path) for o in self.outcomes)
        lines = [f"smoke {self.base_url}: {len(self.outcomes)} checks"]
        for o in self.outcomes:
            status = str(o.status) if o.status is not None else "---"
            verdict = "ok  " if o.ok else "FAIL"
            line = f"  {verdict}  {o.name:<{width}}  {o.method:<7} {o.path:<{path_width}}  {status}"
            line += f" {o.elapsed_ms:6.0f} ms  {o.request_id or '-'}"
            if o.attempts > 1:
                line += f"  ({o.attempts} attempts)"
            lines.append(line)
            lines.extend(f"        - {error}" for error in o.errors)
        failed = sum(not o.ok for o in self.outcomes)
        verdict = "all passed" if not failed else f"{failed} FAILED"
        lines.append(f"{len(self.outcomes)} checks, {verdict} in {self.duration_s:.2f} s")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "ok": self.ok,
            "duration_s": round(self.duration_s, 3),
            "checks": [
                {
                    "name": o.name,
                    "ok": o.ok,
                    "method": o.method,
                    "path": o.path,
                    "url_path": o.url_path,
                    "status": o.status,
                    "errors": o.errors,
                    "request_id": o.request_id,
                    "attempts": o.attempts,
                    "elapsed_ms": round(o.elapsed_ms, 1),
                }
                for o in self.outcomes
            ],
            # Requests the app answered (they carry its X-Request-ID): each has an access log line.
            "request_ids": self.request_ids,
        }


# Rules shared by many checks (the generic ones are shared/contract.py's)


def answer(response: httpx.Response) -> Answer:
    return Answer.of(response.status_code, response.headers.multi_items(), response.content)


def expect_problem(status: int) -> Verify:
    return lambda response, ctx: contract.problem(answer(response), status)


def expect_example(example: contract.Example) -> Verify:
    return lambda response, ctx: contract.verify(example, answer(response))


def allowed(response: httpx.Response, header: str) -> set[str]:
    return {m.strip().upper() for m in response.headers.get(header, "").split(",")}


# The checks


def verify_health(response: httpx.Response, ctx: Context) -> list[str]:
    return contract.health(answer(response), ctx.expect_version)


def verify_openapi(response: httpx.Response, ctx: Context) -> list[str]:
    """The document, and in it what the other checks need: the examples and the body limit."""
    errors, ctx.document = contract.openapi(answer(response))
    return errors


def verify_unknown_path(response: httpx.Response, ctx: Context) -> list[str]:
    return contract.problem(answer(response), 404)


def wrong_method(path: str, methods: set[str]) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        errors = contract.problem(answer(response), 405)
        missing = methods - allowed(response, "allow")
        if missing:
            errors.append(
                f"Allow header {response.headers.get('allow')!r} does not list {', '.join(sorted(missing))}"
            )
        return errors

    return verify


def verify_head(response: httpx.Response, ctx: Context) -> list[str]:
    head = answer(response)
    errors = contract.status_is(head, 200) + contract.app_headers(head)
    if response.content:
        errors.append(f"HEAD response has a body ({len(response.content)} bytes)")
    if head.media_type != contract.JSON:
        errors.append(f"expected Content-Type application/json, got {response.headers.get('content-type')!r}")
    return errors


def verify_invalid_request_id(response: httpx.Response, ctx: Context) -> list[str]:
    errors, _ = contract.success(answer(response))
    if response.headers.get("x-request-id") == INVALID_REQUEST_ID:
        errors.append("an invalid incoming X-Request-ID was sent back instead of a new one")
    return errors


def verify_not_too_large(response: httpx.Response, ctx: Context) -> list[str]:
    """A body of exactly the limit is not refused for its size (what the route makes of it is its own)."""
    reply = answer(response)
    if reply.status == 413:
        return ["a body of exactly x-max-body-bytes was refused as too large (413)"]
    return contract.app_headers(reply) + (
        contract.problem(reply, reply.status) if reply.status >= 400 else []
    )


def cors_preflight(origin: str, method: str, request_headers: str | None = None) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        errors = []
        if response.status_code not in (200, 204):
            errors.append(f"preflight expected status 200 or 204, got {response.status_code}")
        errors += cors_origin(response, origin)
        methods = allowed(response, "access-control-allow-methods")
        if method not in methods and "*" not in methods:
            errors.append(f"Access-Control-Allow-Methods does not allow {method}")
        if request_headers:
            headers = {h.lower() for h in allowed(response, "access-control-allow-headers")}
            if request_headers not in headers and "*" not in headers:
                errors.append(f"Access-Control-Allow-Headers does not allow {request_headers}")
        return errors

    return verify


def cors_origin(response: httpx.Response, origin: str) -> list[str]:
    allowed_origin = response.headers.get("access-control-allow-origin")
    if allowed_origin not in (origin, "*"):
        return [f"Access-Control-Allow-Origin {allowed_origin!r} does not allow {origin}"]
    return []


def cors_simple(origin: str) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        return verify_health(response, ctx) + cors_origin(response, origin)

    return verify


def verify_unauthorized(response: httpx.Response, ctx: Context) -> list[str]:
    """A protected route without a valid token: 401 from API Gateway, or the app's 401 problem."""
    if response.status_code in (200, 204):
        return [f"answered {response.status_code} without a valid token: the route is not protected"]
    if answer(response).media_type == contract.PROBLEM:
        errors = contract.problem(answer(response), 401)
        if not response.headers.get("www-authenticate", "").lower().startswith("bearer"):
            errors.append("the app's 401 lacks WWW-Authenticate: Bearer")
        return errors
    # API Gateway's own answer: {"message":"Unauthorized"}, no app headers.
    return contract.status_is(answer(response), 401)


def auth_checks(protected_route: str | None) -> list[Check]:
    """The protected route without a token, and with one that is not a JWT: both refused."""
    if protected_route is None:
        unmet = (
            "a bearer token was given, but /openapi.json marks no operation as protected (security) "
            "and no --protected-route names one"
        )
        return [Check(name, "-", "-", verify_unauthorized, unmet=unmet) for name in AUTH_CHECKS]
    method, path = protected_route.split(" ", 1)
    sends_body = method in ("POST", "PUT", "PATCH")
    headers = dict(JSON) if sends_body else {}
    content = b"{}" if sends_body else None
    malformed = {**headers, "authorization": "Bearer not-a-jwt"}
    return [
        Check(
            "auth-missing",
            method,
            path,
            verify_unauthorized,
            headers=headers,
            content=content,
            authorize=False,
        ),
        Check(
            "auth-malformed",
            method,
            path,
            verify_unauthorized,
            headers=malformed,
            content=content,
            authorize=False,
        ),
    ]


AUTH_CHECKS = ("auth-missing", "auth-malformed")
INVALID_REQUEST_ID = "not a valid id!"
JSON = {"content-type": "application/json"}


def first_checks() -> list[Check]:
    """The API is up and describes itself: what every other check is made from."""
    return [
        Check("health", "GET", "/health", verify_health),
        Check("openapi", "GET", "/openapi.json", verify_openapi),
    ]


def checks(document: contract.Document | None, origin: str | None = None, protected_route: str | None = None,
           token: bool = False) -> list[Check]:  # fmt: skip
    """Every example of the document's routes, then the generic rules (those needing the document
    only when it could be read)."""
    found = document.operations if document is not None else []
    items = [
        Check(e.name, e.method, e.path, expect_example(e), e.query, e.headers, e.body)
        for e in (document.examples if document is not None else [])
    ]
    limit = document.max_body_bytes if document is not None else None
    takes_json = [
        (op.method, op.path)
        for op in found
        if JSON["content-type"] in (op.spec.get("requestBody") or {}).get("content", {})
    ]
    if limit is not None and takes_json:
        method, path = takes_json[0]
        items += [
            Check("body-at-limit", method, path, verify_not_too_large, headers=JSON,
                  content=b'"' + b"a" * (limit - 2) + b'"'),
            Check("body-over-limit", method, path, expect_problem(413), headers=JSON,
                  content=b'"' + b"a" * (limit - 1) + b'"'),
        ]  # fmt: skip
    items.append(Check("unknown-path", "GET", "/smoke-unknown-path", verify_unknown_path))
    if found:
        path = found[0].path
        methods = {op.method for op in found if op.path == path}
        other = next(m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in methods)
        items.append(Check("wrong-method", other, path, wrong_method(path, methods)))
    items += [
        Check("head-health", "HEAD", "/health", verify_head),
        Check("request-id-invalid", "GET", "/health", verify_invalid_request_id,
              headers={"x-request-id": INVALID_REQUEST_ID}),
    ]  # fmt: skip
    if token:
        if protected_route is None:
            marked = [f"{op.method} {op.path}" for op in found if op.spec.get("security")]
            protected_route = marked[0] if marked else None
        items += auth_checks(protected_route)
    if origin:
        for op in found:
            sends = "content-type" if op.spec.get("requestBody") else None
            headers = {"origin": origin, "access-control-request-method": op.method}
            if sends:
                headers["access-control-request-headers"] = sends
            name = f"cors-preflight-{op.spec.get('operationId') or op.path.strip('/').replace('/', '-')}"
            # Browsers send no credentials on a preflight.
            items.append(Check(name, "OPTIONS", op.path, cors_preflight(origin, op.method, sends),
                               headers=headers, authorize=False))  # fmt: skip
        items.append(Check("cors-simple", "GET", "/health", cors_simple(origin), headers={"origin": origin}))
    return items


def shown(url: str) -> str:
    """The URL as printed and written to reports: credentials in it (user:password@) masked."""
    return USERINFO.sub("//***@", url)


def base_url(url: str) -> str:
    """The base URL without a trailing slash; only http(s) URLs with a host and no query."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise OpsError(f"invalid base URL {shown(url)!r}: {shown(str(exc))}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OpsError(f"base URL must be http(s)://host[:port][/path], got {shown(url)!r}")
    if parsed.query or parsed.fragment:
        raise OpsError(f"base URL must not have a query or fragment, got {shown(url)!r}")
    return url.rstrip("/")


def describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    reason = str(exc) or type(exc).__name__
    # httpx wraps OS errors: "[Errno 111] Connection refused" reads better without the number.
    return re.sub(r"^\[Errno -?\d+\]\s*", "", reason)


class Runner:
    """Sends the checks one by one; retries transient failures while the warm-up window is open."""

    def __init__(
        self,
        client: httpx.Client,
        base: str,
        warmup: float,
        sleep: Callable[[float], None],
        retry_server_errors: bool = True,
        token: str | None = None,
    ) -> None:
        self.client = client
        self.base = base
        self.warmup_ends = clock() + warmup
        self.sleep = sleep
        self.retry_server_errors = retry_server_errors
        self.authorization = {"authorization": f"Bearer {token}"} if token else {}

    def retryable(self, status: int) -> bool:
        return status == 429 or (status >= 500 and self.retry_server_errors)

    def credentials(self, check: Check) -> dict[str, str]:
        """The bearer token, except where a check must do without: public routes keep public."""
        if not check.authorize or check.path in PUBLIC_PATHS:
            return {}
        return self.authorization

    def send(self, check: Check, request_id: str) -> tuple[httpx.Response | None, str | None, int]:
        delay = 0.2
        attempts = 0
        while True:
            attempts += 1
            # A fresh id per attempt: the app keeps it, and each attempt has its own access line.
            attempt_id = request_id if attempts == 1 else f"{request_id}.{attempts}"
            headers = {"x-request-id": attempt_id, **self.credentials(check), **check.headers}
            response: httpx.Response | None = None
            error: str | None = None
            try:
                response = self.client.request(
                    check.method,
                    self.base + check.path + (f"?{check.query}" if check.query else ""),
                    headers=headers,
                    content=check.content,
                )
            except httpx.TransportError as exc:
                error = describe(exc)
            if response is not None and not self.retryable(response.status_code):
                return response, None, attempts
            remaining = self.warmup_ends - clock()
            if remaining <= 0:
                return response, error, attempts
            self.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_BACKOFF)


def run(
    url: str,
    *,
    origin: str | None = None,
    timeout: float = 10.0,
    warmup: float = 60.0,
    expect_version: str | None = None,
    skip: tuple[str, ...] = (),
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    retry_server_errors: bool = True,
    token: str | None = None,
    protected_route: str | None = None,
) -> Report:
    """Run every check once (retrying transient failures in the warm-up window) and report.

    `transport` replaces the network (`ops release` invokes one Lambda version with it);
    `retry_server_errors=False` reports a 5xx as it came, whatever the warm-up. With `token`, checks
    send it (not to /health and /openapi.json) and `protected_route` (by default the first operation
    /openapi.json marks as protected) must refuse requests without a valid one.
    """
    base = base_url(url)
    if token is not None and not TOKEN.match(token):
        # Never echo it: say what is wrong, not what it is.
        raise OpsError("the bearer token must be one word of letters, digits and -._~+/ (a JWT); not shown")
    if protected_route is not None and (
        not PROTECTED_ROUTE.match(protected_route) or protected_route.split(" ", 1)[1] in PUBLIC_PATHS
    ):
        raise OpsError(
            f"protected route must be METHOD /path of a non-public route, e.g. GET /hello, got {protected_route!r}"
        )
    if "openapi" in skip:
        raise OpsError(
            "the openapi check cannot be skipped: the other checks are made from the document it reads"
        )
    ctx = Context(run_id=uuid.uuid4().hex[:12], expect_version=expect_version)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        runner = Runner(client, base, warmup, sleep, retry_server_errors, token)

        def make(check: Check) -> None:
            if check.unmet is not None:
                outcomes.append(
                    Outcome(check.name, check.method, check.path, None, [check.unmet], None, 0, 0.0, "")
                )
                return
            began = time.monotonic()
            response, error, attempts = runner.send(check, f"smoke-{ctx.run_id}-{len(outcomes):02d}")
            elapsed_ms = (time.monotonic() - began) * 1000
            if response is None:
                if not outcomes:
                    # Nothing answered during the whole warm-up: one line, not a report of failures.
                    raise OpsError(
                        f"cannot reach {shown(base)}: {error} ({attempts} attempts over {warmup:g} s)"
                    )
                errors = [f"request failed: {error}"]
                status = request_id = None
                url_path = ""
            else:
                errors = check.verify(response, ctx)
                status = response.status_code
                # Only the app's own answers carry a valid X-Request-ID and have an access log line.
                request_id = response.headers.get("x-request-id")
                if request_id is not None and not REQUEST_ID.match(request_id):
                    request_id = None
                url_path = response.url.path
            outcome = Outcome(check.name, check.method, check.path, status, errors, request_id, attempts,
                              elapsed_ms, url_path)  # fmt: skip
            outcomes.append(outcome)

        first = first_checks()
        for check in first:
            if check.name not in skip:
                make(check)
        if ctx.document is None and outcomes and outcomes[-1].name == "openapi":
            outcomes[-1].errors.append("without the document, no route example was checked")
        later = checks(ctx.document, origin, protected_route, token is not None)
        unknown = set(skip) - {c.name for c in first + later}
        if unknown:
            raise OpsError(
                f"unknown check name(s) to skip: {', '.join(sorted(unknown))} "
                f"(this API's: {', '.join(c.name for c in first + later)})"
            )
        for check in later:
            if check.name not in skip:
                make(check)
    return Report(shown(base), outcomes, time.monotonic() - started)
