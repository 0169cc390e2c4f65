"""moto server on loopback: the AWS API the tests and the local stack talk to.

`python -m tools.emulator` is moto's server with two gaps filled, both for custom domains:
- An API Gateway v2 domain name gets what AWS computes for it: its status (the AWS provider waits
  for AVAILABLE) and the regional target name and Route 53 hosted zone its alias record points at;
  and no mutual TLS block when none was asked for. moto only echoes the request back.
- ACM issues a requested certificate as soon as it is described (moto's MOTO_ACM_VALIDATION_WAIT,
  default 60 s, set to 0): moto never resolves the validation record, so waiting proves nothing.
"""

from __future__ import annotations

import hashlib
import os
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
# Route 53 hosted zones of API Gateway's regional endpoints ("Amazon API Gateway endpoints and
# quotas", AWS General Reference); other regions get a stand-in.
REGIONAL_API_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "eu-west-1": "ZLY8HYME6SFDD",
}


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
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.emulator", "-H", HOST, "-p", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(endpoint)
    except TimeoutError:
        process.kill()
        raise
    return process, endpoint


def _complete_domain_names() -> None:
    """Add to moto's API Gateway v2 domain names the fields AWS computes (see the module docstring)."""
    from moto.apigatewayv2.models import DomainName

    plain = DomainName.to_json

    def to_json(self: DomainName) -> dict[str, Any]:
        data = plain(self)
        if not data.get("mutualTlsAuthentication"):
            data.pop("mutualTlsAuthentication", None)  # AWS leaves it out; moto says {}, a diff forever
        region = self.domain_name_arn.split(":")[3]
        target = "d-" + hashlib.sha256(self.domain_name.encode()).hexdigest()[:10]
        for configuration in data.get("domainNameConfigurations") or []:
            configuration.setdefault("domainNameStatus", "AVAILABLE")
            configuration.setdefault("apiGatewayDomainName", f"{target}.execute-api.{region}.amazonaws.com")
            configuration.setdefault("hostedZoneId", REGIONAL_API_ZONES.get(region, "ZEMULATEDAPIGW"))
        return data

    DomainName.to_json = to_json  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")  # read when moto.settings is imported
    _complete_domain_names()
    from moto.server import main as serve

    serve(argv)


if __name__ == "__main__":
    main()
