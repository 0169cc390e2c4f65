"""This app's Lambda handler against AWS Lambda Powertools (lean, and with Metrics) and Flask.

Every candidate serves the same two routes, GET /hello and POST /echo, and writes one JSON access line
per request (plus an EMF record where it has metrics). Each runs from its own task root: its
requirements alone (pip --target), its source beside them, and bytecode compiled as the Dockerfile
compiles it (unchecked-hash): what Lambda loads from /var/task.

Three measurements, each interleaving the candidates round by round (the order rotating), so that a
busy moment on the machine hits all of them alike; medians are reported:

- cold start, end to end (bench/cold_start.py): `python -m awslambdaric <handler>` against a local
  Runtime API, from process start to the first response posted;
- cold import: importing the handler's module in a fresh `python -I -S -B` that sees the task root;
- warm call: the handler called in-process, WARM_CALLS calls per route, logs included.

The targets are ratios of those medians, from this one run, each printed met or MISSED.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench import cold_start
from bench.image import compile_bytecode
from shared.dockerfile_parser import dockerfile_cmd
from shared.events import http_event

ROOT = Path(__file__).resolve().parent.parent
APPS = ROOT / "bench" / "apps"
CACHE = ROOT / ".local" / "bench"
COLD_RUNS = 15
WARM_RUNS = 3
WARM_CALLS = 2000

OURS = "this app"
LEAN = "powertools (lean)"
METRICS = "powertools + metrics"
FLASK = "flask"


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


@dataclass(frozen=True)
class Candidate:
    name: str
    handler: str  # module.function, as the function's handler setting (the image's CMD) names it
    requirements: tuple[str, ...]  # pip arguments
    sources: tuple[Path, ...]  # copied into the task root
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]


POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME": "bench", "POWERTOOLS_METRICS_NAMESPACE": "Bench"}


def candidates() -> list[Candidate]:
    powertools = pinned("aws-lambda-powertools")
    return [
        Candidate(
            OURS,
            dockerfile_cmd(),
            ("--require-hashes", "--only-binary=:all:", "-r", str(ROOT / "requirements.txt")),
            (ROOT / "app",),
        ),
        Candidate(
            LEAN,
            "powertools_lean_app.handler",
            powertools,
            (APPS / "powertools_lean_app.py",),
            POWERTOOLS_ENV,
        ),
        Candidate(
            METRICS,
            "powertools_app.handler",
            powertools,
            (APPS / "powertools_app.py", APPS / "powertools_lean_app.py"),
            POWERTOOLS_ENV,
        ),
        Candidate(
            FLASK,
            "flask_app.handler",
            pinned("flask", "serverless-wsgi"),
            (APPS / "flask_app.py",),
        ),
    ]


def installed(requirements: tuple[str, ...]) -> Path:
    """`requirements` installed alone into a cached directory, with bytecode compiled."""
    digest = hashlib.sha256(sys.version.encode())
    for argument in requirements:
        digest.update(argument.encode())
        if argument.endswith(".txt"):
            digest.update(Path(argument).read_bytes())
    target = CACHE / "closures" / digest.hexdigest()[:16]
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
             "--no-compile", "--target", str(target), *requirements],
            check=True,
        )  # fmt: skip
        compile_bytecode(target)
        (target / ".complete").touch()
    return target


def task_root(candidate: Candidate, destination: Path) -> Path:
    """The candidate's dependencies and current sources in `destination`, all compiled."""
    shutil.copytree(
        installed(candidate.requirements), destination, ignore=shutil.ignore_patterns(".complete")
    )
    for source in candidate.sources:
        if source.is_dir():
            shutil.copytree(
                source, destination / source.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy(source, destination / source.name)
        compile_bytecode(destination / source.name)
    return destination


def runtime_client() -> Path:
    """The runtime client (awslambdaric, as in the Lambda base images), installed and compiled once."""
    return installed(pinned("awslambdaric"))


EVENTS = {
    "GET /hello": http_event("GET", "/hello", query="name=Ada", request_id="bench-hello"),
    "POST /echo": http_event(
        "POST",
        "/echo",
        headers={"content-type": "application/json"},
        body=b'{"message": "hello", "items": [1, 2, 3]}',
        request_id="bench-echo",
    ),
}
EXPECTED = {"GET /hello": {"message": "Hello, Ada!"}, "POST /echo": {"message": "hello", "items": [1, 2, 3]}}
COLD_EVENT = "GET /hello"  # the first request of a new execution environment

# Runs in `python -I -S -B` that sees the task root only; argv[1] is its JSON parameters. It reports on
# stderr: the handlers log to stdout.
RUNNER = r"""
import json, sys, time
params = json.loads(sys.argv[1])
sys.path.insert(0, params["task_root"])
started, cpu = time.perf_counter(), time.process_time()
import importlib
handler = getattr(importlib.import_module(params["module"]), params["function"])
result = {
    "import_ms": (time.perf_counter() - started) * 1000,
    "import_cpu_ms": (time.process_time() - cpu) * 1000,
}
if params["warm"]:
    class Context:
        function_name = "bench"; function_version = "$LATEST"; memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
        aws_request_id = "bench-invocation"; log_group_name = "/aws/lambda/bench"; log_stream_name = "bench"
        def get_remaining_time_in_millis(self): return 30000
    for name, event in params["events"].items():
        for _ in range(50):
            reply = handler(event, Context())
        assert reply["statusCode"] == 200, (name, reply)
        assert json.loads(reply["body"]) == params["expected"][name], (name, reply)
        timings = []
        for _ in range(params["calls"]):
            t = time.perf_counter()
            handler(event, Context())
            timings.append(time.perf_counter() - t)
        timings.sort()
        result[name] = timings[len(timings) // 2] * 1e6
sys.stderr.write("RESULT " + json.dumps(result) + "\n")
"""


def lambda_like_env(candidate: Candidate) -> dict[str, str]:
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **candidate.env,
    }


