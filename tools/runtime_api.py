"""A local stand-in for the Lambda Runtime API, so the real runtime client runs the handler here.

The Lambda base images start `python -m awslambdaric app.handler.handler` with AWS_LAMBDA_RUNTIME_API
set; the client then long-polls the Runtime API for events and posts each result back. This module
serves the four endpoints the client uses, as AWS documents them ("Using the Lambda runtime API for
custom runtimes", https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

    GET  /2018-06-01/runtime/invocation/next            the next event, with its Lambda-Runtime-* headers
    POST /2018-06-01/runtime/invocation/{id}/response   the handler's result (202)
    POST /2018-06-01/runtime/invocation/{id}/error      an error document (202)
    POST /2018-06-01/runtime/init/error                 initialisation failed (202); the client exits

Loopback only, one client at a time, every wait bounded. Used by the image tests (the handler under
the real client) and the benchmark (process start to first response). Standard library only.

`invoke_endpoint` adds the one endpoint of the Runtime Interface Emulator that the Lambda base image
serves on port 8080 (POST an event to /2015-03-31/functions/function/invocations, get the result),
and `python -m tools.runtime_api --port P` runs both with the real client: the image's entry point
without the image, which `tools/image.sh test` and `ci.invoke_image` can talk to (tests/image).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self

HOST = "127.0.0.1"
PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:local-function"
INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"
ROOT = Path(__file__).resolve().parent.parent


class InitError(RuntimeError):
    """The runtime client reported that the handler could not be initialised."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(f"{document.get('errorType')}: {document.get('errorMessage')}")
        self.document = document


@dataclass
class Invocation:
    """One event handed to the client, and what came back."""

    request_id: str
    event: bytes
    function_arn: str
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False  # True: /response was posted; False: /error
    payload: bytes = b""
    taken_at: float | None = None  # time.perf_counter() when the client fetched the event
    answered_at: float | None = None  # ... and when it posted the result

    def json(self) -> Any:
        return json.loads(self.payload)


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server for stand-ins whose clients may be killed at any moment."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed between requests resets its connection: expected whenever a test or the
        # benchmark ends one, and not worth a traceback on stderr.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Served:
    """A LoopbackServer on a thread of its own: `with` starts it and stops it."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = HOST, port: int = 0) -> None:
        self.server = LoopbackServer((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        """host:port where it listens."""
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RuntimeAPI(Served):
    """Serves the Runtime API on a free loopback port (`address` is AWS_LAMBDA_RUNTIME_API);
    `invoke` hands the client one event."""

    def __init__(self, host: str = HOST, port: int = 0) -> None:
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.init_error: dict[str, Any] | None = None
        self.init_failed = threading.Event()
        self.first_poll_at: float | None = None  # the client's first GET .../next: init is over
        self.polled = threading.Event()
        super().__init__(self._handler_class(), host, port)

    def invoke(self, event: Any, *, timeout: float = 30.0) -> Invocation:
        """Queue one event (a JSON-able value, or bytes sent as they are) and wait for its result.

        Raises InitError if the client reports an init error instead, TimeoutError if nothing comes.
        """
        return self.wait(self.submit(event, timeout=timeout), timeout=timeout)

    def submit(
        self,
        event: Any,
        *,
        timeout: float = 30.0,
        function_arn: str = FUNCTION_ARN,
        request_id: str | None = None,
    ) -> Invocation:
        """Queue one event without waiting: the client takes it on its next poll. The benchmark queues
        the first event before it starts the client, so no part of a cold start is spent waiting for it.
        """
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        invocation = Invocation(
            request_id=request_id or str(uuid.uuid4()),
            event=body,
            function_arn=function_arn,
            deadline_ms=int(time.time() * 1000 + timeout * 1000),
        )
        self.invocations[invocation.request_id] = invocation
        self.pending.put(invocation)
        return invocation

    def wait(self, invocation: Invocation, *, timeout: float = 30.0) -> Invocation:
        """The result of a submitted invocation; InitError or TimeoutError as for `invoke`."""
        deadline = time.monotonic() + timeout
        while not invocation.done.wait(0.05):
            if self.init_error is not None:
                raise InitError(self.init_error)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no result for invocation {invocation.request_id} within {timeout:.0f} s")
        return invocation

    def wait_for_init_error(self, timeout: float = 30.0) -> dict[str, Any]:
        if not self.init_failed.wait(timeout):
            raise TimeoutError(f"the client reported no init error within {timeout:.0f} s")
        assert self.init_error is not None
        return self.init_error

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the body would wait for
            # the client's delayed ACK (40 ms on Linux) on every warm invocation.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self.reply(404, b'{"errorMessage":"unknown path"}')
                    return
                if api.first_poll_at is None:
                    api.first_poll_at = time.perf_counter()
                    api.polled.set()
                invocation = api.pending.get()  # long poll, as the real API does
                invocation.taken_at = time.perf_counter()
                self.reply(
                    200,
                    invocation.event,
                    {
                        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                    },
                )

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = json.loads(body or b"{}")
                    api.init_failed.set()
                    self.reply(202, b'{"status":"OK"}')
                    return
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    invocation = api.invocations.get(parts[1])
                    if invocation is None:
                        self.reply(400, b'{"errorMessage":"unknown request id"}')
                        return
                    invocation.answered_at = time.perf_counter()
                    invocation.ok = parts[2] == "response"
                    invocation.payload = body
                    self.reply(202, b'{"status":"OK"}')
                    invocation.done.set()
                    return
                self.reply(404, b'{"errorMessage":"unknown path"}')

            def reply(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def lambda_environment(
    runtime: RuntimeAPI,
    *,
    function_name: str = "local-function",
    version: str = "$LATEST",
    memory_mb: int = 512,
    log_format: str = "JSON",
    region: str = "us-east-1",
) -> dict[str, str]:
    """The variables Lambda defines for a function's process ("Defined runtime environment variables",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)."""
    return {
        "AWS_LAMBDA_RUNTIME_API": runtime.address,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_LAMBDA_LOG_FORMAT": log_format,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
    }


