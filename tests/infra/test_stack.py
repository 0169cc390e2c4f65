"""`make up` / `make down` (python -m tools.stack): idempotent, informative, and leaving no process.

Runs the real command in a temporary STACK_DIR on a free port, so a developer's own stack under
.local/stack is never touched. It applies examples/complete with its defaults alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT
from tools import emulator

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]


def stack(
    command: str, directory: Path, port: int, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STACK_DIR": str(directory)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "tools.stack", command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def pids(directory: Path) -> dict[str, int]:
    return {path.stem: int(path.read_text()) for path in directory.glob("*.pid")}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False
    return state != "Z"


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as response:  # loopback only; a safety net
        return json.loads(response.read())


def test_up_and_down_are_idempotent_and_leave_no_process(tmp_path: Path) -> None:
    directory, port = tmp_path / "stack", emulator.free_port()
    started: dict[str, int] = {}
    try:
        began = time.monotonic()
        first = stack("up", directory, port)
        up_seconds = time.monotonic() - began
        assert first.returncode == 0, first.stdout + first.stderr
        facts = json.loads((directory / "outputs.json").read_text())
        out = first.stdout
        assert f"API URL (local, through the Lambda handler): http://127.0.0.1:{port}" in out
        assert f"Function:       {facts['function_name']} (alias live, version 1)" in out
        assert f"Repository URL: {facts['repository_url']}" in out
        assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in out
        assert "AWS_ACCESS_KEY_ID=testing" in out
        assert "examples/complete applied to moto" in out
        print(f"make up took {up_seconds:.1f} s")  # shown with -s; the figure the README quotes

        started = pids(directory)
        assert set(started) == {"moto", "gateway"}
        assert all(alive(pid) for pid in started.values())
        base = f"http://127.0.0.1:{port}"
        assert get_json(f"{base}/hello") == {"message": "Hello, World!"}
        # The local app runs with the environment Terraform gave the function.
        assert get_json(f"{base}/health") == {"status": "ok", "version": "0.1.0"}

        again = stack("up", directory, port)
        assert again.returncode == 0, again.stdout + again.stderr
        assert pids(directory) == started, "a second `up` must reuse the running processes"
        assert "unchanged since it was applied" in again.stdout
        assert f"Repository URL: {facts['repository_url']}" in again.stdout

        down = stack("down", directory, port)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "destroyed and stopped" in down.stdout
        assert not any(alive(pid) for pid in started.values())
        assert pids(directory) == {}
        assert not (directory / "src" / "examples" / "complete" / "terraform.tfstate").exists()

        twice = stack("down", directory, port)
        assert twice.returncode == 0
        assert "nothing to do" in twice.stdout
    finally:
        for pid in started.values():  # only if an assertion above failed midway
            if alive(pid):
                os.killpg(pid, 9)


def test_missing_terraform_is_one_clear_line(tmp_path: Path) -> None:
    result = stack(
        "up", tmp_path / "stack", emulator.free_port(), path=str(tmp_path)
    )  # PATH without terraform
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: terraform is not on PATH; install Terraform 1.10 or later (see mise.toml)"
    ]
    assert not (tmp_path / "stack").exists(), "nothing may start before the check"