def in_process(candidate: Candidate, root: Path, warm: bool) -> dict[str, float]:
    module, _, function = candidate.handler.rpartition(".")
    params = {
        "task_root": str(root),
        "module": module,
        "function": function,
        "warm": warm,
        "events": EVENTS,
        "expected": EXPECTED,
        "calls": WARM_CALLS,
    }
    with tempfile.TemporaryFile() as err:
        # Logs go to /dev/null, but are written.
        completed = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", RUNNER, json.dumps(params)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=lambda_like_env(candidate),
            check=False,
        )
        err.seek(0)
        output = err.read().decode(errors="replace")
    if completed.returncode != 0:
        raise RuntimeError(f"{candidate.name} failed in {root}:\n{output[-3000:]}")
    result: dict[str, float] = json.loads(
        next(line for line in output.splitlines() if line.startswith("RESULT "))[7:]
    )
    return result


def cold(candidate: Candidate, root: Path, runtime_dir: Path) -> cold_start.ColdStart:
    result = cold_start.measure(
        root, candidate.handler, EVENTS[COLD_EVENT], runtime_dir=runtime_dir, env=candidate.env
    )
    if result.response.get("statusCode") != 200 or json.loads(result.body()) != EXPECTED[COLD_EVENT]:
        raise RuntimeError(f"{candidate.name}: unexpected first response {result.response}")
    return result


def rounds(items: list[Candidate], count: int) -> Iterator[Candidate]:
    """`count` rounds over `items`, each starting one place further, so no candidate always goes first."""
    for number in range(count):
        shift = number % len(items)
        yield from items[shift:] + items[:shift]


@dataclass
class Results:
    cold_start: dict[str, list[float]] = field(default_factory=dict)
    init: dict[str, list[float]] = field(default_factory=dict)
    first_call: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    imports: dict[str, list[float]] = field(default_factory=dict)
    import_cpu: dict[str, list[float]] = field(default_factory=dict)
    warm: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def median(self, metric: str, name: str) -> float:
        """Median of `metric` ("cold start", "init", "first call", "cpu", "import", "import cpu" or a
        route) for a candidate."""
        samples = {
            "cold start": self.cold_start,
            "init": self.init,
            "first call": self.first_call,
            "cpu": self.cpu,
            "import": self.imports,
            "import cpu": self.import_cpu,
        }.get(metric)
        return statistics.median(samples[name] if samples is not None else self.warm[name][metric])


