"""Fixtures for the ops tests: the contract's reference server and its broken copies, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from ops.cli import main
from tests.ops.contract_app import ThreadServer, all_variants


@pytest.fixture(scope="session")
def contract_server() -> Iterator[str]:
    """Base URL of the server hosting every variant under /<name> (ok, cors, gateway, one per break)."""
    with ThreadServer(all_variants()) as server:
        yield server.url


@dataclass
class Run:
    code: int
    out: str
    err: str


OpsRunner = Callable[..., Run]


@pytest.fixture
def ops(capsys: pytest.CaptureFixture[str]) -> OpsRunner:
    """Run `python -m ops ARGS` in this process; returns exit code and captured output."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse rejects the input
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
