"""moto server on loopback: the AWS API the tests and the local stack talk to."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
REGION = "us-east-1"
# moto's default account; any 12-digit id is accepted with dummy credentials.
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def aws_env(endpoint: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment that sends every AWS SDK and the Terraform provider to the emulator."""
    env = dict(base or {})
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto accepts any credentials
        AWS_SESSION_TOKEN="testing",  # noqa: S106
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    # A profile or shared config pointing at real AWS must not leak in.
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    return env


def wait_until_up(endpoint: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):  # noqa: S310 - loopback
                return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                message = f"moto server did not answer on {endpoint} within {timeout:.0f} s"
                raise TimeoutError(message) from None
            time.sleep(0.1)


def start(port: int | None = None, log: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start `moto_server` as a child process bound to loopback; return it and its endpoint URL."""
    port = port or free_port()
    endpoint = f"http://{HOST}:{port}"
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    # tools/moto_server.py: moto's server plus Lambda's GetAccountSettings, which moto lacks.
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.moto_server", "-H", HOST, "-p", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        wait_until_up(endpoint)
    except TimeoutError:
        process.kill()
        raise
    return process, endpoint
