"""`ops tune`: choose a function's memory size (and with it its CPU and price) from measurements.

What AWS Lambda Power Tuning does, for one function from a terminal: for each memory size, set it on
$LATEST, publish a temporary version and invoke that version directly N times with API Gateway HTTP
API events of the app's routes. The first invocation of a new version is a cold start, the others
are warm. Each invocation asks for its log tail (LogType=Tail: the last 4 KB of its log, base64),
whose REPORT line (or `platform.report` record, for functions that log JSON) gives Duration, Billed
Duration, Max Memory Used and, on a cold start, Init Duration. The cost per million requests follows
from the billed duration, the memory size and the architecture's prices below.

The function is left as it was found, also after an error, Ctrl-C or SIGTERM: the memory size is set
back and every version tune published is deleted (each as soon as it is measured). Aliases are never
read or changed: `live` keeps serving its version, and no request from a client reaches a temporary
version.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import signal
import statistics
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import botocore.exceptions

from ops import OpsError, aws
from shared.events import http_event

Print = Callable[[str], None]

DEFAULT_SIZES = (128, 256, 512, 1024, 1769, 3008)
MIN_MB, MAX_MB = 128, 10240  # what Lambda accepts, in 1 MB steps
STRATEGIES = ("cost", "speed", "balanced")

# On-demand prices in US East (N. Virginia), first pricing tier, from https://aws.amazon.com/lambda/pricing/
# (recorded 2026-12-01; unchanged since arm64 arrived in September 2021). Regions differ by a few
# percent, which moves every size alike: the comparison between sizes holds anywhere.
PRICES_SOURCE = "https://aws.amazon.com/lambda/pricing/"
PRICES_AS_OF = "2026-12-01"
PRICE_PER_REQUEST = 0.20 / 1_000_000
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}

REPORT = re.compile(
    r"REPORT RequestId: \S+\s+Duration: (?P<duration>[\d.]+) ms\s+Billed Duration: (?P<billed>\d+) ms"
    r"\s+Memory Size: (?P<memory>\d+) MB\s+Max Memory Used: (?P<used>\d+) MB"
    r"(?:\s+Init Duration: (?P<init>[\d.]+) ms)?"
)


def routes() -> list[tuple[str, dict[str, Any]]]:
    """The app's routes as API Gateway sends them, one event each (a fresh request id every call)."""
    return [
        ("GET /hello", http_event("GET", "/hello", query="name=tune")),
        (
            "POST /echo",
            http_event(
                "POST", "/echo", headers={"content-type": "application/json"}, body=b'{"tune": [1, 2, 3]}'
            ),
        ),
        ("GET /health", http_event("GET", "/health")),
    ]


def memory_sizes(text: str) -> list[int]:
    """`128,256,512` as sorted unique sizes, each one Lambda accepts."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise OpsError(f"--memory takes whole numbers of MB separated by commas, not {text!r}")
        size = int(part)
        if not MIN_MB <= size <= MAX_MB:
            raise OpsError(f"--memory {size} is outside the {MIN_MB}-{MAX_MB} MB Lambda accepts")
        sizes.append(size)
    return sorted(set(sizes))


def invocation_count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise OpsError(f"--invocations must be a whole number of at least 1, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class Report:
    """What Lambda reports about one invocation."""

    duration_ms: float
    billed_ms: int
    memory_mb: int
    max_memory_used_mb: int
    init_ms: float | None = None


def parse_report(log: str) -> Report | None:
    """The last REPORT line, or the last JSON `platform.report` record, of an invocation's log."""
    found: Report | None = None
    for line in log.splitlines():
        line = line.strip()
        if line.startswith("{") and '"platform.report"' in line:
            try:
                record = json.loads(line)
                metrics = record["record"]["metrics"]
                found = Report(
                    float(metrics["durationMs"]),
                    math.ceil(float(metrics["billedDurationMs"])),
                    int(metrics["memorySizeMB"]),
                    int(metrics["maxMemoryUsedMB"]),
                    float(metrics["initDurationMs"]) if "initDurationMs" in metrics else None,
                )
            except (ValueError, KeyError, TypeError):
                continue
        elif match := REPORT.search(line):
            found = Report(
                float(match["duration"]),
                int(match["billed"]),
                int(match["memory"]),
                int(match["used"]),
                float(match["init"]) if match["init"] else None,
            )
    return found


