"""Fixtures shared by every layer of the suite: loopback-only networking, the emulator, Terraform."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools import emulator, terraform

ROOT = Path(__file__).resolve().parent.parent

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check_loopback(address: object) -> None:
    """Refuse any connection from the test process that would leave the machine."""
    if not isinstance(address, tuple):  # AF_UNIX paths and the like stay local
        return
    host = str(address[0])
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host.split("%")[0]).is_loopback:
            return
    except ValueError:
        pass
    raise ConnectionRefusedError(f"tests may only talk to loopback, not {host}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_loopback(address)
    return _connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_loopback(address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    # Proxies from the environment would route loopback requests elsewhere.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


# The slowest files (measured with `make test ARGS=--durations=0`, slowest first) are handed to the
# xdist workers first: each file runs whole on one worker (--dist loadfile), so a long file taken last
# would leave the other worker idle at the end.
SLOW_FILES = (
    "tests/infra/test_terraform.py",
    "tests/ops/test_release.py",
    "tests/live/test_rehearsal.py",
    "tests/infra/test_emulator.py",
    "tests/infra/test_custom_domain.py",
    "tests/docs/test_add_a_resource.py",
    "tests/live/test_tree.py",
    "tests/ci/test_workflows.py",
    "tests/infra/test_stack.py",
    "tests/ci/test_scan.py",
    "tests/ops/test_smoke.py",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than cores. Many tests wait rather than compute (servers, child
    processes, the AWS provider's fixed Route 53 delays), so a third worker keeps two cores busy: on
    the 2-core CI machine the suite took 610 s with two workers and 529 s with three."""
    return (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return SLOW_FILES.index(path) if path in SLOW_FILES else len(SLOW_FILES)

    items.sort(key=rank)  # stable: the order within a file and among the rest stays


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One moto server on a free loopback port for the whole session."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process, endpoint = emulator.start(log=log)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point boto3 in this process (and the returned env, for subprocesses) at the emulator."""
    env = emulator.aws_env(moto_endpoint, dict(os.environ))
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for Terraform subprocesses, with a CLI config that uses the local provider mirror."""
    return terraform.cli_env(tmp_path_factory.mktemp("terraform"))


@dataclass
class Server:
    """A process serving HTTP on loopback, with its combined output in `log`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        """The complete lines written so far (not one the server is still writing)."""
        return self.log.read_text(errors="replace").split("\n")[:-1]

    # The timeouts below are safety nets against a hang, not bounds a test is judged by: a busy
    # machine may stall a server for seconds, and a wait that ends early costs nothing.
    def records(
        self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        """The JSON log records, once `until(records)` holds: a server logs a request after answering it."""
        deadline = time.monotonic() + timeout
        while True:
            records = [json.loads(line) for line in self.lines() if line.startswith("{")]
            if until(records) or time.monotonic() > deadline:
                return records
            time.sleep(0.05)


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                process.kill()
                message = f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()}"
                raise TimeoutError(message) from None
            time.sleep(0.1)


def serve(args: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Server:
    """Start `python <args> --port P` (in `cwd`) on loopback and wait until it answers /health."""
    port = emulator.free_port()
    process = subprocess.Popen(
        [sys.executable, *args, "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env={**os.environ, "LOG_FORMAT": "json", **(env or {})},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/health", process, log)
    return Server(url, process, log)


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


# Module scope: the server must exit (and write its coverage data) before pytest-cov reports.
@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real app served by `python -m app` (uvicorn) on a free loopback port."""
    server = serve(["-m", "app"], tmp_path_factory.mktemp("app") / "app.log")
    yield server
    stop(server)


_HANDLE = """
import json, sys
from app.handler import handler
from shared.events import LambdaContext
for event in json.load(sys.stdin):
    print("RESULT " + json.dumps(handler(event, LambdaContext())), file=sys.stderr)
"""


def handle_in_new_interpreter(
    events: list[dict[str, Any]], env: dict[str, str]
) -> tuple[list[dict[str, Any]], str]:
    """Each event through `app.handler.handler` in one new interpreter, as in a new execution
    environment: the handler reads its settings (`env`, over this process's) at import. The results,
    and what the handler wrote to stdout (its log lines)."""
    completed = subprocess.run(
        [sys.executable, "-c", _HANDLE],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    results = [json.loads(line[7:]) for line in completed.stderr.splitlines() if line.startswith("RESULT ")]
    assert len(results) == len(events), completed.stderr
    return results, completed.stdout
