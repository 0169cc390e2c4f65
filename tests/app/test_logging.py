"""Logs and metrics as a machine reads them: parsed JSON lines from real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.app.test_handler import run_lambda
from tests.conftest import Server, serve, stop

ACCESS_FIELDS = {
    "event",
    "level",
    "timestamp",
    "service",
    "method",
    "route",
    "path",
    "status",
    "duration_ms",
    "bytes_in",
    "bytes_out",
    "request_id",
}


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def after_request(server: Server, request_id: str) -> list[dict[str, object]]:
    """All records, once the access line and metrics of `request_id` are written."""

    def written(records: list[dict[str, object]]) -> bool:
        index = next((i for i, r in enumerate(records) if r.get("request_id") == request_id), None)
        return index is not None and any(r.get("event") == "metrics" for r in records[index:])

    return server.records(written)


def test_every_line_uvicorn_and_app_write_is_json(live_app: Server) -> None:
    request(f"{live_app.url}/hello")
    lines = [line for line in live_app.lines() if line.strip()]
    assert lines
    for line in lines:
        record = json.loads(line)
        assert "level" in record
        assert "timestamp" in record or "Timestamp" in record["_aws"]  # EMF carries its own
    assert any(record.get("logger") == "uvicorn.error" for record in map(json.loads, lines))


def test_one_access_line_per_request_with_its_id_and_no_payload(live_app: Server) -> None:
    status, headers = request(
        f"{live_app.url}/echo?token=s3cr3t-query",
        data=b'{"password": "hunter2"}',
        headers={"Content-Type": "application/json", "X-Request-ID": "log-test-1"},
    )
    assert status == 200
    assert headers["x-request-id"] == "log-test-1"
    records = [r for r in after_request(live_app, "log-test-1") if r.get("request_id") == "log-test-1"]
    access = [r for r in records if r.get("event") == "request"]
    assert len(access) == 1
    line = access[0]
    assert set(line) >= ACCESS_FIELDS
    assert line["method"] == "POST"
    assert line["route"] == "/echo"
    assert line["path"] == "/echo"
    assert line["status"] == 200
    assert line["bytes_in"] == 23
    assert line["bytes_out"] == 23
    assert isinstance(line["duration_ms"], float)
    assert str(line["timestamp"]).endswith("Z")
    raw = "\n".join(live_app.lines())
    assert "hunter2" not in raw
    assert "s3cr3t-query" not in raw


def test_emf_record_for_each_request(live_app: Server) -> None:
    request(f"{live_app.url}/nope", headers={"X-Request-ID": "emf-test-1"})
    records = after_request(live_app, "emf-test-1")
    access_index = next(i for i, r in enumerate(records) if r.get("request_id") == "emf-test-1")
    emf = next(r for r in records[access_index:] if r.get("event") == "metrics")
    directive = emf["_aws"]["CloudWatchMetrics"][0]  # type: ignore[index]
    assert directive["Namespace"] == "LambdaApi"
    assert ["Service", "Route"] in directive["Dimensions"]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "Requests",
        "Errors",
        "ClientErrors",
        "Latency",
        "ColdStart",
    }
    assert isinstance(emf["_aws"]["Timestamp"], int)  # type: ignore[index]
    # Every dimension and metric the directive names is present at the top level.
    for name in {n for dims in directive["Dimensions"] for n in dims} | {
        m["Name"] for m in directive["Metrics"]
    }:
        assert name in emf
    assert emf["Route"] == "unmatched"
    assert emf["StatusClass"] == "4xx"
    assert emf["ClientErrors"] == 1
    assert emf["Errors"] == 0
    assert emf["Requests"] == 1
    # The release signal: per version, stored at one-second resolution for 10-second periods.
    (_, per_version) = emf["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    assert per_version["Dimensions"] == [["Service", "Version"]]
    assert [(m["Name"], m["StorageResolution"]) for m in per_version["Metrics"]] == [
        ("Requests", 1),
        ("Errors", 1),
        ("Latency", 1),
    ]
    assert emf["Version"] == "$LATEST"  # not on Lambda: no published version


def test_a_client_that_leaves_mid_body_is_a_499_not_a_server_error(live_app: Server) -> None:
    host, port = live_app.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10\r\nX-Request-ID: gone-mid-body\r\n\r\n" + b'{"a"'
        )
    records = after_request(live_app, "gone-mid-body")
    index = next(i for i, r in enumerate(records) if r.get("request_id") == "gone-mid-body")
    mine = [r for r in records if r.get("request_id") == "gone-mid-body"]
    assert [(r["event"], r["level"], r.get("status")) for r in mine] == [("request", "info", 499)]
    emf = next(r for r in records[index:] if r.get("event") == "metrics")
    assert (emf["Errors"], emf["ClientErrors"], emf["StatusClass"]) == (0, 1, "4xx")
    errors = [r for r in records if r.get("level") == "error"]
    assert not errors, errors
    assert request(f"{live_app.url}/health")[0] == 200  # and the server carries on


def test_on_lambda_the_access_line_carries_the_invocation(tmp_path: Path) -> None:
    lines, stderr = run_lambda("hello", "echo", "missing")
    access = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    assert set(access) == {"rid-hello", "rid-echo", "rid-missing"}
    assert "RESULT 200 rid-hello" in stderr
    hello = access["rid-hello"]
    assert hello["lambda_request_id"] == "lambda-hello"
    assert hello["route"] == "/hello"
    assert hello["status"] == 200
    assert access["rid-missing"]["route"] == "unmatched"
    # Exactly one line per request: Mangum's own per-request line is silenced.
    assert (
        sum(1 for line in lines if line.get("request_id") == "rid-hello" and line.get("event") != "metrics")
        == 1
    )
    text = json.dumps(lines)
    assert "hunter2" not in text


def test_on_lambda_metrics_carry_the_published_version() -> None:
    lines, _ = run_lambda("hello", env={"AWS_LAMBDA_FUNCTION_VERSION": "7"})
    emf = next(line for line in lines if line.get("event") == "metrics")
    assert emf["Version"] == "7"


def test_log_level_is_honoured_and_metrics_survive_it() -> None:
    lines, _ = run_lambda("hello", env={"LOG_LEVEL": "WARNING"})
    assert not any(line.get("event") == "request" for line in lines)
    assert any(line.get("event") == "metrics" for line in lines)


CRASH_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from starlette.routing import Route
from app.main import app

async def boom(request):
    api_key = "sk-live-do-not-log"  # a local variable that must never reach the logs
    raise RuntimeError("boom")

app.router.routes.append(Route("/boom", boom))
from tests.app.transports import Asgi
reply = Asgi(app)("GET", "/boom")
print("STATUS", reply.status, reply.body.decode(), file=sys.stderr)
"""


