"""Fixtures for the ops tests: the real app and its mutants on one server, and a CLI runner."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
import uvicorn
from starlette.types import ASGIApp

from ops.cli import main
from tests.conftest import ROOT
from tests.ops.mutants import all_variants
from tools.emulator import free_port


class ThreadServer:
    """uvicorn serving an ASGI app on a free loopback port from a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 60  # a safety net: a busy machine may be slow to start it
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def contract_server() -> Iterator[str]:
    """Base URL of the server hosting every variant under /<name> (ok, cors, auth, one per mutant)."""
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


def interrupted(args: Sequence[str], env: dict[str, str], busy: Callable[[], bool], signum: int) -> Run:
    """Run `python -m ops ARGS` in a process of its own, wait until `busy()` holds, send it `signum`
    and return how it ended.

    The process starts as a shell's background job starts it, with SIGINT ignored: the command must
    still stop on it.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "ops", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 120  # a safety net, not a measurement
        while not busy():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"ops {args[0]} never got busy"
            time.sleep(0.05)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    return Run(process.returncode, out, err)


class FakeClock:
    """Monotonic time that passes only when the code under test sleeps, or a test server (latency_app)
    makes a request take time. Whole microseconds, so sums are exact, moved under a lock (threaded
    servers move it too). Actions given to `at` run once their time comes."""

    def __init__(self) -> None:
        self.microseconds = 0
        self.lock = threading.Lock()
        self.actions: list[tuple[float, Callable[[], None]]] = []
        self.slept: list[float] = []

    @property
    def now(self) -> float:
        return self.microseconds / 1_000_000

    def __call__(self) -> float:
        return self.now

    def at(self, when: float, action: Callable[[], None]) -> None:
        self.actions.append((when, action))

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.microseconds += round(seconds * 1_000_000)
        for due in [item for item in self.actions if item[0] <= self.now]:
            self.actions.remove(due)
            due[1]()
