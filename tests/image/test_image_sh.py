"""tools/image.sh (`make image`, `make image-test`) without a Docker engine.

There is no Docker engine on these machines, so: (1) with no engine both commands must say so in one
line and exit non-zero; (2) with a recording stand-in for `docker` (tests/image/fake_docker.py) the
script's own logic runs end to end: the buildx command it builds, the loopback-only emulator port,
the API Gateway 2.0 invocations and their checks, clean-up, and failure on a wrong answer. Behind
the fake `docker run` is what the image's entry point runs, without the image: the real runtime
client with this checkout's handler, behind the emulator's invocation endpoint
(`python -m tools.runtime_api`). The real build and the real emulator inside the image run where
Docker exists (`make image-test`, CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import app
from shared import contract
from tools.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "image.sh"


def bin_dir(tmp_path: Path, *, docker: bool) -> Path:
    """A PATH with just what image.sh needs, plus the fake `docker` when asked."""
    directory = tmp_path / ("bin-docker" if docker else "bin")
    if directory.exists():
        return directory
    directory.mkdir()
    for tool in ("bash", "dirname", "git"):
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run tools/image.sh"
        (directory / tool).symlink_to(found)
    (directory / "python3").symlink_to(sys.executable)
    if docker:
        fake = directory / "docker"
        fake.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "tests/image/fake_docker.py"}" "$@"\n')
        fake.chmod(0o755)
    return directory


def run(
    args: list[str], tmp_path: Path, *, docker: bool, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    state = tmp_path / "docker-state"
    state.mkdir(exist_ok=True)
    path = bin_dir(tmp_path, docker=docker)
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={"PATH": str(path), "HOME": str(tmp_path), "FAKE_DOCKER_DIR": str(state), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, state


def calls(state: Path) -> list[list[str]]:
    log = state / "calls.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("command", ["build", "test"])
def test_without_docker_installed_says_so_and_fails(tmp_path: Path, command: str) -> None:
    result, _ = run([command], tmp_path, docker=False)
    assert result.returncode != 0
    assert "no Docker engine" in result.stderr
    assert "'docker' command is not installed" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["build", "test"])
def test_with_the_daemon_down_says_so_and_fails(tmp_path: Path, command: str) -> None:
    result, state = run([command], tmp_path, docker=True, FAKE_DOCKER_DAEMON="down")
    assert result.returncode != 0
    assert "no Docker engine" in result.stderr
    assert "Cannot connect to the Docker daemon" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [call[0] for call in calls(state)] == ["info"]  # nothing was attempted after the check


def test_bad_architecture_and_usage_are_rejected(tmp_path: Path) -> None:
    result, _ = run(["build"], tmp_path, docker=True, LAMBDA_ARCHITECTURE="aarch64")
    assert result.returncode != 0
    assert "LAMBDA_ARCHITECTURE must be x86_64 or arm64" in result.stderr
    result, _ = run(["deploy"], tmp_path, docker=True)
    assert result.returncode == 2
    assert "usage: tools/image.sh build|test" in result.stderr


@pytest.mark.parametrize(("architecture", "platform"), [("x86_64", "linux/amd64"), ("arm64", "linux/arm64")])
def test_build_uses_buildx_for_the_lambda_architecture(
    tmp_path: Path, architecture: str, platform: str
) -> None:
    result, state = run(
        ["build"],
        tmp_path,
        docker=True,
        LAMBDA_ARCHITECTURE=architecture,
        APP_VERSION="1.2.3",
        IMAGE="example:tag",
        BASE_DIGEST="@sha256:" + "0" * 64,
    )
    assert result.returncode == 0, result.stderr
    (build,) = [call for call in calls(state) if call[:2] == ["buildx", "build"]]
    assert build[build.index("--platform") + 1] == platform
    # Lambda rejects an OCI index: no attestations.
    assert "--provenance=false" in build
    assert "--sbom=false" in build
    assert build[build.index("--tag") + 1] == "example:tag"
    assert "--load" in build
    assert build[-1] == "."
    build_args = json.loads((state / "build-args.json").read_text())
    assert build_args["APP_VERSION"] == "1.2.3"
    assert build_args["BASE_DIGEST"] == "@sha256:" + "0" * 64
    assert set(build_args) >= {"REVISION", "SOURCE"}


def test_test_runs_the_image_on_loopback_and_checks_every_answer(tmp_path: Path) -> None:
    port = free_port()
    result, state = run(["test"], tmp_path, docker=True, PORT=str(port), APP_VERSION="9.9.9-test")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("GET /openapi.json", "GET /hello (hello)", "POST /echo (echo)", "GET /health"):
        assert f"ok   {name}\n" in result.stdout
    # The document, each route example in it, /health.
    checks = 2 + len(contract.examples(app.state.openapi))
    assert f"{checks} of {checks} checks passed" in result.stdout
    recorded = calls(state)
    (run_call,) = [call for call in recorded if call[0] == "run"]
    assert run_call[run_call.index("--publish") + 1] == f"127.0.0.1:{port}:8080"
    assert "--read-only" in run_call  # Lambda's filesystem is read-only but for /tmp
    assert recorded[-1][:2] == ["rm", "--force"]  # the container is removed afterwards
    assert not (state / "container.pid").exists()
    # The "container" ran the handler under the real runtime client: one access line per check,
    # each under the request id the Runtime API handed the client.
    log = [
        json.loads(line)
        for line in (state / "container.log").read_text().splitlines()
        if line.startswith("{")
    ]
    access = [record for record in log if record.get("event") == "request"]
    assert len(access) == checks
    assert all(re.fullmatch(r"[0-9a-f-]{36}", record["lambda_request_id"]) for record in access)
    assert access[0]["cold_start"] is True


def test_test_fails_on_a_wrong_answer_and_shows_the_container_output(tmp_path: Path) -> None:
    state = tmp_path / "docker-state"
    state.mkdir()
    (state / "build-args.json").write_text(json.dumps({"APP_VERSION": "1.0.0"}))  # an image built before
    result, state = run(
        ["test"],
        tmp_path,
        docker=True,
        PORT=str(free_port()),
        SKIP_BUILD="1",
        APP_VERSION="1.0.0",
        FAKE_RIE_BREAK_ROUTE="/hello",
    )
    assert result.returncode != 0
    assert "FAIL GET /hello" in result.stdout
    assert "ok   POST /echo" in result.stdout
    assert "ok   GET /health" in result.stdout
    assert "the image failed its checks" in result.stderr
    assert not any(call[:2] == ["buildx", "build"] for call in calls(state))  # SKIP_BUILD=1
    assert calls(state)[-1][:2] == ["rm", "--force"]


def test_makefile_targets_call_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "\ttools/image.sh build\n" in makefile
    assert "\ttools/image.sh test\n" in makefile
    assert os.access(SCRIPT, os.X_OK)
