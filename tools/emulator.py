"""moto server on loopback: the AWS API the tests and the local stack talk to.

The server is `python -m tools.moto_server`: moto's own, with the few gaps this project meets filled.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REGION = "us-east-1"
# moto's default account; any 12-digit id is accepted with dummy credentials.
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    """A loopback port nothing listens on, kept from other programs for about a minute.

    Binding port 0 and closing hands the number straight back to the kernel, which may give it to
    the next program asking for any port (another checkout's test run on this machine) before our
    server binds it; our health check would then be answered by theirs. A port left in TIME_WAIT
    is never handed out for port 0, while a server binding it by number with SO_REUSEADDR (uvicorn,
    moto's werkzeug and http.server all set it) still can.
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection((HOST, port)):
            accepted, _ = listener.accept()
            accepted.close()  # this end closes first, so this port is the one left in TIME_WAIT
    return port


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


def client(endpoint: str, service: str) -> Any:
    """A boto3 client of the emulator, with the dummy credentials moto accepts."""
    import boto3  # a dev dependency; the local stack and the tests need it, the CLI does not

    return boto3.client(  # type: ignore[call-overload]  # service names are checked by boto3 at run time
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
    )


# Generous: moto imports for seconds, more on a busy machine; an answer ends the wait at once.
def wait_until_up(endpoint: str, timeout: float = 60.0) -> None:
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
    """Start the emulator as a child process bound to loopback; return it and its endpoint URL."""
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
