"""The image's path through the real runtime client: `python -m awslambdaric app.handler.handler`.

The Lambda base image's entry point runs the runtime client (awslambdaric), which long-polls the
Runtime API for events, calls the handler and posts each result back. Here the client talks to a
local stand-in of that API (tools/runtime_api.py, loopback only, every wait bounded) and is driven
through the whole contract of the image check (ci.invoke_image's cases), an unsupported event and a
bad setting, in both of Lambda's log formats (AWS_LAMBDA_LOG_FORMAT):

- Text: the client's own lines (its error reports) are text; the app logs JSON lines regardless;
- JSON: the client writes JSON too, so every line on stdout is one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.main import app
from ci import invoke_image
from shared import contract
from tools.emulator import free_port
from tools.runtime_api import (
    INVOCATIONS_PATH,
    InitError,
    Invocation,
    RuntimeAPI,
    invoke_endpoint,
    lambda_environment,
    start_client,
)

ROOT = Path(__file__).resolve().parents[2]
HANDLER = "app.handler.handler"
DOCUMENT = app.state.openapi  # what the image serves at /openapi.json, and its checks come from
VERSION = "9.9.9-ric"
WAIT = 60  # seconds: a safety net for a busy machine, never a measurement
# An S3 notification: a real Lambda event, but not one this function serves.
S3_EVENT = {
    "Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}}}]
}


@dataclass
class Session:
    """One client process: each contract case and the unsupported event, then its stdout."""

    log_format: str
    cases: list[tuple[invoke_image.Case, Invocation]]
    unsupported: Invocation
    output: str

    def lines(self) -> list[str]:
        # The client ends a multi-line error report's lines with \r inside one \n-terminated record.
        return [line for line in self.output.split("\n") if line.strip()]


def run_client(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return start_client(HANDLER, env, cwd=ROOT, stdout=out)


def stop(client: subprocess.Popen[bytes]) -> None:
    client.kill()
    client.wait(timeout=WAIT)


@pytest.fixture(scope="module", params=["Text", "JSON"])
def session(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Session:
    log = tmp_path_factory.mktemp(f"client-{request.param}") / "stdout.log"
    with RuntimeAPI() as runtime:
        env = {
            **lambda_environment(runtime, log_format=request.param),
            "APP_VERSION": VERSION,
            "LOG_LEVEL": "INFO",
        }
        client = run_client(env, log)
        try:
            results = [
                (case, runtime.invoke(case.event, timeout=WAIT))
                for case in invoke_image.cases(contract.read(DOCUMENT), VERSION)
            ]
            unsupported = runtime.invoke(S3_EVENT, timeout=WAIT)
        finally:
            stop(client)
        assert runtime.first_poll_at is not None
    # Bytes, decoded: universal newlines would split the client's \r-joined error report.
    return Session(request.param, results, unsupported, log.read_bytes().decode())


def parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def test_every_contract_case_passes_through_the_runtime_client(session: Session) -> None:
    for case, invocation in session.cases:
        assert invocation.ok, (case.name, invocation.payload[:300])
        assert invoke_image.check(case, invocation.json()) == [], case.name
        assert invocation.taken_at is not None
        assert invocation.answered_at is not None
        assert invocation.answered_at >= invocation.taken_at


def test_an_unsupported_event_is_reported_as_the_function_error(session: Session) -> None:
    assert not session.unsupported.ok
    error = session.unsupported.json()
    assert error["errorType"] == "UnsupportedEvent"
    assert error["errorMessage"] == "expected an API Gateway HTTP API payload format 2.0 event"
    assert error["requestId"] == session.unsupported.request_id


def test_each_invocation_logs_one_access_line_under_its_lambda_request_id(session: Session) -> None:
    records = [record for line in session.lines() if (record := parse(line))]
    access = [record for record in records if record.get("event") == "request"]
    assert [record["lambda_request_id"] for record in access] == [inv.request_id for _, inv in session.cases]
    assert [record["cold_start"] for record in access] == [True] + [False] * (len(session.cases) - 1)
    for (case, invocation), record in zip(session.cases, access, strict=True):
        assert record["status"] == invocation.json()["statusCode"]
        assert record["request_id"] == case.event["requestContext"]["requestId"]
    refused = [record for record in records if record.get("event") == "unsupported_event"]
    assert [record["lambda_request_id"] for record in refused] == [session.unsupported.request_id]


def test_stdout_follows_the_log_format(session: Session) -> None:
    lines = session.lines()
    not_json = [line for line in lines if parse(line) is None]
    if session.log_format == "JSON":
        assert not_json == []
        reports = [record for line in lines if (record := parse(line)) and record.get("errorType")]
        assert [(r["level"], r["errorType"], r["requestId"]) for r in reports] == [
            ("ERROR", "UnsupportedEvent", session.unsupported.request_id)
        ]
    else:
        # The client's error report is its one text record; everything the app writes is JSON.
        assert len(not_json) == 1, not_json
        assert not_json[0].startswith("[ERROR] UnsupportedEvent: expected an API Gateway HTTP API")
        assert "\rTraceback (most recent call last):\r" in not_json[0]


@pytest.mark.parametrize("log_format", ["Text", "JSON"])
def test_a_bad_setting_is_an_init_error_and_the_client_exits(tmp_path: Path, log_format: str) -> None:
    log = tmp_path / "stdout.log"
    with RuntimeAPI() as runtime:
        env = {**lambda_environment(runtime, log_format=log_format), "LOG_LEVEL": "LOUD"}
        client = run_client(env, log)
        try:
            with pytest.raises(InitError, match="LOG_LEVEL must be one of"):
                runtime.invoke(invoke_image.document_case().event, timeout=WAIT)
            assert runtime.wait_for_init_error(timeout=WAIT)["errorType"] == "ConfigError"
            assert client.wait(timeout=WAIT) == 1
        finally:
            stop(client)
    assert runtime.init_error is not None
    assert runtime.init_error["errorType"] == "ConfigError"
    assert runtime.first_poll_at is None  # it never asked for an event
    lines = [line for line in log.read_bytes().decode().split("\n") if line.strip()]
    if log_format == "JSON":
        records = [parse(line) for line in lines]
        assert None not in records, lines
        assert [(r["level"], r.get("errorType")) for r in records if r] == [
            ("WARNING", None),
            ("ERROR", "ConfigError"),
        ]
    else:
        assert lines[0].startswith("[WARNING]\t")
        assert "LAMBDA_WARNING: Unhandled exception" in lines[0]
        assert lines[1].startswith("[ERROR] ConfigError: LOG_LEVEL must be one of DEBUG, INFO")


# --- the emulator's invocation endpoint (python -m tools.runtime_api) -----------------------------------


def post(url: str, event: Any) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[RuntimeAPI, str, Path]]:
    with RuntimeAPI() as runtime:
        server = invoke_endpoint(runtime, timeout=WAIT)
        host, port = server.server_address[:2]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield runtime, f"http://{host!s}:{port}", tmp_path / "stdout.log"
        finally:
            server.shutdown()
            server.server_close()


def test_the_endpoint_answers_as_the_emulator_does(emulator: tuple[RuntimeAPI, str, Path]) -> None:
    runtime, base, log = emulator
    client = run_client({**lambda_environment(runtime), "APP_VERSION": VERSION}, log)
    try:
        # The image check itself, unchanged, against the real client.
        url = base + INVOCATIONS_PATH
        assert invoke_image.run(url, VERSION, WAIT) == 0
        status, body = post(url, S3_EVENT)  # a function error: 200 and the error document
        assert status == 200
        assert json.loads(body)["errorType"] == "UnsupportedEvent"
        with pytest.raises(invoke_image.InvokeError, match="the function failed: UnsupportedEvent"):
            invoke_image.invoke(url, S3_EVENT, time.monotonic() + WAIT)
        assert post(base + "/2015-03-31/functions/other/invocations", {})[0] == 404
    finally:
        stop(client)


def test_the_endpoint_answers_502_when_the_handler_cannot_load(
    emulator: tuple[RuntimeAPI, str, Path],
) -> None:
    runtime, base, log = emulator
    client = run_client({**lambda_environment(runtime), "LOG_LEVEL": "LOUD"}, log)
    try:
        status, body = post(base + INVOCATIONS_PATH, invoke_image.document_case().event)
    finally:
        stop(client)
    assert status == 502
    assert json.loads(body)["errorType"] == "ConfigError"


def test_the_endpoint_reports_a_timeout_as_the_emulator_does() -> None:
    with RuntimeAPI() as runtime:  # no client: nothing ever takes the event
        server = invoke_endpoint(runtime, timeout=0.2)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        try:
            status, body = post(f"http://{host!s}:{port}{INVOCATIONS_PATH}", {})
        finally:
            server.shutdown()
            server.server_close()
        with pytest.raises(TimeoutError, match="no init error"):
            runtime.wait_for_init_error(timeout=0.1)
    assert (status, body) == (200, b"Task timed out after 0.20 seconds")


def test_the_runtime_api_refuses_what_a_client_would_never_send() -> None:
    with RuntimeAPI() as runtime:
        base = f"http://{runtime.address}/2018-06-01/runtime"
        assert post(f"{base}/invocation/no-such-id/response", {})[0] == 400
        assert post(f"{base}/invocation/x/unknown", {})[0] == 404
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/invocation/previous", timeout=WAIT)
        assert refused.value.code == 404


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost"])
def test_the_command_refuses_a_non_loopback_host(host: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.runtime_api", "--port", str(free_port()), "--host", host],
        cwd=ROOT, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--host must be a loopback address" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_serves_the_image_check_and_stops_cleanly(tmp_path: Path) -> None:
    """`python -m tools.runtime_api --port P`: the image's entry point without the image."""
    port = free_port()
    log = tmp_path / "container.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.runtime_api", "--port", str(port), "--log-format", "Text"],
            cwd=ROOT, env={**os.environ, "APP_VERSION": VERSION}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}{INVOCATIONS_PATH}"
        assert invoke_image.run(url, VERSION, WAIT) == 0
    finally:
        process.terminate()  # as `docker rm --force` stops the container
        code = process.wait(timeout=WAIT)
    assert code == 0
    access = [
        record
        for line in log.read_text().splitlines()
        if (record := parse(line)) and record.get("event") == "request"
    ]
    cases = invoke_image.cases(contract.read(DOCUMENT), VERSION)
    assert len(access) == 1 + len(cases)  # the document, then its cases
