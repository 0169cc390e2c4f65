"""The real entry point, `python -m ops`: one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops import smoke
from tests.ops.conftest import OpsRunner
from tools.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]


def python_m_ops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, starts: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(starts), result.stderr


def test_unreachable_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = python_m_ops("smoke", "--base-url", url, "--warmup", "0")
    assert_one_line(result, 2, f"ops smoke: error: cannot reach {url}: ")


@pytest.mark.emulator
def test_missing_function(aws_env: dict[str, str]) -> None:
    result = python_m_ops("rollback", "--function", "no-such-function", env=aws_env)
    assert_one_line(result, 2, "ops rollback: error: function 'no-such-function' not found")


def test_no_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",  # never ask an instance metadata service
    )
    result = python_m_ops("release", "--function", "f", "--version", "2", env=env)
    assert_one_line(result, 2, "ops release: error: reading function 'f': no AWS credentials found")


def test_usage_error_is_argparse_one_liner() -> None:
    result = python_m_ops("load", "--base-url", "http://127.0.0.1:1", "--max-error-rate", "2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--max-error-rate: must be between 0 and 1" in result.stderr


def test_help_lists_every_command() -> None:
    result = python_m_ops("--help")
    assert result.returncode == 0
    for command in ("smoke", "load", "release", "rollback", "logs-check"):
        assert command in result.stdout


def test_unexpected_errors_are_one_line_too(
    ops: OpsRunner, monkeypatch: pytest.MonkeyPatch, contract_server: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(smoke, "run", broken)
    result = ops("smoke", "--base-url", contract_server)
    assert result.code == 2
    assert result.err == "ops smoke: unexpected error: RuntimeError: a bug\n"
    monkeypatch.setenv("OPS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        ops("smoke", "--base-url", contract_server)


def test_json_file_that_cannot_be_written(ops: OpsRunner, contract_server: str, tmp_path: Path) -> None:
    result = ops(
        "smoke", "--base-url", f"{contract_server}/ok", "--warmup", "0", "--json", str(tmp_path / "no" / "x")
    )
    assert result.code == 2
    assert result.err.startswith("ops smoke: error: cannot write ")


def test_the_invalid_id_the_smoke_sends_is_invalid() -> None:
    assert not smoke.INCOMING_ID.match(smoke.INVALID_REQUEST_ID)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance metadata service
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.mark.usefixtures("no_aws")
@pytest.mark.parametrize("command", ["release", "rollback"])
def test_no_credentials_is_one_line(ops: OpsRunner, command: str) -> None:
    args = ["--function", "f"] + (["--version", "2"] if command == "release" else [])
    result = ops(command, *args)
    assert result.code == 2
    assert "no AWS credentials found" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.usefixtures("no_aws")
def test_no_region_is_one_line(ops: OpsRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = ops("rollback", "--function", "f")
    assert result.code == 2
    assert result.err == (
        "ops rollback: error: creating a lambda client: no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)\n"
    )
