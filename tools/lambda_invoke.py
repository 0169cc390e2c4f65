"""A local stand-in for the Lambda Invoke API, in front of moto: `python -m tools.lambda_invoke`.

moto keeps functions, versions and aliases but cannot run a container-image function. This proxy
listens on loopback and answers `Invoke` itself; every other Lambda call (and anything else) goes to
moto unchanged, so boto3 pointed at it sees one Lambda API. An invocation:

- reads the function's configuration from moto (unknown function or version: moto's own error);
- runs the handler (this repository's `app.handler.handler` by default) under the real runtime client,
  `python -m awslambdaric`, through tools/runtime_api.py: one process per function version (per
  revision, for $LATEST), started on the first invocation of that version, which is therefore a cold
  start, and reused after, as an execution environment is;
- answers as Lambda's RequestResponse invocation does ("Invoke", https://docs.aws.amazon.com/lambda/
  latest/api/API_Invoke.html): the handler's result as the body, X-Amz-Executed-Version, and
  X-Amz-Function-Error on an error; with `X-Amz-Log-Type: Tail`, X-Amz-Log-Result holds the last 4 KB
  of the invocation's log, base64-encoded: START, the function's own lines, END and the REPORT line
  with Duration, Billed Duration, Memory Size, Max Memory Used and, on a cold start, Init Duration
  (or the same as JSON `platform.start` / `platform.report` records, for functions that log JSON).
- an alias as the qualifier is resolved as Lambda resolves it: its version, or one of the versions of
  its routing configuration, drawn by weight;
- with `emf_metrics`, does what CloudWatch Logs does with the function's embedded-metric-format lines
  (they become metrics, put into moto in the caller's account) before it answers: metrics arrive at
  once here, where CloudWatch takes seconds (what `ops release --signal-delay` allows for).

Every invocation is recorded (`invocations`: function, qualifier, executed version, the HTTP method
and path of an API Gateway event, status or error), so tests can show which version each request
reached. Point a client at the proxy with AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL).

The numbers are measured here, not on Lambda: durations are this machine's wall clock from the
event's hand-over to the posted result, Init Duration from process start to the client's first poll,
Max Memory Used the client's peak resident memory. Lambda gives a function CPU in proportion to its
memory, one vCPU at 1,769 MB ("Configure Lambda function memory", https://docs.aws.amazon.com/lambda/
latest/dg/configuration-memory.html), so below 1,769 MB the measured durations are stretched by
1769 / memory, as a function with that share of one core would take. Billed Duration is Duration
rounded up to the millisecond, plus Init Duration on a cold start (an image function's init is
billed). Concurrent invocations of one version are served one after the other.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import math
import os
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tools.runtime_api import InitError, RuntimeAPI, Served, lambda_environment, start_client

ROOT = Path(__file__).resolve().parent.parent
HANDLER = "app.handler.handler"
INVOCATIONS = "/2015-03-31/functions/"
ONE_VCPU_MB = 1769
TAIL_BYTES = 4096
TIMEOUT = 60.0  # a safety net for a handler that hangs
# Hop-by-hop headers, which a proxy must not pass on (RFC 9110, section 7.6.1).
BODY_HEADERS = {"content-length", "content-type", "content-md5", "expect"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}
# The caller's access key id in a SigV4 Authorization header: moto tells accounts apart by it.
ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")


@dataclass
class Invocation:
    """One Invoke: which version answered, and what (an API Gateway event's answer, or the error)."""

    function: str
    qualifier: str | None
    version: str
    method: str
    path: str
    status: int | None  # None when the function failed
    error: str | None = None


@dataclass
class Environment:
    """One execution environment: a runtime client process serving one function version."""

    runtime: RuntimeAPI
    client: Any  # subprocess.Popen[bytes]
    output: IO[bytes]
    started: float
    memory_mb: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    invocations: int = 0

    def peak_memory_mb(self) -> int:
        """The client's peak resident set (VmHWM), what Lambda reports as Max Memory Used."""
        try:
            status = Path(f"/proc/{self.client.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return 0

    def stop(self) -> None:
        self.client.kill()
        self.client.wait()
        self.runtime.__exit__()
        self.output.close()


def matches(function_arn: str, name: str, qualifier: str | None) -> bool:
    """Whether a qualified function ARN belongs to function `name` (name or ARN) and `qualifier`."""
    parts = function_arn.split(":")  # arn:aws:lambda:region:account:function:name[:qualifier]
    own_name, own_qualifier = parts[6], (parts[7] if len(parts) > 7 else None)
    wanted = name.split(":")
    wanted_name = wanted[6] if len(wanted) > 6 else wanted[0]
    return own_name == wanted_name and (qualifier is None or qualifier == own_qualifier)


def loaded(payload: bytes) -> dict[str, Any]:
    """A JSON object payload, or {} for anything else."""
    try:
        value = json.loads(payload or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def stretch(memory_mb: int) -> float:
    """How much longer code runs with the CPU share Lambda gives `memory_mb` than on one full core."""
    return max(1.0, ONE_VCPU_MB / memory_mb)


def report_line(request_id: str, metrics: dict[str, float], json_format: bool) -> str:
    if json_format:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "type": "platform.report",
            "record": {"requestId": request_id, "metrics": metrics, "status": "success"},
        }
        return json.dumps(record) + "\n"
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {metrics['durationMs']:.2f} ms\t"
        f"Billed Duration: {metrics['billedDurationMs']:.0f} ms\tMemory Size: {metrics['memorySizeMB']:.0f} MB\t"
        f"Max Memory Used: {metrics['maxMemoryUsedMB']:.0f} MB\t"
    )
    if "initDurationMs" in metrics:
        line += f"Init Duration: {metrics['initDurationMs']:.2f} ms\t"
    return line + "\n"


class InvokeProxy(Served):
    """Answers Invoke with the runtime client, forwards everything else to moto."""

    def __init__(
        self,
        moto_endpoint: str,
        *,
        handler: str = HANDLER,
        task_root: Path = ROOT,
        json_logs: bool = False,
        emf_metrics: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.moto = urlsplit(moto_endpoint)
        self.handler = handler
        self.task_root = task_root
        self.json_logs = json_logs  # moto does not keep LoggingConfig: say here which format to write
        self.emf_metrics = emf_metrics
        self.environments: dict[tuple[str, str], Environment] = {}
        self.invoked: list[tuple[str, str | None]] = []  # (function, qualifier) of every Invoke, in order
        self.invocations: list[Invocation] = []  # every invocation that ran, in order
        self.reports: list[dict[str, Any]] = []  # the REPORT figures of each, with the version, in order
        self.cloudwatch: dict[tuple[str, str], Any] = {}  # boto3 clients, by access key and region
        self.draw = random.random  # where an alias sends an invocation (traffic, not security)
        self.lock = threading.Lock()
        super().__init__(self._handler_class(), host, port)

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def __exit__(self, *exc: object) -> None:
        super().__exit__()
        self.stop_environments()

    def stop_environments(self) -> None:
        """Stop every execution environment: the next invocation of each version is a cold start."""
        with self.lock:
            for environment in self.environments.values():
                environment.stop()
            self.environments.clear()

    def moto_request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.moto.hostname or "127.0.0.1", self.moto.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def environment(self, config: dict[str, Any]) -> tuple[Environment, bool]:
        """The environment serving this version, and whether it was started now (a cold start)."""
        # A version's environments last as long as the version; a changed $LATEST gets new ones.
        key = (
            config["FunctionArn"],
            f"{config.get('RevisionId')} {config.get('LastModified')} {config['MemorySize']}",
        )
        with self.lock:
            found = self.environments.get(key)
            if found is not None and found.client.poll() is None:
                return found, False
            runtime = RuntimeAPI().__enter__()
            env = {
                **lambda_environment(
                    runtime,
                    function_name=config["FunctionName"],
                    version=config.get("Version", "$LATEST"),
                    memory_mb=int(config["MemorySize"]),
                    region=config["FunctionArn"].split(":")[3],
                ),
                **((config.get("Environment") or {}).get("Variables") or {}),
            }
            output = tempfile.TemporaryFile()  # noqa: SIM115 - the environment closes it in stop()
            started = time.perf_counter()
            client = start_client(self.handler, env, cwd=self.task_root, stdout=output)
            environment = Environment(runtime, client, output, started, int(config["MemorySize"]))
            self.environments[key] = environment
            return environment, True

    def forget(self, name: str, qualifier: str | None) -> None:
        """Stop the environments of a deleted function or version (a new one may reuse its number)."""
        with self.lock:
            for key in [k for k in self.environments if matches(k[0], name, qualifier)]:
                self.environments.pop(key).stop()

    def invoke(
        self, config: dict[str, Any], payload: bytes, tail: bool, caller: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Run one invocation of the version `config` describes; `caller` is the request's headers."""
        environment, cold = self.environment(config)
        with environment.lock:
            position = environment.output.seek(0, os.SEEK_END)
            request_id = str(uuid.uuid4())
            invocation = environment.runtime.submit(payload or b"{}", timeout=TIMEOUT, request_id=request_id)
            try:
                environment.runtime.wait(invocation, timeout=TIMEOUT)
            except InitError as exc:
                invocation.payload = json.dumps(exc.document).encode()
            except TimeoutError:
                environment.client.kill()
                message = f"Task timed out after {TIMEOUT:.2f} seconds"
                invocation.payload = json.dumps(
                    {"errorMessage": message, "errorType": "Sandbox.Timedout"}
                ).encode()
            environment.invocations += 1
            environment.output.seek(position)
            lines = environment.output.read().decode(errors="replace")
        if self.emf_metrics:
            self.put_metrics(lines, config["FunctionArn"].split(":")[3], caller or {})
        factor = stretch(environment.memory_mb)
        duration = (
            (invocation.answered_at - invocation.taken_at) * 1000 * factor
            if invocation.answered_at is not None and invocation.taken_at is not None
            else TIMEOUT * 1000
        )
        metrics: dict[str, float] = {
            "durationMs": round(duration, 2),
            "billedDurationMs": math.ceil(duration),
            "memorySizeMB": environment.memory_mb,
            "maxMemoryUsedMB": environment.peak_memory_mb(),
        }
        if cold and environment.runtime.first_poll_at is not None:
            init = (environment.runtime.first_poll_at - environment.started) * 1000 * factor
            metrics["initDurationMs"] = round(init, 2)
            metrics["billedDurationMs"] = math.ceil(duration + init)
        version = config.get("Version", "$LATEST")
        self.reports.append({"version": version, **metrics})
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": version,
            "x-amzn-RequestId": request_id,
        }
        if not invocation.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
        if tail:
            if self.json_logs:
                start = {
                    "time": "",
                    "type": "platform.start",
                    "record": {"requestId": request_id, "version": version},
                }
                log = json.dumps(start) + "\n" + lines + report_line(request_id, metrics, True)
            else:
                log = (
                    f"START RequestId: {request_id} Version: {version}\n{lines}END RequestId: {request_id}\n"
                    + report_line(request_id, metrics, False)
                )
            headers["X-Amz-Log-Result"] = base64.b64encode(log.encode()[-TAIL_BYTES:]).decode()
        return 200, headers, invocation.payload

    def put_metrics(self, lines: str, region: str, caller: Mapping[str, str]) -> None:
        """CloudWatch Logs' part: each embedded-metric-format line becomes metric datapoints."""
        import boto3

        found = ACCESS_KEY.search(caller.get("Authorization", ""))
        key = (found[1] if found else "testing", region)
        if key not in self.cloudwatch:
            self.cloudwatch[key] = boto3.client(
                "cloudwatch",
                endpoint_url=self.moto.geturl(),
                region_name=region,
                aws_access_key_id=key[0],
                aws_secret_access_key="moto-checks-no-signature",  # noqa: S106 - not a secret
            )
        for line in lines.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            meta = record.get("_aws") if isinstance(record, dict) else None
            if not isinstance(meta, dict):
                continue
            timestamp = datetime.fromtimestamp(meta["Timestamp"] / 1000, UTC)
            for directive in meta["CloudWatchMetrics"]:
                data = [
                    {
                        "MetricName": metric["Name"],
                        "Dimensions": [{"Name": name, "Value": str(record[name])} for name in dimensions],
                        "Value": float(record[metric["Name"]]),
                        "Timestamp": timestamp,
                        "Unit": metric.get("Unit", "None"),
                        **(
                            {"StorageResolution": metric["StorageResolution"]}
                            if "StorageResolution" in metric
                            else {}
                        ),
                    }
                    for dimensions in directive["Dimensions"]
                    for metric in directive["Metrics"]
                ]
                self.cloudwatch[key].put_metric_data(Namespace=directive["Namespace"], MetricData=data)

    def resolve(self, name: str, qualifier: str | None, ask: dict[str, str]) -> str | None:
        """The version an alias sends this invocation to (weighted, as Lambda draws); others as given."""
        if qualifier is None or qualifier.isdigit() or qualifier == "$LATEST":
            return qualifier
        status, _, found = self.moto_request(
            "GET", f"{INVOCATIONS}{name}/aliases/{quote(qualifier, safe='')}", None, ask
        )
        if not 200 <= status < 300:  # (moto answers GetAlias with 201)
            return qualifier  # moto's own answer to the configuration request says what is wrong
        alias = json.loads(found)
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        draw = self.draw()
        for version, weight in weights.items():
            if draw < weight:
                return str(version)
            draw -= weight
        return str(alias["FunctionVersion"])

    def record(
        self,
        name: str,
        qualifier: str | None,
        version: str,
        event: bytes,
        answer: tuple[int, dict[str, str], bytes],
    ) -> None:
        status, headers, payload = answer
        if status != 200:  # refused before anything ran
            return
        request, result = loaded(event).get("requestContext", {}).get("http", {}), loaded(payload)
        failed = "X-Amz-Function-Error" in headers
        code = result.get("statusCode")
        self.invocations.append(
            Invocation(
                name,
                qualifier,
                version,
                str(request.get("method", "")) if isinstance(request, dict) else "",
                str(request.get("path", "")) if isinstance(request, dict) else "",
                None if failed or not isinstance(code, int) else code,
                f"{result.get('errorType')}: {result.get('errorMessage')}" if failed else None,
            )
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as in tools/runtime_api.py

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith(INVOCATIONS) and parts.path.endswith("/invocations"):
                    self.invoke(parts.path[len(INVOCATIONS) : -len("/invocations")], parts.query)
                else:
                    self.forward()

            def invoke(self, name: str, query: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                qualifier = parse_qs(query).get("Qualifier", [None])[0]
                proxy.invoked.append((unquote(name), qualifier))
                # The caller's credentials tell moto which account it asks about; the body stays here.
                ask = {k: v for k, v in self.forward_headers().items() if k.lower() not in BODY_HEADERS}
                version = proxy.resolve(name, qualifier, ask)
                path = f"{INVOCATIONS}{name}/configuration"
                if version:
                    path += f"?Qualifier={quote(version, safe='')}"
                status, headers, found = proxy.moto_request("GET", path, None, ask)
                if status != 200:
                    self.reply(status, headers, found)
                    return
                kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                if kind != "RequestResponse":
                    error = {
                        "Type": "User",
                        "message": f"this stand-in only runs RequestResponse, not {kind}",
                    }
                    self.reply(
                        400,
                        [("x-amzn-ErrorType", "InvalidParameterValueException")],
                        json.dumps(error).encode(),
                    )
                    return
                tail = self.headers.get("X-Amz-Log-Type") == "Tail"
                config = json.loads(found)
                answer = proxy.invoke(config, body, tail, caller=dict(self.headers.items()))
                proxy.record(unquote(name), qualifier, config.get("Version", "$LATEST"), body, answer)
                status, reply_headers, payload = answer
                self.reply(status, list(reply_headers.items()), payload)

            def forward_headers(self) -> dict[str, str]:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Host"] = proxy.moto.netloc
                return headers

            def forward(self) -> None:
                length = self.headers.get("Content-Length")
                body = self.rfile.read(int(length)) if length else None
                status, headers, data = proxy.moto_request(
                    self.command, self.path, body, self.forward_headers()
                )
                self.reply(status, headers, data)

            def do_DELETE(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith(INVOCATIONS) and parts.path.count("/") == 3:
                    name = unquote(parts.path[len(INVOCATIONS) :])
                    proxy.forget(name, parse_qs(parts.query).get("Qualifier", [None])[0])
                self.forward()

            do_GET = do_PUT = do_HEAD = do_PATCH = forward

            def reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.lambda_invoke", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--moto-endpoint", required=True, help="moto server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--handler", default=HANDLER, help=f"handler every function runs (default {HANDLER})")
    parser.add_argument("--json-logs", action="store_true", help="write JSON platform records, not text")
    parser.add_argument(
        "--emf-metrics",
        action="store_true",
        help="put the function's embedded metrics into moto's CloudWatch",
    )
    args = parser.parse_args(argv)
    with InvokeProxy(
        args.moto_endpoint, handler=args.handler, json_logs=args.json_logs, emf_metrics=args.emf_metrics,
        port=args.port,
    ) as proxy:  # fmt: skip
        print(f"Lambda API with Invoke on {proxy.url} (moto at {args.moto_endpoint})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
