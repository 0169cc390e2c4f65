"""`ops smoke`: check every route of the API contract against a base URL.

Each check is one request and the rules its answer must follow. Transient failures (no connection,
timeouts, 5xx and 429) are retried with backoff, but only inside the warm-up window that starts with
the run: a fresh deploy is eventually consistent, a steady 5xx afterwards is a failure.

With a bearer token (a deployment whose routes API Gateway's JWT authorizer protects), every check
but those of the public /health and /openapi.json sends it, and two more checks show that the
protected route refuses a request without a token and one with a malformed token. The token is
never printed, logged or written to the JSON report.
"""

from __future__ import annotations

import http
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops import OpsError

# What the app accepts as an incoming X-Request-ID (locally it keeps such an id).
INCOMING_ID = re.compile(r"^[A-Za-z0-9._:=+-]{1,128}$")
# Any id it sends back: on Lambda that is API Gateway's requestId (base64, so "/" occurs too).
# Printable ASCII without space, quote or backslash, so it can go into a log filter pattern.
REQUEST_ID = re.compile(r"^[!#-\[\]-~]{1,128}$")
DEFAULT_MAX_BODY_BYTES = 262144
# Routes that stay public behind a JWT authorizer: checked without the token, so protecting them fails.
PUBLIC_PATHS = ("/health", "/openapi.json")
DEFAULT_PROTECTED_ROUTE = "GET /hello"
PROTECTED_ROUTE = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/[A-Za-z0-9._~/-]*)$")
# A bearer token as HTTP allows it (RFC 6750 b64token): nothing that could break the header.
TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
# Reason phrases renamed by RFC 9110; Python 3.13 uses the new names, 3.11 the old ones.
PHRASES: dict[int, set[str]] = {
    413: {"Request Entity Too Large", "Payload Too Large", "Content Too Large"},
    422: {"Unprocessable Entity", "Unprocessable Content"},
}
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
    # False when an unknown path gets a 404 that is not the app's (API Gateway's own): then a
    # method or path without a configured route may get that 404 too.
    app_answers_unrouted: bool = True


Verify = Callable[[httpx.Response, Context], list[str]]


@dataclass
class Check:
    name: str
    method: str
    path: str
    verify: Verify
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    # Send the run's bearer token (if any). Off for the checks that must do without one.
    authorize: bool = True


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


# Rules shared by many checks


def media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def app_headers(response: httpx.Response) -> list[str]:
    """Headers the app sets on every response."""
    errors = []
    request_id = response.headers.get("x-request-id")
    if request_id is None:
        errors.append("missing X-Request-ID header")
    elif not REQUEST_ID.match(request_id):
        errors.append(f"X-Request-ID {request_id!r} is not 1-128 printable characters")
    if response.headers.get("x-content-type-options", "").strip().lower() != "nosniff":
        errors.append("missing X-Content-Type-Options: nosniff")
    directives = {d.strip().lower() for d in response.headers.get("cache-control", "").split(",")}
    if "no-store" not in directives:
        errors.append(f"Cache-Control {response.headers.get('cache-control')!r} lacks no-store")
    return errors


def status_is(response: httpx.Response, expected: int) -> list[str]:
    if response.status_code != expected:
        return [f"expected status {expected}, got {response.status_code}"]
    return []


def json_body(response: httpx.Response, errors: list[str], expected_type: str = "application/json") -> Any:
    if media_type(response) != expected_type:
        errors.append(f"expected Content-Type {expected_type}, got {response.headers.get('content-type')!r}")
    try:
        return response.json()
    except ValueError:
        errors.append(f"body is not JSON: {response.text[:80]!r}")
        return None


def success(response: httpx.Response, status: int = 200) -> tuple[list[str], Any]:
    errors = status_is(response, status) + app_headers(response)
    return errors, json_body(response, errors)


def equal_body(expected: Any) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        errors, body = success(response)
        if body is not None and body != expected:
            errors.append(f"expected body {_short(expected)}, got {_short(body)}")
        return errors

    return verify


