"""A stand-in for the Runtime Interface Emulator, for machines without Docker.

It speaks the emulator's one endpoint (POST an event to /2015-03-31/functions/function/invocations,
get back what the handler returned, or the runtime's error document) and runs the real
`app.handler.handler` from this checkout. Tests use it to exercise ci.invoke_image and
tools/image.sh end to end; the real emulator inside the real image is `make image-test`'s job.

`python tests/image/fake_rie.py --port P [--break-route PATH]` serves it; `--break-route` makes
answers for that path wrong on purpose (to prove the checks fail).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def context() -> SimpleNamespace:
    return SimpleNamespace(
        aws_request_id=str(uuid.uuid4()),
        function_name="test_function",
        function_version="$LATEST",
        memory_limit_in_mb=3008,
        invoked_function_arn="arn:aws:lambda:us-east-1:012345678912:function:test_function",
        get_remaining_time_in_millis=lambda: 300_000,
    )


def server(port: int, handler: Handler) -> HTTPServer:
    """One request at a time, on the main thread: like the runtime, one event per environment."""

    class Emulator(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != INVOCATIONS_PATH:
                self.send_error(404)
                return
            event = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            try:
                result: Any = handler(event, context())
            except Exception as exc:  # the runtime reports a handler's exception as this document
                result = {"errorMessage": str(exc), "errorType": type(exc).__name__,
                          "stackTrace": traceback.format_exception(exc)}  # fmt: skip
            body = json.dumps(result).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return HTTPServer(("127.0.0.1", port), Emulator)


def breaking(handler: Handler, path: str) -> Handler:
    """The handler, except that answers for `path` carry a wrong body."""

    def broken(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
        result = handler(event, ctx)
        if event.get("rawPath") == path:
            result = {**result, "body": json.dumps({"message": "something else"})}
        return result

    return broken


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--break-route")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from app.handler import handler

    emulator = server(args.port, breaking(handler, args.break_route) if args.break_route else handler)
    emulator.serve_forever()


if __name__ == "__main__":
    main()