def test_an_unhandled_error_is_a_500_problem_and_a_traceback_without_locals() -> None:
    root = str(Path(__file__).resolve().parents[2])
    completed = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT.format(root=root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "LOG_FORMAT": "json"},
    )
    assert "STATUS 500" in completed.stderr
    problem = json.loads(completed.stderr.split("STATUS 500 ", 1)[1])
    assert problem["status"] == 500
    assert problem["type"] == "about:blank"
    assert "boom" not in problem["detail"]
    assert "Traceback" not in completed.stderr
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    crash = next(r for r in records if r.get("event") == "unhandled_exception")
    assert crash["level"] == "error"
    assert crash["request_id"] == problem["request_id"]
    frames = crash["exception"][0]["frames"]
    assert frames
    assert all("locals" not in frame for frame in frames)
    assert "sk-live-do-not-log" not in completed.stdout
    access = next(r for r in records if r.get("event") == "request")
    assert access["status"] == 500
    emf = next(r for r in records if r.get("event") == "metrics")
    assert emf["Errors"] == 1


def test_uvicorn_path_logs_on_the_lambda_handler_server_too(tmp_path: Path) -> None:
    server = serve(["-m", "tools.gateway"], tmp_path / "gateway.log")
    try:
        status, headers = request(f"{server.url}/hello?name=Ada")
        assert status == 200
        records = after_request(server, headers["x-request-id"])
        access = [r for r in records if r.get("event") == "request" and r.get("path") == "/hello"]
        assert len(access) == 1
        assert access[0]["request_id"] == headers["x-request-id"]
        assert "lambda_request_id" in access[0]
    finally:
        stop(server)


def test_console_format_is_readable_text() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app.main import app; import structlog; structlog.get_logger().info('hi', a=1)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=str(Path(__file__).resolve().parents[2]),
        env={**os.environ, "LOG_FORMAT": "console"},
    )
    assert "hi" in completed.stdout
    assert "a=1" in completed.stdout
    assert not completed.stdout.lstrip().startswith("{")