def problem(response: httpx.Response, status: int) -> list[str]:
    """An error answer: application/problem+json with the five fields, status matching HTTP's."""
    errors = status_is(response, status) + app_headers(response)
    body = json_body(response, errors, "application/problem+json")
    if body is None:
        return errors
    if not isinstance(body, dict):
        return [*errors, f"problem body is not an object: {_short(body)}"]
    if body.get("type") != "about:blank":
        errors.append(f"problem type {body.get('type')!r}, expected 'about:blank'")
    title = body.get("title")
    phrases = reason_phrases(response.status_code)
    if not isinstance(title, str) or (phrases and title not in phrases):
        expected = " or ".join(repr(p) for p in sorted(phrases)) or "a reason phrase"
        errors.append(f"problem title {title!r}, expected {expected}")
    if type(body.get("status")) is not int or body["status"] != response.status_code:
        errors.append(
            f"problem status {body.get('status')!r} differs from HTTP status {response.status_code}"
        )
    if not isinstance(body.get("detail"), str):
        errors.append(f"problem detail {body.get('detail')!r} is not a string")
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        errors.append(f"problem request_id {request_id!r} is not a non-empty string")
    elif request_id != response.headers.get("x-request-id"):
        errors.append(f"problem request_id {request_id!r} differs from the X-Request-ID header")
    return errors


def reason_phrases(status: int) -> set[str]:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return set()
    return {phrase} | PHRASES.get(status, set())


def expect_problem(status: int) -> Verify:
    return lambda response, ctx: problem(response, status)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _gateway_404(response: httpx.Response, ctx: Context) -> bool:
    """API Gateway's own 404 for a route it does not have (only when unknown paths get it too)."""
    return (
        not ctx.app_answers_unrouted
        and response.status_code == 404
        and media_type(response) != "application/problem+json"
    )


# The checks


def verify_health(response: httpx.Response, ctx: Context) -> list[str]:
    errors, body = success(response)
    if body is None:
        return errors
    if not isinstance(body, dict) or body.get("status") != "ok":
        errors.append(f'expected {{"status": "ok", ...}}, got {_short(body)}')
    elif not isinstance(body.get("version"), str) or not body["version"]:
        errors.append(f"health version {body.get('version')!r} is not a non-empty string")
    elif ctx.expect_version is not None and body["version"] != ctx.expect_version:
        errors.append(f"health version {body['version']!r}, expected {ctx.expect_version!r}")
    return errors


def verify_head(response: httpx.Response, ctx: Context) -> list[str]:
    if _gateway_404(response, ctx):
        return []
    errors = status_is(response, 200) + app_headers(response)
    if response.content:
        errors.append(f"HEAD response has a body ({len(response.content)} bytes)")
    if media_type(response) != "application/json":
        errors.append(f"expected Content-Type application/json, got {response.headers.get('content-type')!r}")
    return errors


def verify_openapi(response: httpx.Response, ctx: Context) -> list[str]:
    errors, body = success(response)
    if body is None:
        return errors
    if not isinstance(body, dict):
        return [*errors, f"OpenAPI document is not an object: {_short(body)}"]
    if not str(body.get("openapi", "")).startswith("3.1"):
        errors.append(f"openapi {body.get('openapi')!r}, expected 3.1.x")
    if not isinstance(body.get("info"), dict) or not isinstance(body["info"].get("title"), str):
        errors.append("OpenAPI document has no info.title")
    paths: dict[str, Any] = body["paths"] if isinstance(body.get("paths"), dict) else {}
    missing = [p for p in ("/hello", "/echo", "/health") if p not in paths]
    if missing:
        errors.append(f"OpenAPI paths lack {', '.join(missing)}")
    return errors


def verify_unknown_path(response: httpx.Response, ctx: Context) -> list[str]:
    # A deployed API Gateway answers unknown routes itself ({"message":"Not Found"}), so only the
    # status is required; a problem+json answer comes from the app and must follow its rules.
    if media_type(response) == "application/problem+json":
        return problem(response, 404)
    ctx.app_answers_unrouted = False
    return status_is(response, 404)


def verify_wrong_method(response: httpx.Response, ctx: Context) -> list[str]:
    if _gateway_404(response, ctx):
        return []
    errors = problem(response, 405)
    allowed = {m.strip().upper() for m in response.headers.get("allow", "").split(",")}
    if "GET" not in allowed:
        errors.append(f"Allow header {response.headers.get('allow')!r} does not list GET")
    return errors


def verify_invalid_request_id(response: httpx.Response, ctx: Context) -> list[str]:
    errors, _ = success(response)
    if response.headers.get("x-request-id") == INVALID_REQUEST_ID:
        errors.append("an invalid incoming X-Request-ID was sent back instead of a new one")
    return errors


