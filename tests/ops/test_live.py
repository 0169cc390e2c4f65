"""smoke, load and logs-check against the real app: uvicorn (`live_app`) and the Lambda-handler path."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.conftest import Server, serve, stop
from tests.ops.conftest import OpsRunner


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app served through its Lambda handler by `python -m tools.gateway`."""
    server = serve(["-m", "tools.gateway"], tmp_path_factory.mktemp("gateway") / "gateway.log")
    yield server
    stop(server)


@pytest.fixture(params=["uvicorn", "gateway"])
def app_server(request: pytest.FixtureRequest) -> Server:
    name = "live_app" if request.param == "uvicorn" else "gateway"
    server: Server = request.getfixturevalue(name)
    return server


def test_smoke_passes(app_server: Server, ops: OpsRunner) -> None:
    result = ops("smoke", "--base-url", app_server.url, "--warmup", "5", "--timeout", "60")
    assert result.code == 0, result.out
    assert "all passed" in result.out


def test_load_runs_against_the_real_app(app_server: Server, ops: OpsRunner, tmp_path: Path) -> None:
    # What `ops load` reports and judges is tested against servers whose latency the tests decide
    # (test_load.py); here only that it drives the real app. Its figures are `make bench`'s business:
    # on a busy machine they say nothing about the code. The timeout is a safety net only.
    path = tmp_path / "load.json"
    args = ["--requests", "50", "--concurrency", "5", "--timeout", "60"]
    result = ops("load", "--base-url", app_server.url, *args, "--json", str(path))
    assert result.code == 0, result.out
    report = json.loads(path.read_text())
    assert report["requests"] == 50
    assert report["statuses"] == {"200": 50}


def ship(server: Server, group: str) -> None:
    """Copy the server's stdout lines into a CloudWatch log group, as Lambda would."""
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    lines = [line for line in server.lines() if line.strip()]
    for start in range(0, len(lines), 5000):
        events = [{"timestamp": now, "message": line} for line in lines[start : start + 5000]]
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)


@pytest.mark.emulator
def test_smoke_request_ids_have_valid_access_lines(
    app_server: Server, ops: OpsRunner, tmp_path: Path, aws_env: dict[str, str]
) -> None:
    report = tmp_path / "smoke.json"
    smoke = ops(
        "smoke", "--base-url", app_server.url, "--warmup", "5", "--timeout", "60", "--json", str(report)
    )
    assert smoke.code == 0, smoke.out
    ids = json.loads(report.read_text())["request_ids"]
    assert len(ids) >= 20
    # A server logs a request after answering it: wait until every id has its line.
    app_server.records(lambda records: set(ids) <= {r.get("request_id") for r in records})
    group = f"/aws/lambda/ops-{uuid.uuid4().hex[:8]}"
    ship(app_server, group)
    # Lines from the Lambda handler carry lambda_request_id and cold_start; uvicorn's do not.
    fields = "--lambda-fields" if app_server.log.name == "gateway.log" else "--no-lambda-fields"
    args = ["--log-group", group, "--smoke-json", str(report), "--timeout", "5", "--poll", "0.2", fields]
    result = ops("logs-check", *args, "--service", "lambda-api")
    assert result.code == 0, result.out
    assert f"{len(ids)} ids, all found and valid" in result.out


ISSUER = "https://auth.example.test/"
PROTECTED = ["GET /hello", "POST /echo"]


@pytest.fixture(scope="module")
def protected_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The local gateway as `make up EXAMPLE=custom-domain` runs it: mapped at v1, JWT on two routes."""
    routes = [arg for route in PROTECTED for arg in ("--protected-route", route)]
    args = [
        "-m",
        "tools.gateway",
        "--mapping-key",
        "v1",
        "--jwt-issuer",
        ISSUER,
        "--jwt-audience",
        "lambda-api",
    ]
    env = {"BASE_PATH": "v1", "PROTECTED_ROUTES": ",".join(PROTECTED)}
    log = tmp_path_factory.mktemp("protected-gateway") / "gateway.log"
    server = serve([*args, *routes], log, env)
    yield server
    stop(server)


def test_smoke_with_a_token_passes_against_the_protected_local_gateway(
    protected_gateway: Server, ops: OpsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.gateway import local_token

    token = local_token(ISSUER, "lambda-api", subject="smoke-user")
    base = f"{protected_gateway.url}/v1"
    without = ops("smoke", "--base-url", base, "--warmup", "0")
    assert without.code == 1
    assert "FAIL  hello " in without.out
    monkeypatch.setenv("SMOKE_TOKEN", token)
    result = ops("smoke", "--base-url", base, "--warmup", "5")
    assert result.code == 0, result.out
    assert "auth-missing" in result.out
    assert "auth-malformed" in result.out
    lines = protected_gateway.records(lambda records: any(r.get("subject") == "smoke-user" for r in records))
    assert {r["route"] for r in lines if r.get("subject") == "smoke-user"} >= {"/hello", "/echo"}
    assert not [
        r for r in lines if r.get("event") == "request" and r["route"] == "/health" and "subject" in r
    ]
    assert token.split(".")[1] not in protected_gateway.log.read_text()


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({}, 200),
        ({"iss": "https://other.example.test/"}, 401),
        ({"aud": "someone-else"}, 401),
        ({"exp": 1}, 401),
    ],
)
def test_the_local_authorizer_checks_issuer_audience_and_expiry(
    protected_gateway: Server, claims: dict[str, object], status: int
) -> None:
    import base64
    import urllib.error
    import urllib.request

    from tools.gateway import local_token

    header, payload, signature = local_token(ISSUER, "lambda-api").split(".")
    values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    payload = base64.urlsafe_b64encode(json.dumps({**values, **claims}).encode()).rstrip(b"=").decode()
    request = urllib.request.Request(
        f"{protected_gateway.url}/v1/hello",
        headers={"authorization": f"Bearer {header}.{payload}.{signature}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answered, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        answered, body = error.code, json.loads(error.read())
    assert answered == status
    assert body == ({"message": "Hello, World!"} if status == 200 else {"message": "Unauthorized"})
