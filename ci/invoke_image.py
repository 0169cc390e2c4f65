"""`python -m ci.invoke_image --url URL`: invoke the image's handler through the Runtime Interface
Emulator with API Gateway HTTP API 2.0 events and check every answer.

The Lambda base image ships the emulator: `docker run -p 127.0.0.1:9000:8080 IMAGE` and each POST of
an event to /2015-03-31/functions/function/invocations runs the handler once and returns what it
returned (or the runtime's error document). tools/image.sh runs this after starting the container.
The checks come from the image itself: its /openapi.json, then every route example in it
(shared/contract.py) and /health (with `--version`, the version the image was built with), which is
checked even when the document is not usable. /openapi.json and /health are judged as `ops smoke`
judges them (contract.openapi, contract.health).
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

from shared import contract
from shared.events import http_event, http_response, request_event

INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    verify: Callable[[contract.Answer], list[str]]


def document_case() -> Case:
    # run() judges this answer with contract.openapi itself, to keep the document it reads.
    return Case("GET /openapi.json", http_event("GET", "/openapi.json"), lambda a: contract.openapi(a)[0])


def health_case(version: str | None) -> Case:
    return Case("GET /health", http_event("GET", "/health"), lambda a: contract.health(a, version or None))


def example_case(example: contract.Example) -> Case:
    # As API Gateway passes the request: the body base64-encoded unless it is UTF-8 text of a text type.
    event = request_event(
        example.method, example.path, example.query, example.headers.items(), example.body or b""
    )
    return Case(
        f"{example.method} {example.target} ({example.name})", event, lambda a: contract.verify(example, a)
    )


def cases(document: contract.Document | None, version: str | None) -> list[Case]:
    """Every example of the document's routes (none without a document), then /health."""
    return [*(example_case(e) for e in (document.examples if document else [])), health_case(version)]


class InvokeError(Exception):
    """The emulator could not be reached or did not answer like a Lambda invocation."""


class Unreachable(InvokeError):
    """Nothing answered at the emulator's URL until the deadline."""


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
                raise Unreachable(f"no answer from {url}: {getattr(exc, 'reason', exc)}") from None
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


def answer(result: dict[str, Any]) -> contract.Answer:
    """The HTTP answer API Gateway makes of a payload 2.0 result."""
    return contract.Answer.of(*http_response(result))


def check(case: Case, result: dict[str, Any]) -> list[str]:
    """What is wrong with one invocation result (empty when it is as expected)."""
    reply = answer(result)
    return case.verify(reply) + same_request_id(case, reply)


def same_request_id(case: Case, reply: contract.Answer) -> list[str]:
    # On Lambda the request id is API Gateway's, the one in the event.
    request_id = case.event["requestContext"]["requestId"]
    if reply.headers.get("x-request-id") != request_id:
        return [f"x-request-id {reply.headers.get('x-request-id')!r}, expected {request_id!r}"]
    return []


def run(url: str, version: str | None, wait: float) -> int:
    """The document, then every example in it and /health, one verdict each."""
    deadline = time.monotonic() + wait
    results: list[bool] = []

    def report(case: Case, problems: list[str]) -> None:
        results.append(not problems)
        print(f"{'ok  ' if not problems else 'FAIL'} {case.name}" + "".join(f"\n     {p}" for p in problems))

    first = document_case()
    document: contract.Document | None = None
    reachable = True
    try:
        reply = answer(invoke(url, first.event, deadline))
        problems, document = contract.openapi(reply)
        problems += same_request_id(first, reply)
    except Unreachable as exc:
        problems, reachable = [str(exc)], False
    except InvokeError as exc:
        problems = [str(exc)]
    report(first, problems)
    # Without the document only /health is left; without an emulator, nothing.
    for case in cases(document, version) if reachable else []:
        try:
            problems = check(case, invoke(url, case.event, deadline))
        except InvokeError as exc:
            problems = [str(exc)]
        report(case, problems)
    print(f"{sum(results)} of {len(results)} checks passed")
    return 0 if all(results) else 1


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