def cors_preflight(origin: str, method: str, request_headers: str | None = None) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        errors = []
        if response.status_code not in (200, 204):
            errors.append(f"preflight expected status 200 or 204, got {response.status_code}")
        errors += cors_origin(response, origin)
        allowed = {
            m.strip().upper() for m in response.headers.get("access-control-allow-methods", "").split(",")
        }
        if method not in allowed and "*" not in allowed:
            errors.append(f"Access-Control-Allow-Methods does not allow {method}")
        if request_headers:
            allowed = {
                h.strip().lower() for h in response.headers.get("access-control-allow-headers", "").split(",")
            }
            if request_headers not in allowed and "*" not in allowed:
                errors.append(f"Access-Control-Allow-Headers does not allow {request_headers}")
        return errors

    return verify


def cors_origin(response: httpx.Response, origin: str) -> list[str]:
    allowed = response.headers.get("access-control-allow-origin")
    if allowed not in (origin, "*"):
        return [f"Access-Control-Allow-Origin {allowed!r} does not allow {origin}"]
    return []


def cors_simple(origin: str) -> Verify:
    def verify(response: httpx.Response, ctx: Context) -> list[str]:
        return equal_body({"message": "Hello, World!"})(response, ctx) + cors_origin(response, origin)

    return verify


def verify_unauthorized(response: httpx.Response, ctx: Context) -> list[str]:
    """A protected route without a valid token: 401 from API Gateway, or the app's 401 problem."""
    if response.status_code in (200, 204):
        return [f"answered {response.status_code} without a valid token: the route is not protected"]
    if media_type(response) == "application/problem+json":
        errors = problem(response, 401)
        if not response.headers.get("www-authenticate", "").lower().startswith("bearer"):
            errors.append("the app's 401 lacks WWW-Authenticate: Bearer")
        return errors
    # API Gateway's own answer: {"message":"Unauthorized"}, no app headers.
    return status_is(response, 401)


def auth_checks(protected_route: str) -> list[Check]:
    """The protected route without a token, and with one that is not a JWT: both refused."""
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


INVALID_REQUEST_ID = "not a valid id!"
JSON = {"content-type": "application/json"}
NAME = "Ops Smoke_1.0-x"
LONGEST_NAME = "n" * 64
ECHO_VALUE: Any = {"smoke": True, "items": [1, "two", None, 3.5], "nested": {"a": {"b": []}}}
UNICODE_VALUE: Any = ["grüße", "日本", "emoji \U0001f680"]


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def checks(
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    origin: str | None = None,
    protected_route: str | None = None,
) -> list[Check]:
    """Every route of the contract; the unknown-path check runs before those that depend on it."""
    at_limit = b'"' + b"a" * (max_body_bytes - 2) + b'"'
    over_limit = b'"' + b"a" * (max_body_bytes - 1) + b'"'
    items = [
        Check("health", "GET", "/health", verify_health),
        Check("openapi", "GET", "/openapi.json", verify_openapi),
        Check("hello", "GET", "/hello", equal_body({"message": "Hello, World!"})),
        Check("hello-name", "GET", "/hello", equal_body({"message": f"Hello, {NAME}!"}), [("name", NAME)]),
        Check(
            "hello-name-64",
            "GET",
            "/hello",
            equal_body({"message": f"Hello, {LONGEST_NAME}!"}),
            [("name", LONGEST_NAME)],
        ),
        Check("hello-name-65", "GET", "/hello", expect_problem(422), [("name", "n" * 65)]),
        Check("hello-name-empty", "GET", "/hello", expect_problem(422), [("name", "")]),
        Check("hello-name-invalid", "GET", "/hello", expect_problem(422), [("name", "<script>")]),
        Check("hello-name-repeated", "GET", "/hello", expect_problem(422), [("name", "a"), ("name", "b")]),
        Check(
            "echo",
            "POST",
            "/echo",
            equal_body(ECHO_VALUE),
            headers=JSON,
            content=json.dumps(ECHO_VALUE).encode(),
        ),
        Check(
            "echo-charset",
            "POST",
            "/echo",
            equal_body(UNICODE_VALUE),
            headers={"content-type": "application/json; charset=utf-8"},
            content=json.dumps(UNICODE_VALUE, ensure_ascii=False).encode(),
        ),
        Check(
            "echo-depth-32",
            "POST",
            "/echo",
            equal_body(nested(32)),
            headers=JSON,
            content=b"[" * 32 + b"]" * 32,
        ),
        Check(
            "echo-at-limit",
            "POST",
            "/echo",
            equal_body("a" * (max_body_bytes - 2)),
            headers=JSON,
            content=at_limit,
        ),
        Check("echo-empty", "POST", "/echo", expect_problem(400), headers=JSON, content=b""),
        Check("echo-malformed", "POST", "/echo", expect_problem(400), headers=JSON, content=b'{"a": '),
        Check(
            "echo-invalid-utf8", "POST", "/echo", expect_problem(400), headers=JSON, content=b'{"a": "\xff"}'
        ),
        Check(
            "echo-depth-33", "POST", "/echo", expect_problem(400), headers=JSON, content=b"[" * 33 + b"]" * 33
        ),
        Check(
            "echo-content-type",
            "POST",
            "/echo",
            expect_problem(415),
            headers={"content-type": "text/plain"},
            content=b'{"a": 1}',
        ),
        Check("echo-too-large", "POST", "/echo", expect_problem(413), headers=JSON, content=over_limit),
        Check("unknown-path", "GET", "/smoke-unknown-path", verify_unknown_path),
        Check("wrong-method", "DELETE", "/hello", verify_wrong_method),
        Check("head-health", "HEAD", "/health", verify_head),
        Check(
            "request-id-invalid",
            "GET",
            "/health",
            verify_invalid_request_id,
            headers={"x-request-id": INVALID_REQUEST_ID},
        ),
    ]
    if protected_route:
        items += auth_checks(protected_route)
    if origin:
        items += [
            Check(
                "cors-preflight-hello",
                "OPTIONS",
                "/hello",
                cors_preflight(origin, "GET"),
                headers={"origin": origin, "access-control-request-method": "GET"},
                authorize=False,  # browsers send no credentials on a preflight
            ),
            Check(
                "cors-preflight-echo",
                "OPTIONS",
                "/echo",
                cors_preflight(origin, "POST", "content-type"),
                headers={
                    "origin": origin,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "content-type",
                },
                authorize=False,
            ),
            Check("cors-hello", "GET", "/hello", cors_simple(origin), headers={"origin": origin}),
        ]
    return items


