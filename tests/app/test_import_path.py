"""What the Lambda entry point loads: a deny list checked by module name, not by a timer.

Every module on the Lambda import path runs on every cold start. `app.handler` is imported in a fresh
interpreter that has all development packages installed, so an accidental import of one of them would
succeed here and show up, and then serves each documented route. Modules that the libraries import
for paths a Lambda request never takes are deferred by app/deferred.py; they must still not have run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import deferred
from tools.lambda_events import http_event

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
    # structlog's console renderer: what it would use to render for a terminal.
    "rich": "console renderer: pretty tracebacks (about 90 modules where installed)",
    "pygments": "console renderer, through rich",
    "colorama": "console renderer: colours",
    "better_exceptions": "console renderer: tracebacks",
    # Imported by the libraries for paths a Lambda request never takes (app/deferred.py).
    "ssl": "TLS, deferred",
    "_ssl": "TLS, deferred",
    "asyncio.sslproto": "TLS, deferred",
    "http.client": "deferred until an HTTPException without a detail",
    "email.parser": "http.client's header parser, deferred with it",
    "email.feedparser": "http.client's header parser, deferred with it",
    "email.message": "http.client's header parser, deferred with it",
    "http.cookies": "cookies, deferred",
    "html": "the debug traceback page, deferred",
    "html.entities": "the debug traceback page, deferred",
    "hashlib": "file ETags, deferred",
    "shutil": "temporary directory removal, deferred",
    "bz2": "shutil's archives, deferred with it",
    "lzma": "shutil's archives, deferred with it",
    "signal": "asyncio's signal handlers, deferred",
    "locale": "subprocess's text encoding, deferred",
    "calendar": "e-mail date parsing, deferred",
    "array": "socket's file-descriptor passing, deferred",
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
    assert report["installed"] == {"uvicorn": True, "httpx": True, "rich": True}
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


def test_without_the_deferral_the_check_fails(tmp_path: Path) -> None:
    source = (ROOT / "app" / "handler.py").read_text()
    undeferred = source.replace("with deferred.imports():", "if True:")
    assert undeferred != source
    found = denied(probe(tmp_path, ROUTES[:1], handler=undeferred)["after_import"])
    assert {"ssl", "http.client", "rich", "html", "shutil"} <= set(found)


# app/deferred.py on its own, with modules written for the test.


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package `deferme` with submodules that count how often their code ran."""
    root = tmp_path / "deferme"
    root.mkdir()
    (root / "__init__.py").write_text("runs = []\n")
    (root / "light.py").write_text("import deferme\ndeferme.runs.append('light')\nVALUE = 42\n")
    (root / "user.py").write_text("import deferme.light\n\ndef read():\n    return deferme.light.VALUE\n")
    (root / "broken.py").write_text(
        "import deferme\ndeferme.runs.append('broken')\nraise RuntimeError('boom')\n"
    )
    (root / "cycle_a.py").write_text(
        "import deferme\ndeferme.runs.append('a')\nimport deferme.cycle_b\nVALUE = 1\n"
    )
    (root / "cycle_b.py").write_text(
        "import deferme.cycle_a\ntry:\n    SEEN = deferme.cycle_a.VALUE\nexcept AttributeError:\n    SEEN = None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [name for name in sys.modules if name == "deferme" or name.startswith("deferme.")]:
        del sys.modules[name]


def test_a_deferred_module_is_imported_without_running_then_runs_once_when_used(package: Path) -> None:
    with deferred.imports(deferred=["deferme.light"], hidden=[]):
        import deferme.user

    light = sys.modules["deferme.light"]
    assert type(light) is deferred.DeferredModule
    assert deferme.runs == []
    assert light.__name__ == "deferme.light"  # what import statements read does not run it
    assert light.__spec__ is not None
    assert deferme.light is light  # set on its package, as any import does
    assert deferme.user.read() == 42  # first use runs it...
    assert type(light) is types.ModuleType
    from deferme.light import VALUE

    assert VALUE == 42
    assert deferme.runs == ["light"]  # ...once
    assert light.__loader__ is light.__spec__.loader
    assert type(light.__loader__).__name__ == "SourceFileLoader"


def test_a_deferred_module_runs_for_a_from_import_and_for_dir(package: Path) -> None:
    with deferred.imports(deferred=["deferme.light"], hidden=[]):
        import deferme.light
    assert deferme.runs == []
    assert "VALUE" in dir(deferme.light)
    assert deferme.runs == ["light"]


def test_a_deferred_module_that_fails_fails_when_used_and_is_not_left_imported(package: Path) -> None:
    with deferred.imports(deferred=["deferme.broken"], hidden=[]):
        import deferme.broken
    assert deferme.runs == []
    with pytest.raises(RuntimeError, match="boom"):
        _ = deferme.broken.anything
    assert "deferme.broken" not in sys.modules


def test_a_deferred_module_used_while_it_runs_is_partial_as_in_a_circular_import(package: Path) -> None:
    with deferred.imports(deferred=["deferme.cycle_a"], hidden=[]):
        import deferme.cycle_a
    assert deferme.cycle_a.VALUE == 1
    assert deferme.cycle_b.SEEN is None  # read before VALUE was set: an AttributeError, as without deferral
    assert deferme.runs == ["a"]


def test_imports_after_the_block_and_modules_imported_before_it_are_ordinary(package: Path) -> None:
    import deferme.light

    with deferred.imports(deferred=["deferme.light", "deferme.user"], hidden=[]):
        import deferme.light  # already imported: left as it is
    import deferme.user  # after the block: ordinary

    assert type(sys.modules["deferme.light"]) is types.ModuleType
    assert type(sys.modules["deferme.user"]) is types.ModuleType
    assert deferme.runs == ["light"]


def test_a_hidden_module_is_not_found_inside_the_block_and_importable_after(package: Path) -> None:
    with (
        deferred.imports(deferred=[], hidden=["deferme"]),
        pytest.raises(ModuleNotFoundError, match="not imported on the Lambda path"),
    ):
        import deferme
    import deferme

    assert deferme.runs == []


def test_the_real_modules_work_when_used(tmp_path: Path) -> None:
    # In a fresh interpreter: the deferred standard-library modules, used after the handler's
    # imports, are the real ones (TLS context, a 404 through http.client, cookies, hashes).
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import app.handler, types\n"
        "import ssl, http.cookies, hashlib, html\n"
        "assert type(ssl) is not types.ModuleType\n"
        "assert ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED\n"
        "assert type(ssl) is types.ModuleType\n"
        "assert hashlib.sha256(b'').hexdigest().startswith('e3b0c442')\n"
        "assert http.cookies.SimpleCookie('a=b')['a'].value == 'b'\n"
        "assert html.escape('<') == '&lt;'\n"
        "import http.client; assert http.client.responses[404] == 'Not Found'\n"
        "import signal, locale; assert signal.getsignal(signal.SIGINT) is not None\n"
        "assert locale.getpreferredencoding(False)\n"
        "import asyncio; assert asyncio.run(asyncio.sleep(0, 'ran')) == 'ran'\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        env={"AWS_LAMBDA_FUNCTION_NAME": "import-path-test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == "ok"
