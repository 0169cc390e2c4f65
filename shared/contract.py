"""The API's contract as a client checks it: the generic rules every answer follows, and the examples
each route publishes in the API's own OpenAPI document.

The examples are the `x-contract` list of each operation in /openapi.json (app/openapi.py writes
them): a request (query, headers, body) and the answer it must get (status, and the body when it is
fixed). A client reads them from the deployed API, never from the app's code, so a new route is
checked as soon as it is deployed. The generic rules are not examples: every answer carries the
three headers, every error is an RFC 9457 problem carrying the request id.

Standard library only: `ops smoke` (over HTTP), the image check in CI (`ci.invoke_image`, a bare
python3 against the Lambda Runtime Interface Emulator) and the tests apply the same rules, the
judgements of /openapi.json and /health included.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

JSON = "application/json"
PROBLEM = "application/problem+json"
# Any request id the API sends back: locally the caller's or its own, on Lambda API Gateway's (base64,
# so "/" too). Printable ASCII without space, quote or backslash, so it can go into a log filter pattern.
REQUEST_ID = re.compile(r"^[!#-\[\]-~]{1,128}$")
# Reason phrases renamed by RFC 9110; Python 3.13 uses the new names, 3.11 the old ones.
PHRASES: dict[int, set[str]] = {
    413: {"Request Entity Too Large", "Payload Too Large", "Content Too Large"},
    422: {"Unprocessable Entity", "Unprocessable Content"},
}
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
METHODS = ("get", "put", "post", "delete", "patch")
# Routes every deployment has, which stay public behind a JWT authorizer.
PUBLIC_PATHS = ("/health", "/openapi.json")
# API Gateway HTTP APIs take payloads of at most 10 MB, not increasable (docs.aws.amazon.com/
# apigateway/latest/developerguide/http-api-quotas.html): a larger stated body limit is a mistake.
# At least 2 bytes: the smallest JSON string, "", which the body-limit checks send.
MAX_BODY_LIMIT = 10 * 1024 * 1024


class ContractError(ValueError):
    """The document's examples cannot be read: the finding is the document's, not the answer's."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, whatever carried it: httpx, a Lambda result, an ASGI call."""

    status: int
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes

    @classmethod
    def of(cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes) -> Answer:
        joined: dict[str, str] = {}
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return cls(status, joined, body)

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Example:
    """One request of a route's `x-contract` and the answer it must get."""

    name: str
    method: str  # upper case
    path: str
    query: str  # as sent, percent-encoded
    headers: dict[str, str]
    body: bytes | None
    status: int
    media_type: str  # of the answer: the documented one, or a problem for an error
    fixed_body: bool  # whether the answer's body must equal `expected`
    expected: Any = None

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Operation:
    """One operation of the document: `method` upper case, `spec` its OpenAPI operation object."""

    method: str
    path: str
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class Document:
    """What a client takes from the API's document, read once: its operations, their examples, the
    body limit (None when it states none a request could meet)."""

    operations: list[Operation]
    examples: list[Example]
    max_body_bytes: int | None


def read(document: Mapping[str, Any]) -> Document:
    """The document's operations, examples and body limit; ContractError when they cannot be read."""
    found = operations(document)
    return Document(found, _examples(found), max_body_bytes(document))


