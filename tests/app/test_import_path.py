"""What the Lambda entry point loads: a deny list checked by module name, not by a timer.

Every module on the Lambda import path runs on every cold start. `app.handler` is imported in a fresh
interpreter that has all development packages installed, so an accidental import of one of them would
succeed here and show up, and then serves each documented route.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.events import http_event

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("import_probe.py")

# Never on the Lambda path, with the reason.
DENIED = {
    "uvicorn": "the local server (python -m app)",
    "httpx": "a test client",
    "httpx2": "a test client",
    "starlette.testclient": "a test client",
    "pytest": "tests",
    "hypothesis": "tests",
    "tests": "tests",
    "tools": "local tooling",
    "ops": "operations CLI",
    "bench": "benchmarks",
    "boto3": "no AWS API calls on the request path",
    "botocore": "no AWS API calls on the request path",
    # Not listed: rich, colorama and better_exceptions, which structlog imports for its console renderer
    # where they are installed. They are installed here (development packages), not in the image's
    # closure (requirements.txt alone), which tests/image/test_closure.py serves every route from.
}
JSON = {"content-type": "application/json"}
ROUTES = [
    http_event("GET", "/hello", query="name=Ada"),
    http_event("POST", "/echo", headers=JSON, body=b'{"a": [1, 2]}'),
    http_event("POST", "/echo", headers=JSON, body=b"{not json"),
    http_event("GET", "/health"),
    http_event("GET", "/openapi.json"),
]


def denied(modules: list[str]) -> dict[str, str]:
    """The modules of `modules` on the deny list (a package there denies its submodules too)."""
    found = {}
    for name in modules:
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            if prefix in DENIED:
                found[name] = DENIED[prefix]
                break
    return found


def probe(tmp_path: Path, events: list[dict[str, Any]], handler: str | None = None) -> dict[str, Any]:
    events_file, output = tmp_path / "events.json", tmp_path / "probe.json"
    events_file.write_text(json.dumps(events))
    repo = ROOT
    if handler is not None:  # a changed copy of the app, to show the check fails on it
        repo = tmp_path / "repo"
        (repo / "app").mkdir(parents=True)
        for source in (ROOT / "app").glob("*.py"):
            (repo / "app" / source.name).write_text(source.read_text())
        (repo / "app" / "handler.py").write_text(handler)
    result = subprocess.run(
        [sys.executable, "-I", str(PROBE), str(repo), str(events_file), str(output)],
        env={"AWS_LAMBDA_FUNCTION_NAME": "import-path-test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(output.read_text())
    return report


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return probe(tmp_path_factory.mktemp("probe"), ROUTES)


def test_the_probe_environment_could_import_every_denied_package(report: dict[str, Any]) -> None:
    # Otherwise an import of one of them would fail instead of showing up, and prove nothing here.
    assert report["installed"] == {"uvicorn": True, "httpx": True}
    assert report["statuses"] == [200, 200, 400, 200, 200]


def test_nothing_on_the_deny_list_runs_on_import_or_while_serving(report: dict[str, Any]) -> None:
    assert denied(report["after_import"]) == {}
    assert denied(report["after_requests"]) == {}
    # The probe sees what ran: the framework did.
    assert {"starlette.routing", "mangum.adapter", "structlog.processors", "app.middleware"} <= set(
        report["after_requests"]
    )


def test_the_console_renderer_is_not_in_the_lambda_pipeline(report: dict[str, Any]) -> None:
    # structlog imports structlog.dev itself (its default configuration holds a ConsoleRenderer), so
    # the module is loaded; what the app decides is that its chain renders JSON, never for a console.
    assert "structlog.dev" in report["after_import"]
    assert report["processors"][-1] == "structlog.processors.JSONRenderer"
    assert not [p for p in report["processors"] if p.startswith("structlog.dev.")]


def test_a_local_only_import_on_the_lambda_path_fails_the_check(tmp_path: Path) -> None:
    source = (ROOT / "app" / "handler.py").read_text()
    leaky = probe(tmp_path, ROUTES[:1], handler=source + "\nimport uvicorn  # a local-only import\n")
    assert denied(leaky["after_import"])["uvicorn"] == DENIED["uvicorn"]
