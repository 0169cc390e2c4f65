"""`ops logs-check`: find the access log line of each request id in CloudWatch Logs and verify it.

An access line is a JSON object with "event": "request" (possibly after a log prefix, or inside the
"message" of a wrapper line); each request id must have exactly one, with the contract's fields.
The search waits (bounded) for CloudWatch's delivery lag.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.exceptions

from ops import OpsError, aws
from shared.contract import REQUEST_ID

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
METHOD = re.compile(r"^[A-Z]+$")
# A CloudWatch filter pattern is at most 1024 characters; ids are searched in OR-ed batches.
PATTERN_LIMIT = 1024


@dataclass
class Expected:
    """What the request looked like from the client's side (from an `ops smoke --json` file)."""

    method: str | None = None
    paths: tuple[str, ...] = ()
    status: int | None = None


@dataclass
class Found:
    records: list[dict[str, Any]] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)
    mentions: int = 0  # other lines containing the id (not access lines)


def access_record(message: str) -> dict[str, Any] | None:
    """The access-log object in a CloudWatch message, or None if the message is not one."""
    start = message.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(message[start:])
    except (ValueError, RecursionError):  # nested past what the parser follows: no access line
        return None
    candidates = [value]
    if isinstance(value, dict) and "message" in value:
        inner = value["message"]
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except (ValueError, RecursionError):
                inner = None
        candidates.append(inner)
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("event") == "request":
            return candidate
    return None


def _int(value: Any) -> bool:
    return type(value) is int


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def validate(
    record: dict[str, Any], request_id: str, expected: Expected, lambda_fields: bool, service: str | None
) -> list[str]:
    """Every way the access line breaks the contract (empty when it is right)."""
    errors = []

    def need(name: str, ok: Callable[[Any], bool], what: str) -> None:
        if name not in record:
            errors.append(f"missing {name}")
        elif not ok(record[name]):
            errors.append(f"{name} {record[name]!r} is not {what}")

    need("level", lambda v: v == "info", '"info"')
    need(
        "timestamp",
        lambda v: isinstance(v, str) and bool(RFC3339_UTC.match(v)) and _iso(v),
        "an RFC 3339 UTC timestamp",
    )
    need(
        "service",
        lambda v: isinstance(v, str) and v != "" and (service is None or v == service),
        "the service",
    )
    need("method", lambda v: isinstance(v, str) and bool(METHOD.match(v)), "an HTTP method")
    need(
        "route",
        lambda v: isinstance(v, str) and (v.startswith("/") or v == "unmatched"),
        'a route or "unmatched"',
    )
    need(
        "path", lambda v: isinstance(v, str) and v.startswith("/") and "?" not in v, "a path without a query"
    )
    need("status", lambda v: _int(v) and 100 <= v <= 599, "an integer HTTP status")
    need("duration_ms", lambda v: _number(v) and v >= 0, "a non-negative number")
    need("bytes_in", lambda v: _int(v) and v >= 0, "a non-negative integer")
    need("bytes_out", lambda v: _int(v) and v >= 0, "a non-negative integer")
    need("request_id", lambda v: v == request_id, f"{request_id!r}")
    if lambda_fields:
        need("lambda_request_id", lambda v: isinstance(v, str) and v != "", "a non-empty string")
        need("cold_start", lambda v: type(v) is bool, "a boolean")
    for name in ("body", "query", "query_string", "headers"):
        if name in record:
            errors.append(f"has a {name!r} field (access lines carry no bodies, queries or headers)")
    if expected.method is not None and record.get("method") != expected.method:
        errors.append(f"method {record.get('method')!r}, the client sent {expected.method}")
    if expected.paths and record.get("path") not in expected.paths:
        errors.append(f"path {record.get('path')!r}, the client requested {expected.paths[0]}")
    if expected.status is not None and record.get("status") != expected.status:
        errors.append(f"status {record.get('status')!r}, the client got {expected.status}")
    return errors


def _iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def from_smoke(path: Path) -> dict[str, Expected]:
    """Request ids and what the client saw, from `ops smoke --json FILE`."""
    try:
        report = json.loads(path.read_text())
        expected = {}
        for check in report["checks"]:
            if check.get("request_id"):
                paths = tuple(p for p in (check.get("url_path"), check.get("path")) if p)
                expected[check["request_id"]] = Expected(check.get("method"), paths, check.get("status"))
    except OSError as exc:
        raise OpsError(f"cannot read {path}: {exc.strerror}") from None
    except RecursionError:
        raise OpsError(f"{path} is nested too deeply to be an `ops smoke --json` report") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OpsError(f"{path} is not an `ops smoke --json` report ({type(exc).__name__}: {exc})") from None
    return expected


