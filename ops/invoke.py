"""Requests to one published Lambda version, sent as API Gateway would send them.

`VersionTransport` is an httpx transport: each request becomes an HTTP API payload 2.0 event
(shared/events.py, the shape of AWS's documented sample), goes to the version with Lambda's
Invoke API (`Qualifier` = the version number, never an alias), and the function's answer becomes the
response. `ops release` runs its smoke checks through it, so every check reaches the new version:
through the weighted alias nine in ten would reach the stable one. API Gateway itself (routes,
authorizers, throttling) is not in the path; the smoke through the API after the release covers it.

Nothing is retried: a version that fails answers with an error, which is the finding.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ops import OpsError, aws
from shared.events import EXECUTE_API_DOMAIN, http_response, request_event

# A host that never resolves (RFC 2606): the transport answers every request itself.
BASE_URL = "https://version.lambda.invalid"


class FunctionError(httpx.TransportError):
    """The version did not answer (init error, unhandled exception, timeout): API Gateway's 500."""


def to_event(request: httpx.Request, body: bytes) -> dict[str, Any]:
    """The event API Gateway would send for the request, at the API's own endpoint (no mapping key)."""
    path, _, query = request.url.raw_path.decode("ascii").partition("?")
    return request_event(
        request.method, path, query, request.headers.multi_items(), body, domain_name=EXECUTE_API_DOMAIN
    )


def to_response(request: httpx.Request, result: Any) -> httpx.Response:
    status, headers, content = http_response(result)
    return httpx.Response(status, headers=headers, content=content, request=request)


class VersionTransport(httpx.BaseTransport):
    """Every request invokes `function` at `version`; the answer must come from that version."""

    def __init__(self, client: Any, function: str, version: str) -> None:
        self.client = client
        self.function = function
        self.version = version

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        event = to_event(request, request.read())
        with aws.errors(f"invoking version {self.version} of {self.function!r}"):
            answer = self.client.invoke(
                FunctionName=self.function, Qualifier=self.version, Payload=json.dumps(event).encode()
            )
        executed = answer.get("ExecutedVersion")
        if executed != self.version:
            raise OpsError(f"an invocation of version {self.version} was answered by version {executed}")
        payload = answer["Payload"].read()
        if answer.get("FunctionError"):
            try:
                error = json.loads(payload)
                reason = f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}"
            except (ValueError, AttributeError):
                reason = payload[:200].decode("utf-8", "replace")
            raise FunctionError(f"version {self.version} failed ({answer['FunctionError']}): {reason}")
        try:
            result = json.loads(payload)
        except ValueError:
            raise FunctionError(f"version {self.version} answered with invalid JSON") from None
        return to_response(request, result)