def start_client(
    handler: str,
    env: Mapping[str, str],
    *,
    cwd: Path,
    python: str = sys.executable,
    stdout: IO[bytes] | int | None = None,
    python_flags: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """`python -m awslambdaric HANDLER`, as the base image's entry point runs it, with `env` only
    (plus PATH), so nothing from the caller's environment leaks in."""
    return subprocess.Popen(
        [python, *python_flags, "-m", "awslambdaric", handler],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        stdout=stdout,
        stderr=subprocess.STDOUT,
    )


def invoke_endpoint(
    api: RuntimeAPI, host: str = HOST, port: int = 0, timeout: float = 300.0
) -> ThreadingHTTPServer:
    """The emulator's invocation endpoint in front of `api` (not started: call serve_forever).

    It answers as the Runtime Interface Emulator does (aws-lambda-runtime-interface-emulator,
    cmd/aws-lambda-rie/handlers.go): 200 with what the handler returned, or with the runtime's error
    document when it raised; 502 with the init error document when the handler could not be loaded;
    "Task timed out after N.00 seconds" when nothing came back in time. One invocation at a time.
    """
    one_at_a_time = threading.Lock()

    class Invocations(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != INVOCATIONS_PATH:
                self.reply(404, b"404 page not found\n")
                return
            with one_at_a_time:
                try:
                    invocation = api.invoke(body or b"{}", timeout=timeout)
                except InitError as exc:
                    self.reply(502, json.dumps(exc.document).encode())
                except TimeoutError:
                    self.reply(200, f"Task timed out after {timeout:.2f} seconds".encode())
                else:
                    self.reply(200, invocation.payload)

        def reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Invocations)
    server.daemon_threads = True
    return server


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.runtime_api",
        description="Run a handler under the real runtime client, behind the emulator's invocation endpoint.",
    )
    parser.add_argument("--port", type=int, required=True, help=f"loopback port for POST {INVOCATIONS_PATH}")
    parser.add_argument("--host", default=HOST, help="a loopback address (default 127.0.0.1)")
    parser.add_argument(
        "--handler", default="app.handler.handler", help="module.function (default: the image's CMD)"
    )
    parser.add_argument(
        "--log-format", choices=("JSON", "Text"), default="JSON", help="AWS_LAMBDA_LOG_FORMAT"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds an invocation may take")
    return parser


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        cli.error(f"--host must be a loopback address, not {args.host!r}")
    with RuntimeAPI() as api:
        server = invoke_endpoint(api, args.host, args.port, args.timeout)
        # The caller's environment under Lambda's own variables, as `docker run --env` would give it.
        env = {**os.environ, **lambda_environment(api, log_format=args.log_format)}
        client = start_client(args.handler, env, cwd=ROOT)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `docker rm --force`: clean up below
        try:
            server.serve_forever()
        finally:
            client.kill()
            client.wait(timeout=30)
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
