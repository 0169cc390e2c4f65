"""docs/add-a-route.md, followed on a copy of the repository: a route added in app/ alone is covered by
the contract tests and `ops smoke`, and the deployment sends it to the function.

The guide's code blocks are applied as its `<!-- edit: FILE after: LINE -->` (or `append`) markers
say; then the copy's own contract tests run against the copied app, and `ops smoke` against one
uvicorn server of the copy.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from ops.cli import main as ops
from shared.pins import PLAIN
from tests.conftest import serve, stop
from tests.docs.guides import ROOT, child_env, edits, follow, unanchored

GUIDE = ROOT / "docs" / "add-a-route.md"


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return follow(GUIDE, tmp_path_factory.mktemp("fork") / "repo")


def test_the_guide_edits_at_most_three_files_all_under_app() -> None:
    found = edits(GUIDE.read_text())
    assert len(found) >= 3
    files = {edit.file for edit in found}
    assert len(files) <= 3
    assert all(file.startswith("app/") for file in files)
    # Every edit lands: an anchor the guide names is in its file, once.
    assert unanchored(found) == []


def test_the_code_it_adds_is_formatted_and_lint_clean(fork: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    files = sorted({edit.file for edit in edits(GUIDE.read_text())})
    for command in (["format", "--check", "--diff"], ["check"]):
        result = subprocess.run(
            [str(ruff), *command, *files], cwd=fork, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_contract_tests_cover_the_new_route(fork: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/app/test_contract.py", "tests/app/test_openapi.py",
         "-k", "not schemathesis", "-n", "0", "-v", "-p", "no:cacheprovider", "--no-cov"],
        cwd=fork, env=child_env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = set(re.findall(r"^tests/app/\S+::(\S+) PASSED", result.stdout, re.M))
    # The example, through the ASGI app and the Lambda handler (text and base64 bodies).
    for transport in ("asgi", "lambda", "lambda-base64"):
        assert f"test_every_example_of_every_route[{transport}-time]" in passed
    assert "test_document_describes_every_route_and_method" in passed
    assert "test_every_route_has_examples_and_they_read" in passed


@pytest.fixture(scope="module")
def fork_server(fork: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = serve(["-m", "app"], tmp_path_factory.mktemp("fork-app") / "app.log", env=child_env(), cwd=fork)
    yield server.url
    stop(server)


def test_ops_smoke_checks_the_new_route_with_no_change_to_ops(
    fork: Path, fork_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (fork / "ops").is_dir()
    assert all((fork / "ops" / p.name).read_bytes() == p.read_bytes() for p in (ROOT / "ops").glob("*.py"))
    report = tmp_path / "smoke.json"
    code = ops(["smoke", "--base-url", fork_server, "--warmup", "30", "--json", str(report)])
    assert code == 0, capsys.readouterr().out
    checks = {check["name"]: check for check in json.loads(report.read_text())["checks"]}
    assert (checks["time"]["method"], checks["time"]["path"], checks["time"]["status"]) == (
        "GET",
        "/time",
        200,
    )
    assert checks["time"]["ok"]


def route_keys(module: Path) -> dict[str, str]:
    """Route key -> target of the aws_apigatewayv2_route resources of a module, with its variables'
    defaults (what examples/complete and the live units use) for route keys taken from a list."""
    blocks: dict[str, list[dict[str, Any]]] = {"resource": [], "variable": []}
    for tf in sorted(module.glob("*.tf")):
        loaded = hcl2.loads(tf.read_text(), serialization_options=PLAIN)
        for kind in blocks:
            blocks[kind] += loaded.get(kind, [])
    defaults = {name: body.get("default") for block in blocks["variable"] for name, body in block.items()}
    keys: dict[str, str] = {}
    for block in blocks["resource"]:
        for route in (block.get("aws_apigatewayv2_route") or {}).values():
            listed = re.fullmatch(r"\$\{toset\(var\.(\w+)\)\}", str(route.get("for_each", "")))
            for key in defaults[listed[1]] or [] if listed else [route["route_key"]]:
                keys[str(key)] = str(route.get("target"))
    return keys


def test_the_deployment_sends_the_new_route_to_the_function(fork: Path) -> None:
    # API Gateway matches a request to a route key, else to `$default` ("Routing API requests", API
    # Gateway developer guide); a request that matches neither gets API Gateway's own 404. The routes
    # of modules/api-gateway must send GET /time to the integration, with nothing written for it.
    keys = route_keys(fork / "modules" / "api-gateway")
    reaching = [key for key in ("GET /time", "ANY /time", "$default") if key in keys]
    assert reaching, f"modules/api-gateway routes only {sorted(keys)}: GET /time would get API Gateway's 404"
    assert "integrations/" in keys[reaching[0]]
    assert "/time" not in "".join(tf.read_text() for tf in (fork / "modules" / "api-gateway").glob("*.tf"))