def operations(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation the document describes, in its order."""
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        raise ContractError("the document has no paths")
    return [
        Operation(method.upper(), path, operation)
        for path, item in paths.items()
        if isinstance(item, Mapping)
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, Mapping)
    ]


def examples(document: Mapping[str, Any]) -> list[Example]:
    """Every operation's examples, in the document's order."""
    return _examples(operations(document))


def _examples(found: list[Operation]) -> list[Example]:
    listed = [_example(op, entry) for op in found for entry in op.spec.get("x-contract", [])]
    names = [example.name for example in listed]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ContractError(f"example names must be unique: {', '.join(repeated)} repeated")
    return listed


def _example(operation: Operation, entry: Any) -> Example:
    where = f"{operation.method} {operation.path}"
    try:
        name, request, response = entry["name"], entry.get("request", {}), entry["response"]
        status = response["status"]
        raw = request.get("body")
        body = raw.encode() if isinstance(raw, str) else None
        if "bodyBase64" in request:
            body = base64.b64decode(request["bodyBase64"], validate=True)
        headers = {str(k).lower(): str(v) for k, v in request.get("headers", {}).items()}
        query = str(request.get("query", ""))
    except (KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise ContractError(
            f"{where}: an x-contract example is malformed ({type(exc).__name__}: {exc})"
        ) from None
    if not (isinstance(name, str) and NAME.match(name)):
        raise ContractError(f"{where}: example name {name!r} is not lower-case letters, digits and -")
    if not (isinstance(status, int) and 200 <= status <= 599):
        raise ContractError(f"{where}: example {name!r} has no HTTP status")
    media_type = PROBLEM
    if status < 400:
        content = (operation.spec.get("responses", {}).get(str(status)) or {}).get("content") or {}
        if not content:
            raise ContractError(
                f"{where}: example {name!r} expects {status}, which the operation does not document"
            )
        media_type = next(iter(content))
    return Example(
        name,
        operation.method,
        operation.path,
        query,
        headers,
        body,
        status,
        media_type,
        "body" in response,
        response.get("body"),
    )


def max_body_bytes(document: Mapping[str, Any]) -> int | None:
    """The body limit the API states (`x-max-body-bytes`), or None when it states none, or one no API
    behind API Gateway can have (see MAX_BODY_LIMIT)."""
    value = document.get("x-max-body-bytes")
    usable = isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= MAX_BODY_LIMIT
    return value if usable else None


# The generic rules


def status_is(answer: Answer, expected: int) -> list[str]:
    if answer.status != expected:
        return [f"expected status {expected}, got {answer.status}"]
    return []


def app_headers(answer: Answer) -> list[str]:
    """Headers the app sets on every answer."""
    errors = []
    request_id = answer.headers.get("x-request-id")
    if request_id is None:
        errors.append("missing X-Request-ID header")
    elif not REQUEST_ID.match(request_id):
        errors.append(f"X-Request-ID {request_id!r} is not 1-128 printable characters")
    if answer.headers.get("x-content-type-options", "").strip().lower() != "nosniff":
        errors.append("missing X-Content-Type-Options: nosniff")
    directives = {d.strip().lower() for d in answer.headers.get("cache-control", "").split(",")}
    if "no-store" not in directives:
        errors.append(f"Cache-Control {answer.headers.get('cache-control')!r} lacks no-store")
    return errors


def json_body(answer: Answer, errors: list[str], expected_type: str = JSON) -> Any:
    """The parsed body (None when it is not JSON, with the reason added to `errors`)."""
    if answer.media_type != expected_type:
        errors.append(f"expected Content-Type {expected_type}, got {answer.headers.get('content-type')!r}")
    try:
        return json.loads(answer.body)
    except ValueError:
        errors.append(f"body is not JSON: {answer.body[:80].decode('utf-8', 'replace')!r}")
        return None


def success(answer: Answer, status: int = 200) -> tuple[list[str], Any]:
    errors = status_is(answer, status) + app_headers(answer)
    return errors, json_body(answer, errors)


def reason_phrases(status: int) -> set[str]:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return set()
    return {phrase} | PHRASES.get(status, set())


def problem(answer: Answer, status: int) -> list[str]:
    """An error answer: application/problem+json with the five fields, status matching HTTP's."""
    errors = status_is(answer, status) + app_headers(answer)
    body = json_body(answer, errors, PROBLEM)
    if body is None:
        return errors
    if not isinstance(body, dict):
        return [*errors, f"problem body is not an object: {short(body)}"]
    if body.get("type") != "about:blank":
        errors.append(f"problem type {body.get('type')!r}, expected 'about:blank'")
    title = body.get("title")
    phrases = reason_phrases(answer.status)
    if not isinstance(title, str) or (phrases and title not in phrases):
        expected = " or ".join(repr(p) for p in sorted(phrases)) or "a reason phrase"
        errors.append(f"problem title {title!r}, expected {expected}")
    if type(body.get("status")) is not int or body["status"] != answer.status:
        errors.append(f"problem status {body.get('status')!r} differs from HTTP status {answer.status}")
    if not isinstance(body.get("detail"), str):
        errors.append(f"problem detail {body.get('detail')!r} is not a string")
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        errors.append(f"problem request_id {request_id!r} is not a non-empty string")
    elif request_id != answer.headers.get("x-request-id"):
        errors.append(f"problem request_id {request_id!r} differs from the X-Request-ID header")
    return errors


def openapi(answer: Answer) -> tuple[list[str], Document | None]:
    """What is wrong with the answer to GET /openapi.json, and the document read from it (None when
    its examples cannot be read: then no route example can be checked)."""
    errors, body = success(answer)
    if body is None:
        return errors, None
    if not isinstance(body, dict):
        return [*errors, f"OpenAPI document is not an object: {short(body)}"], None
    if not str(body.get("openapi", "")).startswith("3.1"):
        errors.append(f"openapi {body.get('openapi')!r}, expected 3.1.x")
    if not isinstance(body.get("info"), dict) or not isinstance(body["info"].get("title"), str):
        errors.append("OpenAPI document has no info.title")
    paths = body["paths"] if isinstance(body.get("paths"), dict) else {}
    missing = [p for p in PUBLIC_PATHS if p not in paths]
    if missing:
        errors.append(f"OpenAPI paths lack {', '.join(missing)}")
    try:
        document = read(body)
    except ContractError as exc:
        return [*errors, f"the route examples cannot be read, so none was checked: {exc}"], None
    stated = body.get("x-max-body-bytes")
    if stated is not None and document.max_body_bytes is None:
        errors.append(f"x-max-body-bytes {stated!r} is not 2 to {MAX_BODY_LIMIT} (API Gateway's 10 MB)")
    return errors, document


def health(answer: Answer, version: str | None = None) -> list[str]:
    """What is wrong with the answer to GET /health: ok, with a version (`version`, when given)."""
    errors, body = success(answer)
    if body is None:
        return errors
    if not isinstance(body, dict) or body.get("status") != "ok":
        errors.append(f'expected {{"status": "ok", ...}}, got {short(body)}')
    elif not isinstance(body.get("version"), str) or not body["version"]:
        errors.append(f"health version {body.get('version')!r} is not a non-empty string")
    elif version is not None and body["version"] != version:
        errors.append(f"health version {body['version']!r}, expected {version!r}")
    return errors


def verify(example: Example, answer: Answer) -> list[str]:
    """What is wrong with the answer to an example's request (empty when nothing is)."""
    if example.status >= 400:
        return problem(answer, example.status)
    errors = status_is(answer, example.status) + app_headers(answer)
    if example.media_type == JSON or example.media_type.endswith("+json"):
        body = json_body(answer, errors, example.media_type)
        if example.fixed_body and body is not None and body != example.expected:
            errors.append(f"expected body {short(example.expected)}, got {short(body)}")
    elif answer.media_type != example.media_type:
        errors.append(
            f"expected Content-Type {example.media_type}, got {answer.headers.get('content-type')!r}"
        )
    elif example.fixed_body and answer.body.decode("utf-8", "replace") != example.expected:
        errors.append(
            f"expected body {short(example.expected)}, got {short(answer.body.decode('utf-8', 'replace'))}"
        )
    return errors


def short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
