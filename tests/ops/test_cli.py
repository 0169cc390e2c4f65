"""The real entry point, `python -m ops`: one readable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops import smoke
from ops.cli import parser
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
    from app.middleware import REQUEST_ID

    assert not REQUEST_ID.fullmatch(smoke.INVALID_REQUEST_ID)


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


# Hostile values: each is one line and exit 2 before anything is sent, never a traceback, a hang or
# a huge allocation. Nothing listens on the URL: had a run started, the error would be another.


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}"


SMOKE = ["smoke", "--warmup", "0"]
LOAD = ["load", "--requests", "1"]
LOGS = ["logs-check", "--log-group", "/aws/lambda/x", "--request-id", "x-1"]
RELEASE = ["release", "--function", "f", "--version", "2"]


def number_options() -> list[tuple[str, str]]:
    """(command, option) for every option of every command that takes a number other than a count."""
    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    return [
        (name, action.option_strings[-1])
        for name, command in commands.items()
        for action in command._actions
        if action.option_strings and action.type not in (None, int, Path)
    ]


def test_number_options_are_found() -> None:
    found = number_options()
    assert {("smoke", "--timeout"), ("load", "--max-error-rate"), ("release", "--canary")} <= set(found)
    assert {("logs-check", "--since"), ("release", "--signal-delay")} <= set(found)
    assert not {("load", "--requests"), ("smoke", "--json")} & set(found)  # a count, a path


# Read from the parser, so an option added later is covered with no edit here.
@pytest.mark.parametrize(("command", "option"), number_options())
@pytest.mark.parametrize("value", ["inf", "nan"])
def test_every_number_option_refuses_inf_and_nan(
    ops: OpsRunner, command: str, option: str, value: str
) -> None:
    result = ops(command, option, value)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"ops {command}: error: argument {option}: must be a finite number")
    assert result.err.endswith(f", got {value} (see python -m ops {command} --help)\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["smoke", "--timeout", "1e300"], "argument --timeout: must be at most 86400 (a day), got 1e300"),
        ([*SMOKE, "--timeout", "-1"], "argument --timeout: must be positive, got -1"),
        ([*SMOKE, "--max-body-bytes", "10000"], "--max-body-bytes is gone: the limit is read from the API's"),
        ([*LOAD, "--duration", "1e6"], "argument --duration: must be at most 86400 (a day)"),
        ([*LOAD, "--concurrency", "1000000"], "--concurrency must be 1-1000"),
        ([*LOGS, "--since", "1e12"], "argument --since: must be at most 5260320 (ten years)"),
        ([*RELEASE, "--bake", "1e100"], "argument --bake: must be at most 86400 (a day)"),
        ([*RELEASE, "--canary", "0"], "argument --canary: must be between 0 and 100 (exclusive), got 0"),
        ([*LOAD, "--max-error-rate", "1.5"], "argument --max-error-rate: must be between 0 and 1, got 1.5"),
    ],
)
def test_hostile_values_are_one_line_up_front(ops: OpsRunner, argv: list[str], message: str) -> None:
    if argv[0] in ("smoke", "load"):
        argv = [*argv, "--base-url", nowhere()]
    result = ops(*argv)
    assert result.code == 2, result.out + result.err
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert message in result.err
    assert result.err.startswith(f"ops {argv[0]}: error: ")


def test_a_usage_error_is_one_line_from_the_real_entry_point() -> None:
    result = python_m_ops("load", "--base-url", "http://127.0.0.1:1", "--timeout", "inf")
    assert_one_line(result, 2, "ops load: error: argument --timeout: must be a finite number")
    assert result.stderr.endswith(" (see python -m ops load --help)\n")  # where the usage is


@pytest.mark.parametrize("command", [[*SMOKE], [*LOAD]])
def test_an_unwritable_json_path_fails_before_the_run(
    ops: OpsRunner, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "no-such-directory" / "report.json"
    result = ops(*command, "--base-url", nowhere(), "--json", str(path))
    assert result.code == 2
    assert result.err == f"ops {command[0]}: error: cannot write {path}: No such file or directory\n"


@pytest.mark.parametrize("command", [[*SMOKE], [*LOAD]])
def test_a_directory_as_json_path_fails_before_the_run(
    ops: OpsRunner, tmp_path: Path, command: list[str]
) -> None:
    result = ops(*command, "--base-url", nowhere(), "--json", str(tmp_path))
    assert result.code == 2
    assert result.err == f"ops {command[0]}: error: cannot write {tmp_path}: Is a directory\n"


SECRET = "s3cr3t-pa55"  # noqa: S105 - a made-up password the output must not show


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://deployer:{SECRET}@", 1)


def test_credentials_in_the_base_url_are_never_printed(
    contract_server: str, ops: OpsRunner, tmp_path: Path
) -> None:
    url = with_credentials(f"{contract_server}/ok")
    shown = f"{contract_server}/ok".replace("http://", "http://***@", 1)
    smoke_json, load_json = tmp_path / "smoke.json", tmp_path / "load.json"
    smoke = ops("smoke", "--base-url", url, "--warmup", "0", "--json", str(smoke_json))
    load = ops("load", "--base-url", url, "--requests", "5", "--json", str(load_json))
    assert (smoke.code, load.code) == (0, 0), smoke.out + load.out
    assert f"smoke {shown}: " in smoke.out
    assert f"load {shown}/hello: " in load.out
    assert json.loads(smoke_json.read_text())["base_url"] == shown
    assert json.loads(load_json.read_text())["url"] == f"{shown}/hello"
    for text in (smoke.out, smoke.err, load.out, load.err, smoke_json.read_text(), load_json.read_text()):
        assert SECRET not in text
        assert "deployer" not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["smoke", "--warmup", "0", "--base-url", with_credentials("http://127.0.0.1:1")],
        ["load", "--requests", "1", "--base-url", with_credentials("http://127.0.0.1:1")],
        ["smoke", "--base-url", with_credentials("http://127.0.0.1:1/?stage=x")],
        ["smoke", "--base-url", with_credentials("ftp://127.0.0.1/")],
        ["smoke", "--base-url", with_credentials("http://[::1")],
        ["load", "--requests", "1", "--base-url", with_credentials("http://127.0.0.1:1/a?b")],
    ],
    ids=["smoke-unreachable", "load-unreachable", "query", "scheme", "invalid", "load-query"],
)
def test_credentials_are_not_printed_in_errors_either(ops: OpsRunner, argv: list[str]) -> None:
    result = ops(*argv)
    assert result.code == 2
    assert result.err.count("\n") == 1, result.err
    assert SECRET not in result.err
    assert "deployer" not in result.err