def check_names() -> list[str]:
    return [c.name for c in checks(origin="https://example.test", protected_route=DEFAULT_PROTECTED_ROUTE)]


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
                    self.base + check.path,
                    params=tuple(check.params),
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
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    expect_version: str | None = None,
    skip: tuple[str, ...] = (),
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    retry_server_errors: bool = True,
    token: str | None = None,
    protected_route: str = DEFAULT_PROTECTED_ROUTE,
) -> Report:
    """Run every check once (retrying transient failures in the warm-up window) and report.

    `transport` replaces the network (`ops release` invokes one Lambda version with it);
    `retry_server_errors=False` reports a 5xx as it came, whatever the warm-up. With `token`, checks
    send it (not to /health and /openapi.json) and `protected_route` must refuse requests without a
    valid one.
    """
    base = base_url(url)
    unknown = set(skip) - set(check_names())
    if unknown:
        raise OpsError(f"unknown check name(s) to skip: {', '.join(sorted(unknown))}")
    if token is not None and not TOKEN.match(token):
        # Never echo it: say what is wrong, not what it is.
        raise OpsError("the bearer token must be one word of letters, digits and -._~+/ (a JWT); not shown")
    if not PROTECTED_ROUTE.match(protected_route) or protected_route.split(" ", 1)[1] in PUBLIC_PATHS:
        raise OpsError(
            f"protected route must be METHOD /path of a non-public route, e.g. GET /hello, got {protected_route!r}"
        )
    ctx = Context(run_id=uuid.uuid4().hex[:12], expect_version=expect_version)
    started = time.monotonic()
    outcomes = []
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        runner = Runner(client, base, warmup, sleep, retry_server_errors, token)
        selected = checks(max_body_bytes, origin, protected_route if token else None)
        for index, check in enumerate(c for c in selected if c.name not in skip):
            began = time.monotonic()
            response, error, attempts = runner.send(check, f"smoke-{ctx.run_id}-{index:02d}")
            elapsed_ms = (time.monotonic() - began) * 1000
            if response is None:
                if index == 0:
                    # Nothing answered during the whole warm-up: one line, not a report of failures.
                    where = shown(base)
                    raise OpsError(f"cannot reach {where}: {error} ({attempts} attempts over {warmup:g} s)")
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
            outcomes.append(
                Outcome(
                    check.name,
                    check.method,
                    check.path,
                    status,
                    errors,
                    request_id,
                    attempts,
                    elapsed_ms,
                    url_path,
                )
            )
    return Report(shown(base), outcomes, time.monotonic() - started)