@dataclass
class SizeResult:
    memory_mb: int
    version: str
    colds: list[Report] = field(default_factory=list)  # normally one: the version's first invocation
    warm: list[Report] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def cold(self) -> Report | None:
        return self.colds[0] if self.colds else None

    @property
    def steady(self) -> list[Report]:
        """The warm invocations, or the cold one when there was nothing else."""
        return self.warm or ([self.cold] if self.cold else [])

    def duration_ms(self, quantile: float = 0.5) -> float | None:
        values = sorted(r.duration_ms for r in self.steady)
        if not values:
            return None
        return values[min(len(values) - 1, round(quantile * (len(values) - 1)))]

    def billed_ms(self) -> float | None:
        values = [r.billed_ms for r in self.steady]
        return statistics.fmean(values) if values else None

    def max_memory_used_mb(self) -> int | None:
        values = [r.max_memory_used_mb for r in [*self.colds, *self.warm]]
        return max(values) if values else None

    def cost_per_million(self, architecture: str) -> float | None:
        billed = self.billed_ms()
        if billed is None:
            return None
        compute = PRICE_PER_GB_SECOND[architecture] * self.memory_mb / 1024 * billed / 1000
        return (PRICE_PER_REQUEST + compute) * 1_000_000

    def usable(self) -> bool:
        return not self.errors and self.duration_ms() is not None


@dataclass
class Tuning:
    function: str
    architecture: str
    original_mb: int
    invocations: int
    results: list[SizeResult]

    def recommend(self, strategy: str) -> SizeResult | None:
        """The size the strategy picks among the sizes measured without errors."""
        usable = [r for r in self.results if r.usable()]
        if not usable:
            return None
        cost = {r.memory_mb: r.cost_per_million(self.architecture) or 0.0 for r in usable}
        speed = {r.memory_mb: r.duration_ms() or 0.0 for r in usable}
        if strategy == "cost":
            return min(usable, key=lambda r: (cost[r.memory_mb], speed[r.memory_mb]))
        if strategy == "speed":
            return min(usable, key=lambda r: (speed[r.memory_mb], cost[r.memory_mb]))

        # balanced, as Power Tuning weighs it: cost and duration each scaled to 0-1 over the sizes
        # measured, then added with equal weight.
        def scaled(values: dict[int, float], size: int) -> float:
            low, high = min(values.values()), max(values.values())
            return 0.0 if high == low else (values[size] - low) / (high - low)

        return min(
            usable,
            key=lambda r: (scaled(cost, r.memory_mb) + scaled(speed, r.memory_mb), cost[r.memory_mb]),
        )

    def table(self, strategy: str) -> str:
        lines = [
            f"{'memory':>8} {'version':>8} {'cold init ms':>13} {'cold ms':>9} {'warm p50 ms':>12} "
            f"{'warm p90 ms':>12} {'billed ms':>10} {'max used MB':>12} {'$ per 1M':>10} {'errors':>7}"
        ]

        def cell(value: float | None, spec: str, width: int) -> str:
            return f"{value:>{width}{spec}}" if value is not None else f"{'-':>{width}}"

        for r in self.results:
            lines.append(
                f"{r.memory_mb:>5} MB {r.version:>8} "
                f"{cell(r.cold.init_ms if r.cold else None, '.1f', 13)} "
                f"{cell(r.cold.duration_ms if r.cold else None, '.1f', 9)} "
                f"{cell(r.duration_ms(0.5) if r.warm else None, '.1f', 12)} "
                f"{cell(r.duration_ms(0.9) if r.warm else None, '.1f', 12)} "
                f"{cell(r.billed_ms(), '.1f', 10)} {cell(r.max_memory_used_mb(), 'd', 12)} "
                f"{cell(r.cost_per_million(self.architecture), '.4f', 10)} {len(r.errors):>7}"
            )
        best = self.recommend(strategy)
        lines.append(
            f"recommended ({strategy}): {best.memory_mb} MB (now {self.original_mb} MB)"
            if best
            else f"no recommendation: every size had errors ({self.results[0].errors[0] if self.results else ''})"
        )
        lines.append(
            f"prices: {self.architecture}, us-east-1, {PRICES_SOURCE} as of {PRICES_AS_OF}; "
            f"durations: warm median (the cold start where N=1)"
        )
        return "\n".join(lines)

    def to_json(self, strategy: str) -> dict[str, Any]:
        best = self.recommend(strategy)
        return {
            "function": self.function,
            "architecture": self.architecture,
            "original_memory_mb": self.original_mb,
            "invocations_per_size": self.invocations,
            "strategy": strategy,
            "recommended_memory_mb": best.memory_mb if best else None,
            "prices": {
                "source": PRICES_SOURCE,
                "as_of": PRICES_AS_OF,
                "region": "us-east-1",
                "per_request_usd": PRICE_PER_REQUEST,
                "per_gb_second_usd": PRICE_PER_GB_SECOND[self.architecture],
            },
            "results": [
                {
                    "memory_mb": r.memory_mb,
                    "version": r.version,
                    "cold": r.cold.__dict__ if r.cold else None,
                    "cold_starts": len(r.colds),
                    "warm_count": len(r.warm),
                    "duration_p50_ms": r.duration_ms(0.5),
                    "duration_p90_ms": r.duration_ms(0.9),
                    "billed_mean_ms": r.billed_ms(),
                    "max_memory_used_mb": r.max_memory_used_mb(),
                    "cost_per_million_usd": r.cost_per_million(self.architecture),
                    "errors": r.errors,
                }
                for r in self.results
            ],
        }


