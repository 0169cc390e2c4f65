"""`python -m tools.stack up|down`: the local stack behind `make up` and `make down`.

`up` starts moto on 127.0.0.1, applies examples/complete to it and serves the app through its Lambda
handler (`python -m tools.gateway`) with the function's environment as applied. `--example
custom-domain` applies examples/custom-domain instead (in a hosted zone `example.com` it makes
first): the gateway then serves under the API's mapping key and stands in for its JWT authorizer on
the protected routes, with the settings read back from the emulator. `down` destroys the
stack and stops both processes. Both may be run any number of times. Everything they keep (pid
files, logs, a copy of the Terraform code, its state) lives under `.local/stack/` (or STACK_DIR).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tools import emulator, terraform

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("complete", "custom-domain")
# The public hosted zone an example expects to exist already, as it would in a real account.
ZONES = {"custom-domain": "example.com"}
DEFAULT_PORT = 8080


class StackError(Exception):
    """A failure to report as one line, without a traceback."""


class Stack:
    def __init__(self, directory: Path, port: int, example: str | None = None) -> None:
        self.dir = directory
        self.port = port
        self.src = directory / "src"
        recorded = directory / "example"
        # `down` (no --example) acts on what `up` applied.
        self.example = example or (recorded.read_text().strip() if recorded.exists() else EXAMPLES[0])
        self.workdir = self.src / "examples" / self.example
        self.state = self.workdir / "terraform.tfstate"

    # Processes -------------------------------------------------------------------------------

    def _pid(self, name: str) -> int | None:
        """The recorded pid of `name` if that process is still the one we started."""
        path = self.dir / f"{name}.pid"
        if not path.exists():
            return None
        try:
            pid = int(path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except (ValueError, OSError):
            return None
        # A recycled pid belongs to some other program: never signal that.
        markers = {"moto": (b"tools.moto_server", b"moto.server"), "gateway": (b"tools.gateway",)}[name]
        return pid if any(marker in cmdline for marker in markers) else None

    def _stop(self, name: str) -> bool:
        pid = self._pid(name)
        (self.dir / f"{name}.pid").unlink(missing_ok=True)
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)  # both run in their own session: stop the whole group
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.05)
        os.killpg(pid, signal.SIGKILL)
        return True

    def _moto_endpoint(self) -> str | None:
        path = self.dir / "moto.endpoint"
        if self._pid("moto") is None or not path.exists():
            return None
        endpoint = path.read_text().strip()
        try:
            emulator.wait_until_up(endpoint, timeout=30)  # its process lives: give a busy one time
        except TimeoutError:
            return None
        return endpoint

    def _start_moto(self) -> str:
        endpoint = self._moto_endpoint()
        if endpoint:
            return endpoint
        self._stop("moto")
        # A new emulator starts empty: state from an earlier one describes nothing that exists.
        self.state.unlink(missing_ok=True)
        process, endpoint = emulator.start(log=self.dir / "moto.log")
        (self.dir / "moto.pid").write_text(f"{process.pid}\n")
        (self.dir / "moto.endpoint").write_text(f"{endpoint}\n")
        return endpoint

    def _start_gateway(self, environment: dict[str, str], arguments: list[str]) -> None:
        url = f"http://{emulator.HOST}:{self.port}"
        if self._pid("gateway") is not None:
            _wait_for_health(url, None, self.dir / "gateway.log")
            return
        self._stop("gateway")
        if _port_in_use(self.port):
            raise StackError(f"port {self.port} is already in use; free it or pass --port")
        log = self.dir / "gateway.log"
        command = [sys.executable, "-m", "tools.gateway", "--host", emulator.HOST, "--port", str(self.port)]
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*command, *arguments],
                cwd=ROOT,
                env={**os.environ, **environment, "LOG_FORMAT": "json"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (self.dir / "gateway.pid").write_text(f"{process.pid}\n")
        _wait_for_health(url, process, log)

    # Terraform -------------------------------------------------------------------------------

    def _copy_config(self) -> None:
        """Copy the example and the modules it uses; keep the copy's .terraform and state."""
        shutil.rmtree(self.src / "modules", ignore_errors=True)
        shutil.copytree(ROOT / "modules", self.src / "modules", ignore=shutil.ignore_patterns(".terraform*"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in self.workdir.glob("*.tf"):
            stale.unlink()
        for source in (ROOT / "examples" / self.example).glob("*.tf"):
            shutil.copy2(source, self.workdir / source.name)
        # The example's committed provider pins, as Terraform reads them in the example's directory.
        shutil.copy2(
            ROOT / "examples" / self.example / terraform.LOCK_FILE, self.workdir / terraform.LOCK_FILE
        )

    def _terraform(self, env: dict[str, str], *args: str) -> str:
        log = self.dir / "terraform.log"
        with log.open("a") as out:
            out.write(f"\n$ terraform {' '.join(args)}\n")
            out.flush()
            result = subprocess.run(
                ["terraform", f"-chdir={self.workdir}", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
            out.write(result.stdout)
        if result.returncode != 0:
            errors = [line for line in result.stdout.splitlines() if "Error:" in line]
            reason = errors[0].strip(" │╷╵") if errors else f"exit status {result.returncode}"
            raise StackError(f"terraform {args[0]} failed ({reason}); see {log}")
        return result.stdout

    def _env(self, endpoint: str) -> dict[str, str]:
        return emulator.aws_env(endpoint, terraform.cli_env(self.dir / "terraform-cli"))

    # Commands --------------------------------------------------------------------------------

    def up(self) -> dict[str, object]:
        _require_terraform()
        if self._pid("gateway") is None and _port_in_use(self.port):  # fail before the slow part
            raise StackError(f"port {self.port} is already in use; free it or pass --port")
        recorded = self.dir / "example"
        if recorded.exists() and recorded.read_text().strip() != self.example and self._moto_endpoint():
            running = recorded.read_text().strip()
            raise StackError(
                f"examples/{running} is up; run `make down` before `make up EXAMPLE={self.example}`"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        endpoint = self._start_moto()
        applied = self.dir / "applied.sha256"
        outputs_file = self.dir / "outputs.json"
        digest = _config_digest(self.example)
        fresh = not (
            self.state.exists()
            and outputs_file.exists()
            and applied.exists()
            and applied.read_text() == digest
        )
        if fresh:
            # First run, a new emulator, or changed Terraform code: (re)apply.
            applied.unlink(missing_ok=True)
            recorded.write_text(f"{self.example}\n")
            env = self._env(endpoint)
            if self.example in ZONES:
                _ensure_zone(endpoint, ZONES[self.example])
            self._copy_config()
            self._terraform(env, "init", "-input=false", "-no-color")
            self._terraform(env, "apply", "-auto-approve", "-input=false", "-no-color")
            outputs = {
                name: value["value"]
                for name, value in json.loads(self._terraform(env, "output", "-json", "-no-color")).items()
            }
            outputs_file.write_text(json.dumps(outputs, indent=2) + "\n")
            applied.write_text(digest)
        outputs = json.loads(outputs_file.read_text())
        environment, arguments, front_door = gateway_settings(endpoint, outputs)
        self._start_gateway(environment, arguments)
        return {
            "example": self.example,
            "endpoint": endpoint,
            "local_url": f"http://{emulator.HOST}:{self.port}",
            "applied": fresh,
            **front_door,
            **outputs,
        }

    def down(self) -> bool:
        """Destroy and stop; False when there was nothing to do."""
        did_something = False
        endpoint = self._moto_endpoint()
        if endpoint and self.state.exists():
            _require_terraform()
            self._terraform(
                self._env(endpoint), "destroy", "-auto-approve", "-input=false", "-refresh=false", "-no-color"
            )
            did_something = True
        did_something |= self._stop("gateway")
        did_something |= self._stop("moto")
        for name in ("moto.endpoint", "outputs.json", "aws.env", "applied.sha256", "example"):
            (self.dir / name).unlink(missing_ok=True)
        for state in (self.state, self.state.with_name("terraform.tfstate.backup")):
            state.unlink(missing_ok=True)
        return did_something


def _ensure_zone(endpoint: str, name: str) -> None:
    route53 = emulator.client(endpoint, "route53")
    zones = route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
    if not [zone for zone in zones if zone["Name"] == f"{name}."]:
        route53.create_hosted_zone(Name=name, CallerReference=f"tools.stack-{name}")


def gateway_settings(
    endpoint: str, outputs: dict[str, Any]
) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    """What the local gateway needs to serve as the applied stack would: the function's environment,
    and (with a custom domain or protected routes) the mapping key and the JWT authorizer's settings,
    all read back from the emulator; plus what the report says about them."""
    function_name = str(outputs["function_name"])
    config = emulator.client(endpoint, "lambda").get_function_configuration(FunctionName=function_name)
    environment = {
        **config.get("Environment", {}).get("Variables", {}),
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
    }
    api_gw = emulator.client(endpoint, "apigatewayv2")
    arguments: list[str] = []
    front_door: dict[str, Any] = {}
    domain_url = outputs.get("custom_domain_url")
    if domain_url:
        domain = str(domain_url).split("/")[2]
        (mapping,) = api_gw.get_api_mappings(DomainName=domain)["Items"]
        key = mapping.get("ApiMappingKey", "")
        arguments += ["--mapping-key", key]
        front_door["mapping_key"] = key
    routes = api_gw.get_routes(ApiId=outputs["api_id"])["Items"]
    protected = sorted(route["RouteKey"] for route in routes if route.get("AuthorizationType") == "JWT")
    if protected:
        # By id: moto's GetAuthorizers fails.
        authorizer_id = next(
            route["AuthorizerId"] for route in routes if route.get("AuthorizationType") == "JWT"
        )
        jwt = api_gw.get_authorizer(ApiId=outputs["api_id"], AuthorizerId=authorizer_id)["JwtConfiguration"]
        arguments += ["--jwt-issuer", jwt["Issuer"]]
        for audience in jwt["Audience"]:
            arguments += ["--jwt-audience", audience]
        for route in protected:
            arguments += ["--protected-route", route]
        front_door.update(
            protected_routes=protected, jwt_issuer=jwt["Issuer"], jwt_audience=jwt["Audience"][0]
        )
    return environment, arguments, front_door


def _config_digest(example: str) -> str:
    """A digest of the Terraform code `up` applies, to tell whether a running stack is current."""
    digest = hashlib.sha256(example.encode() + b"\0")
    for path in sorted([*(ROOT / "modules").rglob("*.tf"), *(ROOT / "examples" / example).glob("*.tf")]):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of ours that exited stays a zombie until reaped; count it as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def _port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex((emulator.HOST, port)) == 0


def _wait_for_health(url: str, process: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + 60  # generous: a busy machine may take long to start it
    while True:
        if process is not None and process.poll() is not None:
            raise StackError(f"the gateway exited with status {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answered
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise StackError(f"the gateway did not answer on {url} within 60 s; see {log}") from None
            time.sleep(0.1)


def _require_terraform() -> None:
    if shutil.which("terraform") is None:
        raise StackError("terraform is not on PATH; install Terraform 1.10 or later (see mise.toml)")


def _report(facts: dict[str, Any], seconds: float) -> str:
    endpoint = facts["endpoint"]
    exports = (
        f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing AWS_REGION={emulator.REGION}"
    )
    key = facts.get("mapping_key")
    local_url = f"{facts['local_url']}/{key}" if key else facts["local_url"]
    lines = [
        f"Local stack is up ({seconds:.1f} s): examples/{facts['example']} "
        + ("applied" if facts["applied"] else "unchanged since it was applied")
        + f" to moto at {endpoint}.",
        "",
        f"  API URL (local, through the Lambda handler): {local_url}",
        f"  API URL in the emulator (not served):        {facts['api_url']}",
    ]
    if facts.get("custom_domain_url"):
        lines.append(f"  Custom domain URL (not served):              {facts['custom_domain_url']}")
    lines += [
        f"  Function:       {facts['function_name']} (alias {facts['alias_name']}, "
        f"version {facts['function_version']})",
        f"  Repository URL: {facts['repository_url']}",
    ]
    if "dashboard_name" in facts:
        lines.append(f"  Dashboard:      {facts['dashboard_name']}")
    if "alarm_topic_arn" in facts:
        lines.append(f"  Alarm topic:    {facts['alarm_topic_arn']}")
    lines += [
        "",
        "Point the AWS CLI or boto3 at the emulator:",
        f"  {exports}",
        f"  aws lambda get-alias --function-name {facts['function_name']} --name {facts['alias_name']}",
        f"  (or: boto3.client('lambda', endpoint_url='{endpoint}'), with the same variables)",
        "",
        f"  curl {local_url}/hello",
    ]
    if facts.get("protected_routes"):
        from tools.gateway import local_token

        token = local_token(facts["jwt_issuer"], facts["jwt_audience"])
        lines += [
            "",
            f"Protected routes: {', '.join(facts['protected_routes'])}. The local gateway checks a token's iss, "
            "aud and exp, not its signature; a local token, valid 12 h:",
            f"  export SMOKE_TOKEN={token}",
            f'  curl -H "Authorization: Bearer $SMOKE_TOKEN" {local_url}/hello',
            f"  python -m ops smoke --base-url {local_url}",
        ]
    lines.append("Stop with: make down")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port of the local API (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--example", choices=EXAMPLES, help=f"examples/<EXAMPLE> to apply with `up` (default {EXAMPLES[0]})"
    )
    args = parser.parse_args(argv)

    stack = Stack(
        Path(os.environ.get("STACK_DIR", ROOT / ".local" / "stack")).resolve(), args.port, args.example
    )
    started = time.monotonic()
    try:
        if args.command == "up":
            facts = stack.up()
            (stack.dir / "aws.env").write_text(
                "".join(
                    f"export {key}={value}\n"
                    for key, value in emulator.aws_env(str(facts["endpoint"])).items()
                )
            )
            print(_report(facts, time.monotonic() - started))
        elif stack.down():
            print(f"Local stack is down: destroyed and stopped ({time.monotonic() - started:.1f} s).")
        else:
            print("Local stack is not running; nothing to do.")
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted; run `python -m tools.stack {args.command}` again", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
