"""`ops load`: counts, percentiles and thresholds against loopback servers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ops import load
from tests.ops.conftest import OpsRunner
from tests.ops.contract_app import ThreadServer, build


def test_counts_and_percentiles(contract_server: str) -> None:
    result = load.run(f"{contract_server}/ok", requests=200, concurrency=8)
    assert result.total == 200
    assert result.statuses == {200: 200}
    assert result.errors == 0
    assert result.error_rate == 0
    p50, p90, p99, top = (result.percentile(p) or 0.0 for p in (50, 90, 99, 100))
    assert 0 < p50 <= p90 <= p99 <= top
    assert result.throughput > 0


def test_percentiles_are_nearest_rank() -> None:
    result = load.Result("http://x", 1, latencies_ms=[float(n) for n in range(100, 0, -1)])
    assert [result.percentile(p) for p in (1, 50, 90, 99, 100)] == [1, 50, 90, 99, 100]
    assert load.Result("http://x", 1).percentile(50) is None


def test_thresholds_met(contract_server: str, ops: OpsRunner, tmp_path: Path) -> None:
    path = tmp_path / "load.json"
    args = ["--requests", "100", "--concurrency", "5", "--max-error-rate", "0", "--max-p99-ms", "5000"]
    result = ops("load", "--base-url", f"{contract_server}/ok", *args, "--json", str(path))
    assert result.code == 0, result.out
    assert "throughput" in result.out
    assert "p99" in result.out
    assert "thresholds  met" in result.out
    report = json.loads(path.read_text())
    assert report["ok"] is True
    assert report["requests"] == 100
    assert report["statuses"] == {"200": 100}
    assert set(report["latency_ms"]) == {"p50", "p90", "p99", "max"}


def test_error_rate_threshold(contract_server: str, ops: OpsRunner) -> None:
    # Every request is a 422: a 100 % error rate.
    url = f"{contract_server}/ok"
    args = ["--path", "/hello?name=%3C", "--requests", "20", "--concurrency", "4"]
    result = ops("load", "--base-url", url, *args, "--max-error-rate", "0.5")
    assert result.code == 1
    assert "error rate 100.00% exceeds --max-error-rate 50.00%" in result.out
    assert ops("load", "--base-url", url, *args, "--max-error-rate", "1").code == 0


def test_p99_threshold(contract_server: str, ops: OpsRunner) -> None:
    # This copy takes 0.6 s per GET /hello.
    args = ["--requests", "4", "--concurrency", "4", "--max-p99-ms", "200"]
    result = ops("load", "--base-url", f"{contract_server}/slow-hello", *args)
    assert result.code == 1
    assert "exceeds --max-p99-ms 200" in result.out


def test_duration_bounds_the_run(contract_server: str) -> None:
    started = time.monotonic()
    result = load.run(f"{contract_server}/ok", duration=0.5, concurrency=4)
    assert 0.5 <= result.duration_s < 1.5
    assert time.monotonic() - started < 3
    assert result.total > 10
    capped = load.run(f"{contract_server}/ok", duration=30, requests=25, concurrency=4)
    assert capped.total == 25
    assert capped.duration_s < 10


def test_timeouts_count_as_errors(contract_server: str) -> None:
    result = load.run(f"{contract_server}/slow-hello", path="/hello", requests=2, concurrency=2, timeout=0.2)
    # A slow server is reachable: its timeouts are errors of the run, not a setup error.
    assert result.total == 2
    assert result.errors == 2
    assert sum(result.failures.values()) == 2
    assert load.verdict(result, 0.1, 100) == [
        "error rate 100.00% exceeds --max-error-rate 10.00%",
        "no request was answered, so p99 cannot meet --max-p99-ms",
    ]


def test_unreachable_url_is_one_line(ops: OpsRunner) -> None:
    from tools.emulator import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = ops("load", "--base-url", url, "--requests", "10")
    assert result.code == 2
    assert result.err.startswith(f"ops load: error: cannot reach {url}/hello: ")
    assert result.err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "2"], "give --requests N, --duration S or both"),
        (["--requests", "0"], "--requests must be at least 1"),
        (["--requests", "5", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--requests", "5", "--path", "http://example.com/"], "--path must be a path"),
        (["--requests", "5", "--path", "//example.com/"], "--path must be a path"),
    ],
)
def test_bad_input_is_one_line(contract_server: str, ops: OpsRunner, args: list[str], message: str) -> None:
    result = ops("load", "--base-url", f"{contract_server}/ok", *args)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1


def test_load_never_follows_a_redirect_elsewhere() -> None:
    hits = 0
    app = build()

    async def elsewhere(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal hits
        hits += 1
        await app(scope, receive, send)

    with ThreadServer(elsewhere) as other:

        async def redirect(scope: dict[str, Any], receive: Any, send: Any) -> None:
            from starlette.responses import RedirectResponse

            await RedirectResponse(f"{other.url}/hello", 307)(scope, receive, send)

        with ThreadServer(redirect) as server:
            result = load.run(server.url, requests=20, concurrency=4)
    assert result.statuses == {307: 20}
    assert hits == 0