def measure(
    cold_runs: int = COLD_RUNS, warm_runs: int = WARM_RUNS, progress: Callable[[str], None] = print
) -> Results:
    chosen = candidates()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        roots = {c.name: task_root(c, Path(scratch) / c.module.split(".")[0]) for c in chosen}
        runtime_dir = runtime_client()
        for c in chosen:  # once before timing: reads the files into the page cache like every later run
            in_process(c, roots[c.name], warm=False)
            cold(c, roots[c.name], runtime_dir)
        progress(f"  cold starts under the runtime client: {cold_runs} rounds")
        for c in rounds(chosen, cold_runs):
            sample = cold(c, roots[c.name], runtime_dir)
            results.cold_start.setdefault(c.name, []).append(sample.total_ms)
            results.init.setdefault(c.name, []).append(sample.init_ms)
            results.first_call.setdefault(c.name, []).append(sample.first_call_ms)
            results.cpu.setdefault(c.name, []).append(sample.cpu_ms)
        progress(f"  cold imports: {cold_runs} rounds")
        for c in rounds(chosen, cold_runs):
            imported = in_process(c, roots[c.name], warm=False)
            results.imports.setdefault(c.name, []).append(imported["import_ms"])
            results.import_cpu.setdefault(c.name, []).append(imported["import_cpu_ms"])
        progress(f"  warm calls: {warm_runs} rounds of {WARM_CALLS} calls per route")
        for c in rounds(chosen, warm_runs):
            calls = in_process(c, roots[c.name], warm=True)
            for route in EVENTS:
                results.warm.setdefault(c.name, {}).setdefault(route, []).append(calls[route])
    return results


@dataclass(frozen=True)
class Target:
    metric: str  # "cold start", "import" or a route
    against: str  # the candidate compared with
    at_most: float  # the highest acceptable ratio (this app / the other)

    @property
    def label(self) -> str:
        name = {"cold start": "end-to-end cold start", "import": "cold import"}.get(self.metric)
        return f"{name or 'warm ' + self.metric} <= {self.at_most:.2f}x {self.against}"


# Cold: against the leanest Powertools app a user would write. Warm: against Powertools with Metrics,
# the one that does per request what this app does (an access line and an EMF record).
TARGETS = [
    Target("cold start", LEAN, 1.0),
    Target("cold start", FLASK, 0.6),
    Target("import", LEAN, 1.0),
    Target("import", FLASK, 0.6),
    Target("GET /hello", METRICS, 0.75),
    Target("POST /echo", METRICS, 1.0),
]


def ratio(results: Results, metric: str, against: str) -> float:
    return results.median(metric, OURS) / results.median(metric, against)


def verdicts(results: Results, targets: list[Target] = TARGETS) -> list[tuple[Target, float, bool]]:
    return [(t, r, r <= t.at_most) for t in targets for r in [ratio(results, t.metric, t.against)]]


COLUMNS = [  # (metric, heading, format)
    ("cold start", "cold start ms", ".1f"),
    ("cpu", "cpu ms", ".1f"),
    ("init", "init ms", ".1f"),
    ("first call", "1st call ms", ".2f"),
    ("import", "import ms", ".1f"),
    ("import cpu", "import cpu ms", ".1f"),
    *((route, f"{route} µs", ".1f") for route in EVENTS),
]
RATIOS = ["cold start", "cpu", "import", "import cpu", *EVENTS]


def report(results: Results, cold_runs: int = COLD_RUNS, warm_runs: int = WARM_RUNS) -> str:
    names = list(results.imports)
    width = max(len(name) for name in names) + 2
    lines = [
        f"Medians. Cold start: {cold_runs} runs of `python -m awslambdaric <handler>` "
        f"({pinned('awslambdaric')[-1]}) from its task root, process start to the first response "
        f"({COLD_EVENT}) posted; cpu: the client's user + system time; init: until its first poll "
        f"for an event. Cold import: {cold_runs} fresh interpreters (cpu: their processor time). "
        "Targets judge the wall clock; the cpu columns show how much of it was work, on a busy machine. "
        f"Warm: {warm_runs} processes x "
        f"{WARM_CALLS} calls per route, logs included.",
        "",
        " " * width + "".join(f"{heading:>14}" for _, heading, _ in COLUMNS),
    ]
    for name in names:
        cells = "".join(f"{results.median(metric, name):>14{spec}}" for metric, _, spec in COLUMNS)
        lines.append(f"{name:{width}}{cells}")
    lines += ["", "Ratios (this app / other; lower is faster):"]
    for other in names[1:]:
        cells = ", ".join(f"{metric} {ratio(results, metric, other):.2f}" for metric in RATIOS)
        lines.append(f"  vs {other:{width}}{cells}")
    lines += ["", "Targets:"]
    for target, value, met in verdicts(results):
        # Three decimals: a ratio a hair over its bound must not print as the bound itself.
        lines.append(f"  [{'met' if met else 'MISSED'}] {target.label}: {value:.3f}x")
    return "\n".join(lines)


def main() -> None:
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    results = measure()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(report(results))


if __name__ == "__main__":
    main()
