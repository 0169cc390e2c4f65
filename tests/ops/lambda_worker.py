"""One Lambda execution environment for tests/ops/lambda_standin.py: `python -m tests.ops.lambda_worker`.

It imports `app.handler` with the version's environment (as Lambda's init phase does), then reads one
event per line on stdin and writes `{"result": ...}` or `{"error": {...}}` per line to the file
descriptor named by STANDIN_RESULT_FD. Its stdout is the function's log stream, exactly as the app
writes it (access lines, EMF metrics). An init failure answers every invocation with the error,
as Lambda reports an init error on each invoke.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

from shared.events import LambdaContext


def error_document(exc: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-3:],
    }


def main() -> None:
    results = os.fdopen(int(os.environ["STANDIN_RESULT_FD"]), "w")
    name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
    init_error: dict[str, Any] | None = None
    try:
        from app.handler import handler
    except Exception as exc:
        init_error = error_document(exc)
    for line in sys.stdin:
        invocation = json.loads(line)
        context = LambdaContext(
            function_name=name, function_version=version, aws_request_id=invocation["request_id"]
        )
        answer: dict[str, Any]
        if init_error is not None:
            answer = {"error": init_error}
        else:
            try:
                answer = {"result": handler(invocation["event"], context)}
            except Exception as exc:
                answer = {"error": error_document(exc)}
        # Marks the end of this invocation's log lines, which the stand-in handles before answering.
        print(
            json.dumps({"event": "standin-invocation-end", "request_id": invocation["request_id"]}),
            flush=True,
        )
        results.write(json.dumps(answer) + "\n")
        results.flush()


if __name__ == "__main__":
    main()
