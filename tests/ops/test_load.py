"""`ops load`: counts, percentiles and thresholds against loopback servers."""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

import pytest

from ops import load
from tests.ops.conftest import FakeClock, OpsRunner, ThreadServer
from tests.ops.latency_app import Delays
from tests.ops.mutants import real_app


def test_counts_and_percentiles(contract_server: str) -> None:
    result = load.run(f"{contract_server}/ok", requests=200, concurrency=8)
    assert result.total == 200
    assert result.statuses == {200: 200}
    assert result.errors == 0
    assert result.error_rate == 0
    # What the figures are is judged on a controlled clock (below); here, that each is one of the 200
    # latencies measured and the throughput is the count over the duration.
    assert len(result.latencies_ms) == 200
    assert all(result.percentile(p) in result.latencies_ms for p in (50, 90, 99))
    assert result.percentile(100) == max(result.latencies_ms)
    assert result.throughput * result.duration_s == pytest.approx(200)


def test_percentiles_are_nearest_rank() -> None:
    result = load.Result("http://x", 1, latencies_ms=[float(n) for n in range(100, 0, -1)])
    assert [result.percentile(p) for p in (1, 50, 90, 99, 100)] == [1, 50, 90, 99, 100]
    assert load.Result("http://x", 1).percentile(50) is None


# Requests 1-100 of the run wait 1-100 ms, shuffled; request 0, the warm-up `ops load` sends first and
# does not count, waits 7 s.
ORDER = random.Random(11).sample(range(1, 101), 100)
DELAYS = {0: 7000.0, **{number: float(ms) for number, ms in enumerate(ORDER, start=1)}}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock `ops load` reads, moved only by the test's servers."""
    virtual = FakeClock()
    monkeypatch.setattr(load, "clock", virtual)
    return virtual


