"""One cold start, end to end: the real runtime client, a fresh process, the first event.

Lambda's Python runtime starts `python -m awslambdaric <handler>` in the execution environment; the
client imports the handler's module from the task root, polls the Runtime API for the first event,
calls the handler and posts the result. `measure` does the same against tools/runtime_api.py on
loopback, with the event queued before the process starts, and times:

- total: from just before the process is started to the moment the first response is posted, the
  part of a cold start the function's code and its runtime decide (Lambda's own sandbox and image set
  up come before it and are the same for every candidate);
- init: until the client's first poll for an event (interpreter, runtime client, handler import);
- first call: from the event's hand-over to the posted response;
- cpu: the processor time the client used (user + system, read when it is reaped): steadier than the
  wall clock on a busy machine, and what Lambda's CPU share, set by the memory size, divides.
"""

from __future__ import annotations

import base64
import json
import resource
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tools.runtime_api import InitError, RuntimeAPI, lambda_environment, start_client

# -S: no site module, so the interpreter sees the task root (the working directory, as `-m` puts it on
# sys.path), PYTHONPATH (the runtime client) and the standard library, nothing else. -B: the task root
# is read-only on Lambda, so a missing .pyc would be compiled on every start, never written.
PYTHON_FLAGS = ("-S", "-B")
TIMEOUT = 60.0  # a safety net for a client that hangs, not a bound on the measurement


@dataclass(frozen=True)
class ColdStart:
    total_ms: float
    init_ms: float
    first_call_ms: float
    cpu_ms: float
    response: dict[str, Any]  # the handler's result, as posted

    def body(self) -> bytes:
        raw = self.response.get("body") or ""
        return base64.b64decode(raw) if self.response.get("isBase64Encoded") else raw.encode()


class ClientFailed(RuntimeError):
    """The runtime client did not answer the first event; the message carries its output."""


def measure(
    task_root: Path,
    handler: str,
    event: Any,
    *,
    runtime_dir: Path,
    env: Mapping[str, str] | None = None,
    memory_mb: int = 512,
) -> ColdStart:
    """Start the runtime client on `handler` from `task_root` and time its answer to `event`."""
    with RuntimeAPI() as api, tempfile.TemporaryFile() as output:
        environment = {
            **lambda_environment(api, function_name="bench", memory_mb=memory_mb),
            "LAMBDA_TASK_ROOT": str(task_root),
            "PYTHONPATH": str(runtime_dir),
            **(env or {}),
        }
        invocation = api.submit(event, timeout=TIMEOUT)
        # Children are started and reaped one at a time here, so the difference is this client's.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        client = start_client(handler, environment, cwd=task_root, stdout=output, python_flags=PYTHON_FLAGS)
        try:
            api.wait(invocation, timeout=TIMEOUT)
        except (InitError, TimeoutError) as exc:
            raise ClientFailed(f"{handler}: {exc}\n{tail(client, output)}") from None
        finally:
            client.kill()
            client.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not invocation.ok:
            raise ClientFailed(f"{handler} failed: {invocation.payload[:500]!r}\n{tail(client, output)}")
    assert api.first_poll_at is not None
    assert invocation.taken_at is not None
    assert invocation.answered_at is not None
    return ColdStart(
        total_ms=(invocation.answered_at - started) * 1000,
        init_ms=(api.first_poll_at - started) * 1000,
        first_call_ms=(invocation.answered_at - invocation.taken_at) * 1000,
        cpu_ms=(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000,
        response=json.loads(invocation.payload),
    )


def tail(client: subprocess.Popen[bytes], output: IO[bytes]) -> str:
    client.kill()
    client.wait()
    output.seek(0)
    return output.read().decode(errors="replace")[-3000:]
