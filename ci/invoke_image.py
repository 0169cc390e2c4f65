"""`python -m ci.invoke_image --url URL`: invoke the image's handler through the Runtime Interface
Emulator with API Gateway HTTP API 2.0 events and check every answer.

The Lambda base image ships the emulator: `docker run -p 127.0.0.1:9000:8080 IMAGE` and each POST of
an event to /2015-03-31/functions/function/invocations runs the handler once and returns what it
returned (or the runtime's error document). tools/image.sh runs this after starting the container.
Standard library only, so it runs with any python3 on a CI runner.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.events import http_event

INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    status: int
    content_type: str
    check_body: Callable[[Any], bool]
    expected: str


def cases(version: str | None) -> list[Case]:
    echoed = {"items": [1, 2.5, "three", None, True], "nested": {"ok": True}}
    health_ok: Callable[[Any], bool] = (
        (lambda body: body == {"status": "ok", "version": version})
        if version
        else (lambda body: body.get("status") == "ok")
    )
    return [
        Case(
            "GET /hello",
            http_event("GET", "/hello"),
            200,
            "application/json",
            lambda body: body == {"message": "Hello, World!"},
            '{"message": "Hello, World!"}',
        ),
        Case(
            "GET /hello?name=Lambda",
            http_event("GET", "/hello", query="name=Lambda"),
            200,
            "application/json",
            lambda body: body == {"message": "Hello, Lambda!"},
            '{"message": "Hello, Lambda!"}',
        ),
        Case(
            "POST /echo",
            http_event(
                "POST",
                "/echo",
                headers={"content-type": "application/json"},
                body=json.dumps(echoed).encode(),
            ),
            200,
            "application/json",
            lambda body: body == echoed,
            "the same JSON value",
        ),
        Case(
            "POST /echo (malformed JSON)",
            http_event("POST", "/echo", headers={"content-type": "application/json"}, body=b"{not json"),
            400,
            "application/problem+json",
            lambda body: body.get("status") == 400,
            "a problem document with status 400",
        ),
        Case(
            "GET /health",
            http_event("GET", "/health"),
            200,
            "application/json",
            health_ok,
            f'{{"status": "ok", "version": "{version}"}}' if version else '{"status": "ok", ...}',
        ),
    ]


class InvokeError(Exception):
    """The emulator could not be reached or did not answer like a Lambda invocation."""


def invoke(url: str, event: dict[str, Any], deadline: float) -> dict[str, Any]:
    """POST one event; retry only while the emulator is not yet listening."""
    data = json.dumps(event).encode()
    while True:
        # http(s) only: main() refuses any other scheme.
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
            break
        except urllib.error.HTTPError as exc:
            raise InvokeError(f"the emulator answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
        except (urllib.error.URLError, ConnectionError) as exc:
            if time.monotonic() > deadline:
                raise InvokeError(f"no answer from {url}: {getattr(exc, 'reason', exc)}") from None
            time.sleep(0.25)
    try:
        result = json.loads(raw)
    except ValueError:
        raise InvokeError(f"the invocation result is not JSON: {raw[:200]!r}") from None
    if not isinstance(result, dict):
        raise InvokeError(f"the invocation result is not an object: {raw[:200]!r}")
    if "errorType" in result or "errorMessage" in result:
        raise InvokeError(f"the function failed: {result.get('errorType')}: {result.get('errorMessage')}")
    return result


def check(case: Case, result: dict[str, Any]) -> list[str]:
    """What is wrong with one invocation result (empty when it is as expected)."""
    problems = []
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    if result.get("statusCode") != case.status:
        problems.append(f"status {result.get('statusCode')}, expected {case.status}")
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if content_type != case.content_type:
        problems.append(f"content-type {content_type!r}, expected {case.content_type!r}")
    request_id = case.event["requestContext"]["requestId"]
    if headers.get("x-request-id") != request_id:
        problems.append(f"x-request-id {headers.get('x-request-id')!r}, expected {request_id!r}")
    try:
        body = json.loads(result.get("body") or "")
    except ValueError:
        problems.append(f"body is not JSON: {str(result.get('body'))[:200]!r}")
    else:
        if not (isinstance(body, dict) and case.check_body(body)):
            problems.append(f"body {json.dumps(body)[:200]}, expected {case.expected}")
    return problems


def run(url: str, version: str | None, wait: float) -> int:
    deadline = time.monotonic() + wait
    failures = 0
    for case in cases(version):
        try:
            problems = check(case, invoke(url, case.event, deadline))
        except InvokeError as exc:
            problems = [str(exc)]
        failures += bool(problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {case.name}" + "".join(f"\n     {p}" for p in problems))
    total = len(cases(version))
    print(f"{total - failures} of {total} checks passed")
    return 1 if failures else 0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.invoke_image", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help=f"emulator invocation URL (…{INVOCATIONS_PATH})")
    parser.add_argument("--version", help="the APP_VERSION the image was built with (checked on /health)")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the emulator")
    return parser


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        cli.error(f"--url must be an http(s) URL, not {args.url!r}")
    return run(args.url, args.version, args.wait)


if __name__ == "__main__":
    sys.exit(main())