class Function:
    """The calls tune makes on one function: configuration and versions of $LATEST, never aliases."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def configuration(self) -> dict[str, Any]:
        with aws.errors(f"reading function {self.name!r}"):
            try:
                return dict(self.client.get_function_configuration(FunctionName=self.name))
            except botocore.exceptions.ClientError as exc:
                if aws.error_code(exc) == "ResourceNotFoundException":
                    raise OpsError(f"function {self.name!r} not found") from None
                raise

    def versions(self) -> set[str]:
        with aws.errors(f"listing versions of {self.name!r}"):
            pages = self.client.get_paginator("list_versions_by_function").paginate(FunctionName=self.name)
            return {v["Version"] for page in pages for v in page["Versions"] if v["Version"] != "$LATEST"}

    def set_memory(self, memory_mb: int) -> None:
        with aws.errors(f"setting {self.name!r} to {memory_mb} MB"):
            self.client.get_waiter("function_updated_v2").wait(FunctionName=self.name)
            self.client.update_function_configuration(FunctionName=self.name, MemorySize=memory_mb)
            self.client.get_waiter("function_updated_v2").wait(FunctionName=self.name)

    def publish(self, memory_mb: int) -> str:
        with aws.errors(f"publishing a version of {self.name!r}"):
            version = str(
                self.client.publish_version(
                    FunctionName=self.name, Description=f"ops tune: {memory_mb} MB, temporary"
                )["Version"]
            )
            self.client.get_waiter("published_version_active").wait(FunctionName=self.name, Qualifier=version)
            return version

    def invoke(self, version: str, event: dict[str, Any]) -> tuple[Report | None, str | None]:
        """Invoke `version` directly; its REPORT, and what went wrong, if anything."""
        with aws.errors(f"invoking version {version} of {self.name!r}"):
            reply = self.client.invoke(
                FunctionName=self.name, Qualifier=version, LogType="Tail", Payload=json.dumps(event).encode()
            )
        payload = reply["Payload"].read()
        try:
            log = base64.b64decode(reply.get("LogResult") or "").decode(errors="replace")
        except (binascii.Error, ValueError):
            log = ""
        report = parse_report(log)
        if reply.get("FunctionError"):
            try:
                document = json.loads(payload)
                return report, f"{document.get('errorType')}: {document.get('errorMessage')}"
            except (ValueError, AttributeError):
                return report, f"function error {reply['FunctionError']}"
        try:
            status = json.loads(payload).get("statusCode")
        except (ValueError, AttributeError):
            status = None
        if not isinstance(status, int) or status >= 500:
            return report, f"answered {status if status is not None else payload[:100]!r}"
        if report is None:
            return None, "no REPORT line in the log tail"
        return report, None

    def delete(self, version: str) -> None:
        with aws.errors(f"deleting version {version} of {self.name!r}"):
            try:
                self.client.delete_function(FunctionName=self.name, Qualifier=version)
            except botocore.exceptions.ClientError as exc:
                if aws.error_code(exc) != "ResourceNotFoundException":
                    raise


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) stops tuning the way Ctrl-C does: through the clean-up. SIGINT is
    set too: a process started with SIGINT ignored (a shell's background job, some process
    supervisors) inherits that, and Python then never raises KeyboardInterrupt for it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done: a half-done clean-up is the worst outcome."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def measure(fn: Function, memory_mb: int, version: str, count: int, out: Print) -> SizeResult:
    result = SizeResult(memory_mb, version)
    for number in range(count):
        events = routes()  # a new request id for every invocation, as API Gateway gives
        route, event = events[number % len(events)]
        report, error = fn.invoke(version, event)
        if error:
            result.errors.append(f"{route}: {error}")
        if report is not None:
            # A cold start after the first means Lambda replaced the environment: counted, not averaged in.
            (result.colds if report.init_ms is not None else result.warm).append(report)
    init = (
        f"cold {result.cold.init_ms:.1f} ms init + {result.cold.duration_ms:.1f} ms"
        if result.cold
        else "no cold start"
    )
    warm = f", warm p50 {result.duration_ms():.1f} ms" if result.warm else ""
    out(
        f"  {memory_mb:>5} MB: version {version}, {count} invocation(s): {init}{warm}, {len(result.errors)} error(s)"
    )
    return result


def run(client: Any, name: str, sizes: Sequence[int], count: int, out: Print) -> Tuning:
    fn = Function(client, name)
    config = fn.configuration()
    original = int(config["MemorySize"])
    architecture = (config.get("Architectures") or ["x86_64"])[0]
    existing = fn.versions()
    published: list[str] = []
    results: list[SizeResult] = []
    out(f"tuning {name} ({architecture}, {original} MB now): {len(sizes)} size(s) x {count} invocation(s)")
    current = original
    try:
        with terminate_as_interrupt():
            for memory_mb in sizes:
                if memory_mb != current:
                    fn.set_memory(memory_mb)
                    current = memory_mb
                version = fn.publish(memory_mb)
                if version in existing:
                    # Nothing changed since that version was published, so Lambda returned it: it is
                    # measured (it has this size) but not ours to delete.
                    out(f"  {memory_mb:>5} MB: version {version} already had this configuration")
                else:
                    published.append(version)
                results.append(measure(fn, memory_mb, version, count, out))
                if version in published:
                    fn.delete(version)
                    published.remove(version)
    finally:
        with uninterrupted():
            restore(fn, original, published, out)
    return Tuning(name, architecture, original, count, results)


def restore(fn: Function, original: int, published: list[str], out: Print) -> None:
    problems = []
    try:
        if int(fn.configuration()["MemorySize"]) != original:
            fn.set_memory(original)
        out(f"restored {fn.name} to {original} MB")
    except OpsError as exc:
        problems.append(
            f"{exc}; set it back with: aws lambda update-function-configuration "
            f"--function-name {fn.name} --memory-size {original}"
        )
    for version in list(published):
        try:
            fn.delete(version)
            published.remove(version)
            out(f"deleted temporary version {version}")
        except OpsError as exc:
            problems.append(
                f"{exc}; delete it with: aws lambda delete-function --function-name {fn.name} --qualifier {version}"
            )
    if problems:
        raise OpsError("clean-up incomplete: " + " | ".join(problems))


def pin(environment: str, memory_mb: int | None, live: Path | None = None) -> str:
    """Write `lambda_memory_size = memory_mb` into live/<environment>/env.hcl as `make pin` writes pins
    (shared/pins.py); with None, only check that the environment can take it. Returns the diff."""
    from shared import pins

    try:
        if memory_mb is None:
            pins.read(live or pins.LIVE, environment)
            return ""
        diff = pins.pin_memory(live or pins.LIVE, environment, memory_mb)
    except pins.PinError as exc:
        raise OpsError(str(exc)) from None
    return diff or f"live/{environment}/env.hcl already sets lambda_memory_size = {memory_mb}\n"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (an axis maximum)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def chart(tuning: Tuning, strategy: str) -> str:
    """An SVG of warm duration and cost per million requests against memory size, one point per size."""
    width, height = 720, 420
    left, right, top, bottom = 80, 90, 76, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    measured = [r for r in tuning.results if r.duration_ms() is not None]
    best = tuning.recommend(strategy)
    durations = {r.memory_mb: r.duration_ms() or 0.0 for r in measured}
    costs = {r.memory_mb: r.cost_per_million(tuning.architecture) or 0.0 for r in measured}
    d_max = nice_ceiling(max(durations.values(), default=1.0) * 1.1)
    c_max = nice_ceiling(max(costs.values(), default=1.0) * 1.1)
    step = plot_w / max(1, len(measured))

    def x(index: int) -> float:
        return left + step * (index + 0.5)

    def y(value: float, top_value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15">'
        f"{escape(tuning.function)} ({escape(tuning.architecture)}): duration and cost by memory size</text>",
        f'<text x="{width / 2}" y="42" text-anchor="middle" fill="#555">{tuning.invocations} invocation(s) per size; '
        f"warm median duration; cost per million requests, {PRICES_AS_OF} prices</text>",
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        level = top + plot_h - fraction * plot_h
        parts.append(
            f'<line x1="{left}" y1="{level:.1f}" x2="{left + plot_w}" y2="{level:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{level + 4:.1f}" text-anchor="end" fill="#1f5fa8">{fraction * d_max:g}</text>'
        )
        parts.append(
            f'<text x="{left + plot_w + 8}" y="{level + 4:.1f}" fill="#c0501f">${fraction * c_max:.4g}</text>'
        )
    parts.append(
        f'<text transform="translate(20 {top + plot_h / 2}) rotate(-90)" text-anchor="middle" '
        f'fill="#1f5fa8">duration, ms (warm median)</text>'
    )
    parts.append(
        f'<text transform="translate({width - 16} {top + plot_h / 2}) rotate(90)" text-anchor="middle" '
        f'fill="#c0501f">cost per 1M requests, USD</text>'
    )
    for index, r in enumerate(measured):
        if best is not None and r.memory_mb == best.memory_mb:
            parts.append(
                f'<rect data-recommended="{r.memory_mb}" x="{x(index) - step / 2:.1f}" y="{top}" '
                f'width="{step:.1f}" height="{plot_h}" fill="#2ca02c" fill-opacity="0.12"/>'
            )
            parts.append(
                f'<text x="{x(index):.1f}" y="{top - 8}" text-anchor="middle" fill="#1d7a1d">'
                f"recommended: {r.memory_mb} MB ({escape(strategy)})</text>"
            )
        parts.append(
            f'<text x="{x(index):.1f}" y="{top + plot_h + 18}" text-anchor="middle">{r.memory_mb} MB</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>'
    )
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 24}" text-anchor="middle">memory size</text>')
    for series, values, top_value, colour, dash in (
        ("duration", durations, d_max, "#1f5fa8", ""),
        ("cost", costs, c_max, "#c0501f", ' stroke-dasharray="6 4"'),
    ):
        points = " ".join(
            f"{x(i):.1f},{y(values[r.memory_mb], top_value):.1f}" for i, r in enumerate(measured)
        )
        parts.append(f'<g data-series="{series}">')
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for i, r in enumerate(measured):
            value = values[r.memory_mb]
            label = f"{value:.2f} ms" if series == "duration" else f"${value:.4f} per 1M requests"
            parts.append(
                f'<circle data-memory="{r.memory_mb}" data-value="{value!r}" cx="{x(i):.1f}" '
                f'cy="{y(value, top_value):.1f}" r="4" fill="{colour}"><title>{r.memory_mb} MB: {label}</title></circle>'
            )
        parts.append("</g>")
    legend_y = height - 8
    parts.append(
        f'<line x1="{left}" y1="{legend_y - 4}" x2="{left + 24}" y2="{legend_y - 4}" stroke="#1f5fa8" stroke-width="2"/>'
        f'<text x="{left + 30}" y="{legend_y}">duration (left axis)</text>'
        f'<line x1="{left + 190}" y1="{legend_y - 4}" x2="{left + 214}" y2="{legend_y - 4}" stroke="#c0501f" '
        f'stroke-width="2" stroke-dasharray="6 4"/><text x="{left + 220}" y="{legend_y}">cost (right axis)</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
