"""`ops logs-check` against CloudWatch Logs in moto: found, malformed, missing, late, duplicated lines."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import logs
from tests.ops.conftest import FakeClock, OpsRunner

pytestmark = pytest.mark.emulator


def access_line(request_id: str, **changes: Any) -> dict[str, Any]:
    line = {
        "event": "request",
        "level": "info",
        "timestamp": "2026-11-29T02:49:00.366941Z",
        "service": "lambda-api",
        "method": "GET",
        "route": "/hello",
        "path": "/hello",
        "status": 200,
        "duration_ms": 0.8,
        "bytes_in": 0,
        "bytes_out": 27,
        "request_id": request_id,
        "lambda_request_id": str(uuid.uuid4()),
        "cold_start": False,
    }
    line.update(changes)
    return {k: v for k, v in line.items() if v is not DROP}


DROP = object()


class LogGroup:
    def __init__(self, name: str) -> None:
        self.name = name
        self.client = boto3.client("logs")
        self.client.create_log_group(logGroupName=name)
        self.client.create_log_stream(logGroupName=name, logStreamName="s")

    def put(self, *messages: str | dict[str, Any]) -> None:
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": m if isinstance(m, str) else json.dumps(m)} for m in messages]
        self.client.put_log_events(logGroupName=self.name, logStreamName="s", logEvents=events)


@pytest.fixture
def group(aws_env: dict[str, str]) -> LogGroup:
    return LogGroup(f"/aws/lambda/ops-{uuid.uuid4().hex[:8]}")


FAST = ("--timeout", "0.3", "--poll", "0.1")


def test_valid_lines_pass(group: LogGroup, ops: OpsRunner) -> None:
    group.put(
        access_line("JhT3fhkQIAMEVfA="),
        access_line("ab/cd+ef==", route="unmatched", path="/nope", status=404),
        # The EMF line and a platform line of the same request are not access lines.
        {"_aws": {}, "event": "metrics", "level": "info", "Service": "lambda-api"},
        "START RequestId: 1f2e Version: 3",
    )
    result = ops(
        "logs-check", "--log-group", group.name, "--request-id", "JhT3fhkQIAMEVfA=", "ab/cd+ef==", *FAST
    )
    assert result.code == 0, result.out
    assert "ok    JhT3fhkQIAMEVfA=  GET /hello 200" in result.out
    assert "ok    ab/cd+ef==  GET /nope 404" in result.out
    assert "2 ids, all found and valid" in result.out


def test_wrapped_and_prefixed_lines_are_found(group: LogGroup) -> None:
    # Lambda's JSON log format can wrap a line in {"message": ...}; its text format prefixes fields.
    wrapped = {"timestamp": "x", "level": "INFO", "requestId": "r", "message": json.dumps(access_line("w-1"))}
    group.put(wrapped, "2026-11-29T02:49:00Z\tr\tINFO\t" + json.dumps(access_line("p-1")))
    result = logs.check(
        boto3.client("logs"),
        group.name,
        {"w-1": logs.Expected(), "p-1": logs.Expected()},
        timeout=0.3,
        poll=0.1,
    )
    assert result.ok, result.text()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"status": "200"}, "status '200' is not an integer HTTP status"),
        ({"bytes_out": DROP}, "missing bytes_out"),
        ({"duration_ms": "fast"}, "duration_ms 'fast' is not a non-negative number"),
        ({"timestamp": "2026-11-29 02:49:00"}, "is not an RFC 3339 UTC timestamp"),
        ({"timestamp": "2026-11-29T03:49:00+01:00"}, "is not an RFC 3339 UTC timestamp"),
        ({"level": "debug"}, "level 'debug' is not \"info\""),
        ({"route": "hello"}, 'is not a route or "unmatched"'),
        ({"path": "/hello?name=secret"}, "is not a path without a query"),
        ({"method": "get"}, "is not an HTTP method"),
        ({"bytes_in": True}, "bytes_in True is not a non-negative integer"),
        ({"cold_start": "no"}, "cold_start 'no' is not a boolean"),
        ({"lambda_request_id": DROP}, "missing lambda_request_id"),
        ({"service": ""}, "service '' is not the service"),
        ({"body": "{}"}, "has a 'body' field"),
    ],
)
def test_malformed_line_fails(group: LogGroup, ops: OpsRunner, changes: dict[str, Any], error: str) -> None:
    group.put(access_line("good-1"), access_line("bad-1", **changes))
    result = ops("logs-check", "--log-group", group.name, "--request-id", "good-1", "bad-1", *FAST)
    assert result.code == 1
    assert "ok    good-1" in result.out
    assert "FAIL  bad-1" in result.out
    assert error in result.out
    assert "1 FAILED" in result.out


def expect(*request_ids: str) -> dict[str, logs.Expected]:
    return {request_id: logs.Expected() for request_id in request_ids}


def test_missing_line_fails_after_a_bounded_wait(group: LogGroup) -> None:
    group.put(access_line("here-1"), "request here-2 took a while")  # mentions here-2, not an access line
    clock = FakeClock()
    result = logs.check(
        group.client, group.name, expect("here-1", "here-2", "gone-1"), timeout=120, poll=5,
        clock=clock, sleep=clock.sleep,
    )  # fmt: skip
    assert not result.ok
    # It polled every 5 s for its whole timeout, then gave up.
    assert clock.slept == [5.0] * 24
    text = result.text()
    assert "FAIL  here-2\n        - no access line found within 120 s (1 other line(s) mention it)" in text
    assert "FAIL  gone-1\n        - no access line found within 120 s\n" in text
    assert "2 FAILED" in text


def test_waits_for_a_late_line(group: LogGroup) -> None:
    clock = FakeClock()
    clock.at(30, lambda: group.put(access_line("late-1")))
    result = logs.check(
        group.client, group.name, expect("late-1"), timeout=120, poll=5, clock=clock, sleep=clock.sleep
    )
    assert result.ok, result.text()
    assert clock.now == 30  # found at the first poll after the line arrived, not at the timeout


def test_the_command_reports_a_missing_line_and_exits_1(group: LogGroup, ops: OpsRunner) -> None:
    result = ops("logs-check", "--log-group", group.name, "--request-id", "gone-1", *FAST)
    assert result.code == 1
    assert "FAIL  gone-1\n        - no access line found within 0.3 s\n" in result.out


def test_duplicate_lines_fail(group: LogGroup, ops: OpsRunner) -> None:
    group.put(access_line("twice-1"), access_line("twice-1"))
    result = ops("logs-check", "--log-group", group.name, "--request-id", "twice-1", *FAST)
    assert result.code == 1
    assert "2 access lines, expected exactly one" in result.out


def test_lambda_fields_can_be_waived(group: LogGroup, ops: OpsRunner) -> None:
    group.put(access_line("local-1", lambda_request_id=DROP, cold_start=DROP))
    args = ("--log-group", group.name, "--request-id", "local-1", *FAST)
    assert ops("logs-check", *args).code == 1
    assert ops("logs-check", *args, "--no-lambda-fields").code == 0


def test_service_name_is_checked(group: LogGroup, ops: OpsRunner) -> None:
    group.put(access_line("svc-1"))
    args = ("--log-group", group.name, "--request-id", "svc-1", *FAST)
    assert ops("logs-check", *args, "--service", "lambda-api").code == 0
    assert ops("logs-check", *args, "--service", "other").code == 1


def test_smoke_json_expectations(group: LogGroup, ops: OpsRunner, tmp_path: Path) -> None:
    report = {
        "checks": [
            {
                "request_id": "sm-1",
                "method": "GET",
                "path": "/hello",
                "url_path": "/prod/hello",
                "status": 200,
            },
            {"request_id": "sm-2", "method": "POST", "path": "/echo", "url_path": "/echo", "status": 400},
            {"request_id": None, "method": "OPTIONS", "path": "/hello", "url_path": "/hello", "status": 204},
        ]
    }
    path = tmp_path / "smoke.json"
    path.write_text(json.dumps(report))
    group.put(
        access_line("sm-1"), access_line("sm-2", method="POST", route="/echo", path="/echo", status=200)
    )
    result = ops("logs-check", "--log-group", group.name, "--smoke-json", str(path), *FAST)
    assert result.code == 1
    assert "ok    sm-1" in result.out
    assert "status 200, the client got 400" in result.out


def test_missing_log_group_is_one_line(aws_env: dict[str, str], ops: OpsRunner) -> None:
    result = ops("logs-check", "--log-group", "/aws/lambda/absent", "--request-id", "x-1", *FAST)
    assert result.code == 2
    assert result.err == "ops logs-check: error: log group '/aws/lambda/absent' not found\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--request-id", 'a"b'], "not a request id"),
        ([], "no request ids to look for"),
        (["--smoke-json", "/nonexistent/smoke.json"], "cannot read /nonexistent/smoke.json"),
    ],
)
def test_bad_input_is_one_line(
    aws_env: dict[str, str], ops: OpsRunner, args: list[str], message: str
) -> None:
    result = ops("logs-check", "--log-group", "/aws/lambda/x", *args, *FAST)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1


def test_not_a_smoke_report_is_one_line(aws_env: dict[str, str], ops: OpsRunner, tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"something": "else"}')
    result = ops("logs-check", "--log-group", "/aws/lambda/x", "--smoke-json", str(path))
    assert result.code == 2
    assert "is not an `ops smoke --json` report" in result.err


def test_many_ids_are_searched_in_batches() -> None:
    ids = [f"id-{n:04d}-{'x' * 40}" for n in range(60)]
    groups = logs.batches(ids)
    assert len(groups) > 1
    assert [i for g in groups for i in g] == ids
    assert all(len(" ".join(f'?"{i}"' for i in g)) <= logs.PATTERN_LIMIT for g in groups)


DEEP = "[" * 60_000 + "]" * 60_000


def test_a_deeply_nested_smoke_report_is_one_line(
    aws_env: dict[str, str], ops: OpsRunner, tmp_path: Path
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    result = ops("logs-check", "--log-group", "/aws/lambda/x", "--smoke-json", str(path))
    assert result.code == 2
    assert (
        result.err
        == f"ops logs-check: error: {path} is nested too deeply to be an `ops smoke --json` report\n"
    )


def test_a_deeply_nested_log_line_fails_only_its_own_id(group: LogGroup, ops: OpsRunner) -> None:
    group.put(access_line("fine-1"), '{"event": "request", "request_id": "deep-1", "x": ' + DEEP + "}")
    result = ops("logs-check", "--log-group", group.name, "--request-id", "fine-1", "deep-1", *FAST)
    assert result.code == 1, result.err
    assert "ok    fine-1  GET /hello 200" in result.out
    assert (
        "FAIL  deep-1\n        - no access line found within 0.3 s (1 other line(s) mention it)" in result.out
    )
