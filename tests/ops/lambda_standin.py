"""A local stand-in for Lambda's Invoke API, for image functions that moto cannot run.

It listens on loopback in front of moto: `POST /2015-03-31/functions/<name>/invocations` runs the
real `app.handler.handler` for the version asked (`Qualifier`: a version number, `$LATEST`, or an
alias, resolved through its routing weights as Lambda does), in one worker process per version
(tests/ops/lambda_worker.py) started with that version's environment variables as moto stores them
and `AWS_LAMBDA_FUNCTION_VERSION`; every other Lambda API call is passed to moto unchanged. The
answer carries `X-Amz-Executed-Version` and, when the function failed, `X-Amz-Function-Error`, as
Lambda's does.

What CloudWatch Logs does with the function's embedded-metric-format lines (extract the metrics),
the stand-in does with `put_metric_data` into moto, before it answers the invocation: metrics arrive
at once here, where CloudWatch takes seconds (what `ops release --signal-delay` allows for).

Every invocation is recorded (function, qualifier, executed version, request), so tests can show
which version each request reached. Point a client at it with AWS_ENDPOINT_URL_LAMBDA.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3

from tools.emulator import HOST

ROOT = Path(__file__).resolve().parents[2]
INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
END = "standin-invocation-end"


@dataclass
class Invocation:
    function: str
    qualifier: str
    version: str
    method: str
    path: str
    status: int | None  # None when the function failed
    error: str | None = None


class Worker:
    """One execution environment: a process importing the handler with the version's environment."""

    def __init__(self, name: str, version: str, environment: dict[str, str], on_log: Any) -> None:
        read, write = os.pipe()
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update(environment)
        env.update(
            AWS_LAMBDA_FUNCTION_NAME=name,
            AWS_LAMBDA_FUNCTION_VERSION=version,
            LOG_FORMAT="json",
            STANDIN_RESULT_FD=str(write),
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.lambda_worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write,),
            text=True,
        )
        os.close(write)
        self.results: IO[str] = os.fdopen(read)
        self.lock = threading.Lock()
        self.logs: list[str] = []
        self.ended: dict[str, threading.Event] = {}
        self.on_log = on_log
        self.reader = threading.Thread(target=self.read_logs, daemon=True)
        self.reader.start()

    def read_logs(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.logs.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            if record.get("event") == END:
                self.ended[record["request_id"]].set()
            else:
                self.on_log(record)

    def invoke(self, event: Any) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        with self.lock:
            assert self.process.stdin is not None
            self.ended[request_id] = done = threading.Event()
            self.process.stdin.write(json.dumps({"event": event, "request_id": request_id}) + "\n")
            self.process.stdin.flush()
            answer = self.results.readline()
            if not answer:
                return {"error": {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"}}
            # The worker logs an end marker after the invocation's own lines: wait for the reader
            # to have handled them (metrics put) before answering.
            done.wait(timeout=30)
            return dict(json.loads(answer))

    def stop(self) -> None:
        # End of input ends the worker's loop: it exits normally (and writes its coverage data).
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
            self.process.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.results.close()


@dataclass
class LambdaStandIn:
    moto_endpoint: str
    invocations: list[Invocation] = field(default_factory=list)
    workers: dict[tuple[str, str], Worker] = field(default_factory=dict)
    # (function, version) whose invocations time out, as Lambda reports it, from now on.
    time_out: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        options = {
            "endpoint_url": self.moto_endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.lambda_client = boto3.client("lambda", **options)
        self.cloudwatch = boto3.client("cloudwatch", **options)
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in.proxy(self)

            do_PUT = do_DELETE = do_GET

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                match = INVOKE.match(url.path)
                if match:
                    stand_in.invoke(self, unquote(match["name"]), parse_qs(url.query))
                else:
                    stand_in.proxy(self)

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # moto, for everything but Invoke

    def proxy(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("content-length") or 0))
        target = urlsplit(self.moto_endpoint)
        connection = http.client.HTTPConnection(target.hostname or HOST, target.port, timeout=60)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        connection.request(request.command, request.path, body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        request.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
        connection.close()

    # Invoke

    def resolve(self, name: str, qualifier: str) -> str:
        if qualifier.isdigit() or qualifier == "$LATEST":
            return qualifier
        alias = self.lambda_client.get_alias(FunctionName=name, Name=qualifier)
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        draw = random.random()
        for version, weight in weights.items():
            if draw < weight:
                return str(version)
            draw -= weight
        return str(alias["FunctionVersion"])

    def worker(self, name: str, version: str) -> Worker:
        with self.lock:
            if (name, version) not in self.workers:
                config = self.lambda_client.get_function_configuration(FunctionName=name, Qualifier=version)
                environment = (config.get("Environment") or {}).get("Variables") or {}
                self.workers[name, version] = Worker(name, version, environment, self.put_metrics)
            return self.workers[name, version]

    def invoke(self, request: BaseHTTPRequestHandler, name: str, query: dict[str, list[str]]) -> None:
        event = json.loads(request.rfile.read(int(request.headers.get("content-length") or 0)) or b"{}")
        qualifier = query.get("Qualifier", ["$LATEST"])[0]
        try:
            version = self.resolve(name, qualifier)
            worker = self.worker(name, version)
        except self.lambda_client.exceptions.ResourceNotFoundException as exc:
            body = json.dumps({"__type": "ResourceNotFoundException", "message": str(exc)}).encode()
            request.send_response(404)
            request.send_header("Content-Type", "application/json")
            request.send_header("x-amzn-ErrorType", "ResourceNotFoundException")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        if (name, version) in self.time_out:
            answer = {
                "error": {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": "Task timed out after 10.00 seconds",
                }
            }
        else:
            answer = worker.invoke(event)
        http_request = event.get("requestContext", {}).get("http", {}) if isinstance(event, dict) else {}
        error = answer.get("error")
        self.invocations.append(
            Invocation(
                function=name,
                qualifier=qualifier,
                version=version,
                method=str(http_request.get("method", "")),
                path=str(http_request.get("path", "")),
                status=None if error else answer["result"].get("statusCode"),
                error=f"{error['errorType']}: {error['errorMessage']}" if error else None,
            )
        )
        payload = json.dumps(error if error else answer["result"]).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("X-Amz-Executed-Version", version)
        if error:
            request.send_header("X-Amz-Function-Error", "Unhandled")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def put_metrics(self, record: dict[str, Any]) -> None:
        """CloudWatch Logs' part: an embedded-metric-format line becomes metric datapoints."""
        meta = record.get("_aws")
        if not isinstance(meta, dict):
            return
        timestamp = datetime.fromtimestamp(meta["Timestamp"] / 1000, UTC)
        for directive in meta["CloudWatchMetrics"]:
            data = []
            for dimensions in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    datum = {
                        "MetricName": metric["Name"],
                        "Dimensions": [{"Name": name, "Value": str(record[name])} for name in dimensions],
                        "Value": float(record[metric["Name"]]),
                        "Timestamp": timestamp,
                        "Unit": metric.get("Unit", "None"),
                    }
                    if "StorageResolution" in metric:
                        datum["StorageResolution"] = metric["StorageResolution"]
                    data.append(datum)
            self.cloudwatch.put_metric_data(Namespace=directive["Namespace"], MetricData=data)

    def logs(self, name: str, version: str) -> list[str]:
        worker = self.workers.get((name, version))
        return list(worker.logs) if worker else []

    def stop_workers(self) -> None:
        with self.lock:
            workers, self.workers = list(self.workers.values()), {}
        for worker in workers:
            worker.stop()

    def close(self) -> None:
        self.stop_workers()
        self.server.shutdown()
        self.server.server_close()