def test_figures_are_the_delays_the_server_gave(clock: FakeClock, ops: OpsRunner, tmp_path: Path) -> None:
    path = tmp_path / "load.json"
    with ThreadServer(Delays(DELAYS, clock)) as server:
        args = ["--requests", "100", "--concurrency", "1", "--json", str(path)]
        result = ops("load", "--base-url", server.url, *args)
    assert result.code == 0, result.out + result.err
    # Nearest rank over 1..100 ms: the p-th percentile is p ms. 5050 ms of waiting in all; the
    # warm-up's 7 s is neither a latency nor part of the duration.
    assert f"load {server.url}/hello: 100 requests at concurrency 1 in 5.05 s" in result.out
    assert "throughput  19.8 req/s" in result.out
    assert "latency     p50 50.0 ms  p90 90.0 ms  p99 99.0 ms  max 100.0 ms" in result.out
    assert "errors      0 (0.00%)  statuses 200: 100" in result.out
    assert "thresholds" not in result.out  # none given, none judged
    report = json.loads(path.read_text())
    assert report["latency_ms"] == {"p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 100.0}
    assert (report["requests"], report["duration_s"], report["throughput_rps"]) == (100, 5.05, 19.8)
    assert (report["errors"], report["statuses"], report["ok"], report["breaches"]) == (
        0,
        {"200": 100},
        True,
        [],
    )


@pytest.mark.parametrize(("bound", "code"), [("98.5", 1), ("99.5", 0)])
def test_p99_threshold_both_ways(
    clock: FakeClock, ops: OpsRunner, tmp_path: Path, bound: str, code: int
) -> None:
    # p99 is 99 ms and the slowest request 100 ms: 99.5 passes (the bound is on p99, not the max).
    path = tmp_path / "load.json"
    with ThreadServer(Delays(DELAYS, clock)) as server:
        args = ["--requests", "100", "--concurrency", "1", "--max-p99-ms", bound, "--json", str(path)]
        result = ops("load", "--base-url", server.url, *args)
    assert result.code == code, result.out + result.err
    report = json.loads(path.read_text())
    assert report["latency_ms"]["p99"] == 99.0
    if code:
        breach = f"p99 99.0 ms exceeds --max-p99-ms {bound}"
        assert f"  FAIL        {breach}" in result.out
        assert (report["ok"], report["breaches"]) == (False, [breach])
    else:
        assert "  thresholds  met" in result.out
        assert (report["ok"], report["breaches"]) == (True, [])


def test_error_rate_threshold(contract_server: str, ops: OpsRunner) -> None:
    # Every request is a 422: a 100 % error rate.
    url = f"{contract_server}/ok"
    args = ["--path", "/hello?name=%3C", "--requests", "20", "--concurrency", "4"]
    result = ops("load", "--base-url", url, *args, "--max-error-rate", "0.5")
    assert result.code == 1
    assert "error rate 100.00% exceeds --max-error-rate 50.00%" in result.out
    assert ops("load", "--base-url", url, *args, "--max-error-rate", "1").code == 0


def test_a_run_is_timed_on_the_real_clock() -> None:
    # The tests put in a clock they control; a real run reads the monotonic high-resolution one (what
    # it measures on this machine: `make bench-load`).
    assert load.clock is time.perf_counter


def test_slow_requests_breach_p99(clock: FakeClock, ops: OpsRunner, tmp_path: Path) -> None:
    # Requests 5 and 10 of the run take 300 ms; the other eight none.
    path = tmp_path / "load.json"
    with ThreadServer(Delays({5: 300, 10: 300}, clock)) as server:
        args = ["--requests", "10", "--concurrency", "1", "--max-p99-ms", "250", "--json", str(path)]
        result = ops("load", "--base-url", server.url, *args)
    assert result.code == 1, result.out
    latency = json.loads(path.read_text())["latency_ms"]
    assert latency["p90"] == 300  # the 9th of 10 by rank: the other slow one
    assert latency["p99"] == 300
    assert "exceeds --max-p99-ms 250" in result.out


def test_duration_ends_the_run(clock: FakeClock) -> None:
    with ThreadServer(Delays(dict.fromkeys(range(1, 1000), 100.0), clock)) as server:
        result = load.run(server.url, duration=1.0, concurrency=1)
    # 100 ms each: the 11th request would start at the deadline.
    assert (result.total, result.duration_s) == (10, 1.0)


def test_requests_end_a_run_before_its_duration(clock: FakeClock) -> None:
    with ThreadServer(Delays(dict.fromkeys(range(1, 1000), 100.0), clock)) as server:
        result = load.run(server.url, duration=30, requests=25, concurrency=4)
    assert result.total == 25
    assert result.duration_s < 30


def test_timeouts_count_as_errors(clock: FakeClock) -> None:
    # The warm-up request is answered; the run's two never are. The timeout is generous so that only
    # the server's silence, not a stalled client on a busy machine, ends them.
    with ThreadServer(Delays({1: math.inf, 2: math.inf}, clock)) as server:
        result = load.run(server.url, requests=2, concurrency=2, timeout=5)
    # A server that never answers is reachable: its timeouts are errors of the run, not a setup error.
    assert (result.total, result.errors, sum(result.failures.values())) == (2, 2, 2)
    assert all(reason.startswith("no answer in time (") for reason in result.failures)
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
        (["--requests", "5", "--concurrency", "0"], "--concurrency must be 1-1000, got 0"),
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
    app = real_app()

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


def test_the_load_benchmark_reports_both_servers(capsys: pytest.CaptureFixture[str]) -> None:
    # `make bench-load`: figures printed, never judged; here only that it runs to the end.
    from bench import load as bench

    bench.main(["--requests", "5", "--concurrency", "1"])
    out = capsys.readouterr().out
    assert out.count(" 5 requests at concurrency 1 in ") == 2
    assert "-- uvicorn (python -m app)" in out
    assert "-- Lambda handler (python -m tools.gateway)" in out
    assert out.count("statuses 200: 5") == 2
