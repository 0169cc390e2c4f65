"""A `docker` command for tests on machines without a Docker engine.

It records every call (one JSON argv per line in $FAKE_DOCKER_DIR/calls.jsonl) and imitates just
enough for tools/image.sh: `info` succeeds unless FAKE_DOCKER_DAEMON=down, `buildx build` remembers
its build args, `run --detach --publish 127.0.0.1:P:8080 IMAGE` starts what the image's entry point
runs, without the image: the real runtime client (awslambdaric) with the handler of this checkout,
behind the emulator's invocation endpoint on P (`python -m tools.runtime_api`), with the APP_VERSION
the build was given (as the image's ENV would); `rm --force` stops it. FAKE_RIE_BREAK_ROUTE=/hello
runs tests/image/broken_handler.py instead, which answers that route wrongly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    state = Path(os.environ["FAKE_DOCKER_DIR"])
    with (state / "calls.jsonl").open("a") as calls:
        calls.write(json.dumps(argv) + "\n")
    command = argv[:2] if argv[:1] == ["buildx"] else argv[:1]
    if command == ["info"]:
        if os.environ.get("FAKE_DOCKER_DAEMON") == "down":
            print("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", file=sys.stderr)
            return 1
        print("28.0.0")
        return 0
    if command == ["buildx", "version"]:
        print("github.com/docker/buildx v0.20.0")
        return 0
    if command == ["buildx", "build"]:
        build_args = dict(argv[i + 1].split("=", 1) for i, arg in enumerate(argv) if arg == "--build-arg")
        (state / "build-args.json").write_text(json.dumps(build_args))
        return 0
    if command == ["run"]:
        published = argv[argv.index("--publish") + 1]
        host, port, container_port = published.split(":")
        if host != "127.0.0.1" or container_port != "8080":
            print(f"fake docker: refusing to publish {published} (loopback :8080 only)", file=sys.stderr)
            return 125
        build_args = json.loads((state / "build-args.json").read_text())
        broken = "FAKE_RIE_BREAK_ROUTE" in os.environ
        handler = "tests.image.broken_handler.handler" if broken else "app.handler.handler"
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.runtime_api", "--port", port, "--handler", handler],
            cwd=ROOT,
            env={**os.environ, "APP_VERSION": build_args.get("APP_VERSION", "")},
            stdout=(state / "container.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (state / "container.pid").write_text(str(process.pid))
        print("fakecontainer0001")
        return 0
    if command == ["logs"]:
        print((state / "container.log").read_text(errors="replace"))
        return 0
    if command == ["rm"]:
        pid_file = state / "container.pid"
        if pid_file.exists():
            # The whole "container": the endpoint and the runtime client it started.
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
            pid_file.unlink()
        return 0
    print(f"fake docker: unsupported command {argv}", file=sys.stderr)
    return 125


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
