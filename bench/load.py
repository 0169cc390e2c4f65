"""`python -m bench.load`: `ops load` against the app served on this machine, by uvicorn and through
its Lambda handler (`tools.gateway`, the path the image runs).

Figures to compare changes on one machine, reported and never judged: they measure this machine
under whatever else it runs, not Lambda behind API Gateway (no cold starts, no network). The test
suite checks what `ops load` measures and how it applies thresholds against servers whose latency
the tests decide (tests/ops/test_load.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ops import load
from tools.emulator import HOST, free_port

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {
    "uvicorn (python -m app)": ["-m", "app"],
    "Lambda handler (python -m tools.gateway)": ["-m", "tools.gateway"],
}


def start(args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """The server on a free loopback port, once it answers; its log lines go nowhere."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *args, "--host", HOST, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": "json"},  # logged as on Lambda, formatting cost included
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(args)} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5):  # noqa: S310 - loopback only
                return process, url
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"{' '.join(args)} did not answer on {url} within 60 s") from None
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per server (default 2000)")
    parser.add_argument("--concurrency", type=int, default=10, help="requests in flight (default 10)")
    parser.add_argument("--path", default="/hello", help="path to request (default /hello)")
    args = parser.parse_args(argv)
    for name, server in SERVERS.items():
        process, url = start(server)
        try:
            result = load.run(url, path=args.path, requests=args.requests, concurrency=args.concurrency)
        finally:
            process.terminate()
            process.wait(timeout=30)
        print(f"-- {name}")
        print(result.text())


if __name__ == "__main__":
    main()
