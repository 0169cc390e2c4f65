"""The image's runtime closure, built the way the Dockerfile's builder stage builds it, is complete.

requirements.txt alone (hash-checked wheels) goes into a fresh directory with app/ beside it; a fresh
interpreter that sees only that directory and the standard library (-I -S -B) resolves the
Dockerfile's CMD, imports it and answers an API Gateway HTTP API 2.0 event for every route. If the
image's dependency list missed something, or the Lambda path imported a dev-only package (uvicorn,
httpx, boto3...), this fails here the way the function would fail on its first cold start.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.main import app
from bench.image import build_closure, isolated_python, lambda_like_env, without_bytecode
from ci import invoke_image
from shared import contract
from shared.dockerfile_parser import DOCKERFILE, dockerfile_cmd, instructions
from shared.events import http_event

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("closure_probe.py")


@pytest.fixture(scope="module")
def closure(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_closure(tmp_path_factory.mktemp("closure") / "task", bytecode=True)


def probe(closure: Path, events: list[dict[str, Any]], tmp_path: Path) -> dict[str, Any]:
    events_file, output = tmp_path / "events.json", tmp_path / "probe.json"
    events_file.write_text(json.dumps(events))
    result = subprocess.run(
        [*isolated_python(), str(PROBE), str(closure), dockerfile_cmd(), str(events_file), str(output)],
        env={**lambda_like_env(), "APP_VERSION": "closure-test"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, f"probe failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(output.read_text())


def body(result: dict[str, Any]) -> Any:
    assert not result.get("isBase64Encoded"), result
    return json.loads(result["body"])


def distributions(directory: Path) -> set[str]:
    return {re.sub(r"[-_.]+", "-", path.name.split("-")[0]).lower() for path in directory.glob("*.dist-info")}


def distributions_locked() -> set[str]:
    text = (ROOT / "requirements.txt").read_text()
    return {
        re.sub(r"[-_.]+", "-", m).lower() for m in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", text, re.M)
    }


def test_closure_holds_exactly_the_locked_runtime_distributions(closure: Path) -> None:
    assert distributions(closure) == distributions_locked()
    assert not {"uvicorn", "httpx", "boto3", "pytest", "moto"} & distributions(closure)
    assert (closure / "app" / "handler.py").is_file()


def test_every_route_answers_from_the_closure_alone(closure: Path, tmp_path: Path) -> None:
    # The image check's cases (the document, every route example in it, /health), and two generic refusals.
    cases = [
        invoke_image.document_case(),
        *invoke_image.cases(contract.read(app.state.openapi), "closure-test"),
    ]
    refusals = [
        http_event("DELETE", "/hello", request_id="req-405"),
        http_event("GET", "/nowhere", request_id="req-404"),
    ]
    events = [case.event for case in cases] + refusals
    report = probe(closure, events, tmp_path)

    # Only the closure and the standard library were visible, and only they were used.
    assert report["sys_path"][0] == str(closure)
    assert not [p for p in report["sys_path"] if "site-packages" in p or "dist-packages" in p]
    assert report["site_loaded"] is False
    assert report["outside"] == []

    for case, result in zip(cases, report["results"], strict=False):
        assert invoke_image.check(case, result) == [], case.name
    not_allowed, missing = report["results"][len(cases) :]
    for result, status in ((not_allowed, 405), (missing, 404)):
        assert result["statusCode"] == status
        assert result["headers"]["content-type"] == "application/problem+json"
        assert body(result)["status"] == status
    for event, result in zip(events, report["results"], strict=True):
        assert result["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    openapi = report["results"][0]

    # Every operation the app documents was invoked above and succeeded.
    invoked = {
        (e["requestContext"]["http"]["method"].lower(), e["rawPath"])
        for e, r in zip(events, report["results"], strict=True)
        if r["statusCode"] < 300
    }
    documented = {(method, path) for path, item in body(openapi)["paths"].items() for method in item}
    assert documented <= invoked, documented - invoked


def test_bytecode_is_unchecked_hash_and_used_without_reading_sources(closure: Path, tmp_path: Path) -> None:
    sources = [p for p in closure.rglob("*.py") if "__pycache__" not in p.parts]
    for source in sources:
        compiled = list((source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"))
        assert compiled, f"no .pyc for {source.relative_to(closure)}"
        (flags,) = struct.unpack("<I", compiled[0].read_bytes()[4:8])
        assert flags == 0b01, f"{compiled[0].name}: flags {flags:#b}, expected hash-based unchecked"

    # A source that no longer matches its .pyc is never looked at: what the read-only task root needs
    # (nothing can rewrite a .pyc there) and why layer timestamps do not matter.
    copy = Path(shutil.copytree(closure, tmp_path / "task"))
    with (copy / "app" / "handler.py").open("a") as handler:
        handler.write('\nraise RuntimeError("the source was compiled at import time")\n')
    report = probe(copy, [http_event("GET", "/hello")], tmp_path)
    assert report["results"][0]["statusCode"] == 200

    # Without bytecode the same edit is compiled and fails: the check above can tell the difference.
    source_only = without_bytecode(copy, tmp_path / "source-only")
    with pytest.raises(AssertionError, match="the source was compiled at import time"):
        probe(source_only, [http_event("GET", "/hello")], tmp_path)


def test_a_dependency_missing_from_requirements_fails(tmp_path: Path) -> None:
    text = (ROOT / "requirements.txt").read_text()
    without_structlog = re.sub(r"^structlog==.*?(?=^\S)", "", text, flags=re.M | re.S)
    assert "structlog==" not in without_structlog
    assert "starlette==" in without_structlog
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(without_structlog)
    broken = build_closure(tmp_path / "task", bytecode=False, requirements=requirements)
    with pytest.raises(AssertionError, match="No module named 'structlog'"):
        probe(broken, [http_event("GET", "/hello")], tmp_path)


def test_a_dev_only_import_on_the_lambda_path_fails(closure: Path, tmp_path: Path) -> None:
    leaky = without_bytecode(closure, tmp_path / "task")
    handler = leaky / "app" / "handler.py"
    handler.write_text(handler.read_text() + "\nimport httpx  # a test client on the Lambda path\n")
    with pytest.raises(AssertionError, match="No module named 'httpx'"):
        probe(leaky, [http_event("GET", "/hello")], tmp_path)


def builder_install_step() -> str:
    """The builder stage's RUN that installs requirements.txt, exactly as the Dockerfile has it."""
    runs = [arguments for keyword, arguments in instructions(DOCKERFILE.read_text()) if keyword == "RUN"]
    return next(run for run in runs if "pip install" in run)


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_the_builder_step_installs_wheels_for_each_lambda_architecture(arch: str, tmp_path: Path) -> None:
    # The Dockerfile's own shell, run here with this interpreter as python3: its architecture switch,
    # the manylinux platform list and pip's flags must work for both targets on any build machine.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    requirements = tmp_path / "requirements.txt"
    shutil.copy(ROOT / "requirements.txt", requirements)
    task_root = tmp_path / "task"
    script = builder_install_step().replace("/tmp/requirements.txt", str(requirements))
    result = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "TARGETARCH": arch, "LAMBDA_TASK_ROOT": str(task_root),
             "HOME": str(tmp_path), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert distributions(task_root) == distributions_locked()
    assert not list(task_root.rglob("*.pyc"))  # --no-compile: bytecode comes from compileall alone


def test_the_builder_step_refuses_other_architectures(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", "-c", builder_install_step()],
        env={"PATH": "/usr/bin:/bin", "TARGETARCH": "s390x", "LAMBDA_TASK_ROOT": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "unsupported TARGETARCH 's390x'" in result.stderr
