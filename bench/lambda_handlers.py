"""Cold import and warm invocation of three Lambda handlers serving the same two routes.

Each app runs from its own runtime closure (only its requirements, installed with `pip --target`),
in fresh interpreters that see that directory and the standard library: what Lambda loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.lambda_events import http_event

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".local" / "bench"
COLD_RUNS = 15
WARM_RUNS = 3
WARM_CALLS = 2000


@dataclass(frozen=True)
class Candidate:
    name: str
    module: str
    requirements: tuple[str, ...]  # pip arguments
    source: Path  # directory holding `module`


BENCH_LOCK = ROOT / "requirements-bench.txt"


def pinned(*packages: str) -> tuple[str, ...]:
    """pip arguments for `packages` at their pins in requirements-bench.txt, and their dependencies
    at theirs, every download checked against its hash there: a reproducible comparison."""
    text = BENCH_LOCK.read_text()
    pins = []
    for package in packages:
        match = re.search(rf"^{re.escape(package)}==[^\s\\]+", text, re.MULTILINE | re.IGNORECASE)
        if match is None:
            raise SystemExit(f"{package} is not pinned in {BENCH_LOCK.name}")
        pins.append(match.group(0))
    return ("--require-hashes", "-c", str(BENCH_LOCK), *pins)


CANDIDATES = [
    Candidate("this app", "app.handler", ("--require-hashes", "-r", str(ROOT / "requirements.txt")), ROOT),
    Candidate("powertools", "powertools_app", pinned("aws-lambda-powertools"), ROOT / "bench" / "apps"),
    Candidate("flask", "flask_app", pinned("flask", "serverless-wsgi"), ROOT / "bench" / "apps"),
]


def closure(candidate: Candidate) -> Path:
    """Install the candidate's requirements alone into a cached target directory."""
    digest = hashlib.sha256(sys.version.encode())
    for argument in candidate.requirements:
        digest.update(argument.encode())
        if argument.endswith(".txt"):
            digest.update(Path(argument).read_bytes())
    target = CACHE / "closures" / f"{candidate.module}-{digest.hexdigest()[:12]}"
    if not (target / ".complete").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--upgrade",
                "--target",
                str(target),
                *candidate.requirements,
            ],
            check=True,
        )
        (target / ".complete").touch()
    return target


EVENTS = {
    "GET /hello": http_event("GET", "/hello", query="name=Ada"),
    "POST /echo": http_event(
        "POST",
        "/echo",
        headers={"content-type": "application/json"},
        body=b'{"message": "hello", "items": [1, 2, 3]}',
    ),
}

RUNNER = r"""
import json, sys, time
sys.path[:0] = [TARGET, SOURCE]
started = time.perf_counter()
import importlib
module = importlib.import_module(MODULE)
imported = time.perf_counter() - started
result = {"import_ms": imported * 1000}
if WARM:
    class Context:
        function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        aws_request_id = "bench-invocation"; log_group_name = "/aws/lambda/bench"; log_stream_name = "bench"
        def get_remaining_time_in_millis(self): return 30000
    events = json.loads(EVENTS)
    for name, event in events.items():
        for _ in range(50):
            reply = module.handler(event, Context())
        assert reply["statusCode"] == 200, (name, reply)
        timings = []
        for _ in range(CALLS):
            t = time.perf_counter()
            module.handler(event, Context())
            timings.append(time.perf_counter() - t)
        timings.sort()
        result[name] = timings[len(timings) // 2] * 1e6
sys.stderr.write("RESULT " + json.dumps(result) + "\n")
"""


def run(candidate: Candidate, target: Path, warm: bool) -> dict[str, float]:
    code = (
        RUNNER.replace("TARGET", repr(str(target)))
        .replace("SOURCE", repr(str(candidate.source)))
        .replace("MODULE", repr(candidate.module))
        .replace("WARM", repr(warm))
        .replace("EVENTS", repr(json.dumps(EVENTS)))
        .replace("CALLS", str(WARM_CALLS))
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "LOG_FORMAT": "json",
    }
    with tempfile.TemporaryFile() as err:
        # -I: no user site, no PYTHON* variables; -S: no site-packages. Logs go to /dev/null, but are written.
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", code],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
            check=True,
        )
        err.seek(0)
        lines = err.read().decode().splitlines()
    result: dict[str, float] = json.loads(next(line for line in lines if line.startswith("RESULT "))[7:])
    return result


def measure() -> dict[str, dict[str, float]]:
    targets = {c.name: closure(c) for c in CANDIDATES}
    for candidate in CANDIDATES:
        run(candidate, targets[candidate.name], warm=False)  # writes the .pyc files an image would carry
    # Rounds interleave the candidates, so a busy moment on the machine hits all three alike.
    imports: dict[str, list[float]] = {c.name: [] for c in CANDIDATES}
    warm: dict[str, list[dict[str, float]]] = {c.name: [] for c in CANDIDATES}
    for _ in range(COLD_RUNS):
        for candidate in CANDIDATES:
            imports[candidate.name].append(run(candidate, targets[candidate.name], warm=False)["import_ms"])
    for _ in range(WARM_RUNS):
        for candidate in CANDIDATES:
            warm[candidate.name].append(run(candidate, targets[candidate.name], warm=True))
    return {
        name: {
            "import_ms": statistics.median(imports[name]),
            **{k: statistics.median(sample[k] for sample in warm[name]) for k in EVENTS},
        }
        for name in imports
    }


def report(results: dict[str, dict[str, float]]) -> None:
    ours, powertools, flask = (results[c.name] for c in CANDIDATES)
    print(f"Python {sys.version.split()[0]}. Cold import: median of {COLD_RUNS} fresh interpreters (ms).")
    print(
        f"Warm call: median over {WARM_RUNS} processes of the median of {WARM_CALLS} calls (µs), logs included."
    )
    print(f"{'':12}{'import ms':>12}{'GET /hello µs':>16}{'POST /echo µs':>16}")
    for name, row in results.items():
        print(f"{name:12}{row['import_ms']:>12.1f}{row['GET /hello']:>16.1f}{row['POST /echo']:>16.1f}")
    print()
    print("Ratios (this app / other; lower is faster):")
    for other_name, other in (("powertools", powertools), ("flask", flask)):
        cells = [f"import {ours['import_ms'] / other['import_ms']:.2f}"]
        cells += [f"{k} {ours[k] / other[k]:.2f}" for k in EVENTS]
        print(f"  vs {other_name:11} " + ", ".join(cells))
    checks = {
        "cold import <= Powertools (ratio <= 1.0)": ours["import_ms"] <= powertools["import_ms"],
        "cold import >= 25 % faster than Flask (ratio <= 0.75)": ours["import_ms"]
        <= 0.75 * flask["import_ms"],
        "warm within 2x of Powertools": all(ours[k] <= 2 * powertools[k] for k in EVENTS),
        "warm faster than Flask": all(ours[k] < flask[k] for k in EVENTS),
    }
    print()
    for label, ok in checks.items():
        print(f"  [{'met' if ok else 'MISSED'}] {label}")


def main() -> None:
    report(measure())


if __name__ == "__main__":
    main()