def batches(ids: list[str]) -> list[list[str]]:
    """Ids grouped so that each OR pattern (?"a" ?"b" ...) fits the filter pattern limit."""
    groups: list[list[str]] = []
    size = 0
    for request_id in ids:
        term = len(request_id) + 4
        if not groups or size + term > PATTERN_LIMIT:
            groups.append([])
            size = 0
        groups[-1].append(request_id)
        size += term
    return groups


class Search:
    def __init__(self, client: Any, group: str, since_ms: int) -> None:
        self.client = client
        self.group = group
        self.since_ms = since_ms

    def run(self, ids: list[str], found: dict[str, Found]) -> None:
        for batch in batches(ids):
            pattern = " ".join(f'?"{i}"' for i in batch) if len(batch) > 1 else f'"{batch[0]}"'
            with aws.errors(f"searching log group {self.group!r}"):
                try:
                    pages = self.client.get_paginator("filter_log_events").paginate(
                        logGroupName=self.group, startTime=self.since_ms, filterPattern=pattern
                    )
                    events = [event for page in pages for event in page.get("events", [])]
                except botocore.exceptions.ClientError as exc:
                    if aws.error_code(exc) == "ResourceNotFoundException":
                        raise OpsError(f"log group {self.group!r} not found") from None
                    raise
            for event in events:
                message = event.get("message", "")
                record = access_record(message)
                for request_id in batch:
                    entry = found[request_id]
                    if event.get("eventId") in entry.event_ids:
                        continue
                    if record is not None and record.get("request_id") == request_id:
                        entry.records.append(record)
                        entry.event_ids.add(event.get("eventId", ""))
                    elif request_id in message:
                        entry.mentions += 1
                        entry.event_ids.add(event.get("eventId", ""))


@dataclass
class Result:
    group: str
    lines: list[tuple[str, list[str], dict[str, Any] | None]]  # request id, errors, the access line

    @property
    def ok(self) -> bool:
        return all(not errors for _, errors, _ in self.lines)

    def text(self) -> str:
        out = [f"logs-check {self.group}: {len(self.lines)} request ids"]
        for request_id, errors, record in self.lines:
            summary = f"{record.get('method')} {record.get('path')} {record.get('status')}" if record else ""
            out.append(f"  {'ok  ' if not errors else 'FAIL'}  {request_id}  {summary}".rstrip())
            out.extend(f"        - {error}" for error in errors)
        failed = sum(bool(errors) for _, errors, _ in self.lines)
        out.append(f"{len(self.lines)} ids, {'all found and valid' if not failed else f'{failed} FAILED'}")
        return "\n".join(out)


def check(
    client: Any,
    group: str,
    expected: dict[str, Expected],
    *,
    timeout: float = 120.0,
    poll: float = 5.0,
    since_minutes: float = 60.0,
    lambda_fields: bool = True,
    service: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    bad = [i for i in expected if not REQUEST_ID.match(i)]
    if bad:
        raise OpsError(f"not a request id: {bad[0]!r} (1-128 printable characters, no space or quote)")
    if not expected:
        raise OpsError("no request ids to look for")
    search = Search(client, group, int((time.time() - since_minutes * 60) * 1000))
    found = {request_id: Found() for request_id in expected}
    deadline = clock() + timeout
    while True:
        missing = [i for i, entry in found.items() if not entry.records]
        if missing:
            search.run(missing, found)
            missing = [i for i, entry in found.items() if not entry.records]
        remaining = deadline - clock()
        if not missing or remaining <= 0:
            break
        sleep(min(poll, remaining))

    lines: list[tuple[str, list[str], dict[str, Any] | None]] = []
    for request_id, entry in found.items():
        if not entry.records:
            also = f" ({entry.mentions} other line(s) mention it)" if entry.mentions else ""
            lines.append((request_id, [f"no access line found within {timeout:g} s{also}"], None))
            continue
        record = entry.records[0]
        errors = validate(record, request_id, expected[request_id], lambda_fields, service)
        if len(entry.records) > 1:
            errors.insert(0, f"{len(entry.records)} access lines, expected exactly one")
        lines.append((request_id, errors, record))
    return Result(group, lines)
