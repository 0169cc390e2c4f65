"""The benchmark's machinery: a real cold start under the runtime client, and how targets are judged.

Nothing here times anything against a bound: the figures are `make bench`'s to report.
"""

from __future__ import annotations

import json
import math
import sysconfig
from pathlib import Path

import pytest

from bench import cold_start, imports, lambda_handlers
from bench.lambda_handlers import (
    FLASK,
    LEAN,
    METRICS,
    OURS,
    TARGETS,
    Results,
    Target,
    report,
    rounds,
    verdicts,
)
from shared.events import http_event

ROOT = Path(__file__).resolve().parents[2]


def test_a_cold_start_runs_the_handler_under_the_runtime_client() -> None:
    # The repository as the task root, this environment's packages as the runtime's directory.
    result = cold_start.measure(
        ROOT,
        "app.handler.handler",
        http_event("GET", "/hello", query="name=Ada"),
        runtime_dir=Path(sysconfig.get_paths()["purelib"]),
    )
    assert result.response["statusCode"] == 200
    assert json.loads(result.body()) == {"message": "Hello, Ada!"}
    # The figures are `make bench`'s to report; here, that each of them was measured.
    figures = (result.init_ms, result.first_call_ms, result.total_ms, result.cpu_ms)
    assert all(isinstance(figure, float) and math.isfinite(figure) for figure in figures)


def test_a_handler_that_cannot_start_fails_with_its_output() -> None:
    with pytest.raises(cold_start.ClientFailed, match=r"No module named 'no_such_module'"):
        cold_start.measure(
            ROOT,
            "no_such_module.handler",
            http_event("GET", "/hello"),
            runtime_dir=Path(sysconfig.get_paths()["purelib"]),
        )


def results(ours: dict[str, float], others: dict[str, dict[str, float]]) -> Results:
    """Results with one sample per metric and candidate (the median of one value is that value)."""
    made = Results()
    for name, row in {OURS: ours, **others}.items():
        made.cold_start[name] = [row["cold start"]]
        made.init[name] = [row["cold start"] * 0.9]
        made.first_call[name] = [1.0]
        made.cpu[name] = [row["cold start"] / 2]
        made.imports[name] = [row["import"]]
        made.import_cpu[name] = [row["import"] * 0.8]
        made.warm[name] = {"GET /hello": [row["GET /hello"]], "POST /echo": [row["POST /echo"]]}
    return made


OTHERS = {
    LEAN: {"cold start": 100.0, "import": 60.0, "GET /hello": 60.0, "POST /echo": 60.0},
    METRICS: {"cold start": 110.0, "import": 65.0, "GET /hello": 100.0, "POST /echo": 100.0},
    FLASK: {"cold start": 200.0, "import": 100.0, "GET /hello": 120.0, "POST /echo": 120.0},
}


def test_every_target_is_met_at_or_under_its_ratio() -> None:
    ours = {"cold start": 100.0, "import": 60.0, "GET /hello": 75.0, "POST /echo": 100.0}
    judged = verdicts(results(ours, OTHERS))
    assert [(t, round(r, 3), met) for t, r, met in judged] == [
        (TARGETS[0], 1.0, True),  # cold start vs lean Powertools: equal is met
        (TARGETS[1], 0.5, True),  # vs Flask
        (TARGETS[2], 1.0, True),  # import vs lean Powertools
        (TARGETS[3], 0.6, True),  # import vs Flask: exactly the bound
        (TARGETS[4], 0.75, True),  # GET /hello vs Powertools with Metrics
        (TARGETS[5], 1.0, True),  # POST /echo
    ]


def test_a_target_over_its_ratio_is_missed_and_printed_so() -> None:
    ours = {"cold start": 101.0, "import": 61.0, "GET /hello": 76.0, "POST /echo": 101.0}
    judged = verdicts(results(ours, OTHERS))
    assert [met for _, _, met in judged] == [False, True, False, False, False, False]
    text = report(results(ours, OTHERS), cold_runs=1, warm_runs=1)
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("[")]
    assert lines == [
        "[MISSED] end-to-end cold start <= 1.00x powertools (lean): 1.010x",
        "[met] end-to-end cold start <= 0.60x flask: 0.505x",
        "[MISSED] cold import <= 1.00x powertools (lean): 1.017x",
        "[MISSED] cold import <= 0.60x flask: 0.610x",
        "[MISSED] warm GET /hello <= 0.75x powertools + metrics: 0.760x",
        "[MISSED] warm POST /echo <= 1.00x powertools + metrics: 1.010x",
    ]


def test_the_report_shows_every_candidate_and_both_powertools_variants() -> None:
    ours = {"cold start": 90.0, "import": 55.0, "GET /hello": 70.0, "POST /echo": 90.0}
    text = report(results(ours, OTHERS), cold_runs=1, warm_runs=1)
    for name in (OURS, LEAN, METRICS, FLASK):
        assert any(line.startswith(name) for line in text.splitlines()), name
    assert "vs powertools (lean)" in text
    assert "vs powertools + metrics" in text
    assert Target("import", FLASK, 0.6).label == "cold import <= 0.60x flask"


def test_rounds_rotate_so_no_candidate_always_goes_first() -> None:
    names = [lambda_handlers.Candidate(n, f"{n}.handler", (), ()) for n in "abc"]
    order = [c.name for c in rounds(names, 4)]
    assert order == list("abc" + "bca" + "cab" + "abc")


def test_the_candidates_are_the_four_the_comparison_needs() -> None:
    chosen = {c.name: c for c in lambda_handlers.candidates()}
    assert list(chosen) == [OURS, LEAN, METRICS, FLASK]
    assert chosen[OURS].handler == "app.handler.handler"  # the Dockerfile's CMD
    lean = (ROOT / "bench" / "apps" / "powertools_lean_app.py").read_text()
    assert "Metrics" not in lean
    assert "APIGatewayHttpResolver" in lean
    assert "Logger" in lean
    assert "Metrics" in (ROOT / "bench" / "apps" / "powertools_app.py").read_text()


def test_the_import_profile_sums_by_top_level_package() -> None:
    times = {"starlette": 0.5, "starlette.routing": 1.0, "ssl": 2.0, "app.handler": 0.25}
    assert imports.by_package(times) == [("ssl", 1, 2.0), ("starlette", 2, 1.5), ("app", 1, 0.25)]
    text = imports.report(times, top=2)
    assert text.splitlines()[0].startswith("4 modules, 3.8 ms in all")
    assert "1 more packages" in text.splitlines()[-1]


def test_the_import_profile_reads_importtime_output() -> None:
    times = imports.self_times(ROOT, "app.config", {"PATH": "/usr/bin:/bin"}, runs=2)
    assert "app.config" in times
    assert "app" in times
    assert all(ms >= 0 for ms in times.values())
