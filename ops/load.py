"""`ops load`: a concurrent load run against one URL, with latency percentiles and thresholds.

A request counts as an error when it gets no answer (connection error, timeout) or a status of 400
or more. Latency percentiles cover every answered request, errors included, by nearest rank.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops import OpsError
from ops.smoke import base_url, describe, shown

# Latencies and the run's duration are read from this clock; the tests put in one they control.
clock = time.perf_counter
# One Python process cannot usefully keep more requests in flight (nor, often, more sockets open).
MAX_CONCURRENCY = 1000


@dataclass
class Result:
    url: str
    concurrency: int
    duration_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return len(self.latencies_ms) + sum(self.failures.values())

    @property
    def errors(self) -> int:
        return sum(self.failures.values()) + sum(n for status, n in self.statuses.items() if status >= 400)

    @property
    def error_rate(self) -> float:
        return self.errors / self.total if self.total else 1.0

    @property
    def throughput(self) -> float:
        return self.total / self.duration_s if self.duration_s else 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "requests": self.total,
            "concurrency": self.concurrency,
            "duration_s": round(self.duration_s, 3),
            "throughput_rps": round(self.throughput, 1),
            "latency_ms": {
                name: None if (value := self.percentile(p)) is None else round(value, 2)
                for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
            },
            "errors": self.errors,
            "error_rate": round(self.error_rate, 5),
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "failures": dict(self.failures),
        }

    def text(self) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} ms"

        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items())) or "none"
        lines = [
            f"load {self.url}: {self.total} requests at concurrency {self.concurrency} "
            f"in {self.duration_s:.2f} s",
            f"  throughput  {self.throughput:.1f} req/s",
            f"  latency     p50 {ms(self.percentile(50))}  p90 {ms(self.percentile(90))}  "
            f"p99 {ms(self.percentile(99))}  max {ms(self.percentile(100))}",
            f"  errors      {self.errors} ({self.error_rate:.2%})  statuses {statuses}",
        ]
        lines.extend(f"  failed      {n} x {reason}" for reason, n in self.failures.most_common())
        return "\n".join(lines)


def verdict(result: Result, max_error_rate: float | None, max_p99_ms: float | None) -> list[str]:
    """The thresholds the run exceeded, as readable sentences (empty when it passed)."""
    breaches = []
    if max_error_rate is not None and result.error_rate > max_error_rate:
        breaches.append(f"error rate {result.error_rate:.2%} exceeds --max-error-rate {max_error_rate:.2%}")
    if max_p99_ms is not None:
        p99 = result.percentile(99)
        if p99 is None:
            breaches.append("no request was answered, so p99 cannot meet --max-p99-ms")
        elif p99 > max_p99_ms:
            breaches.append(f"p99 {p99:.1f} ms exceeds --max-p99-ms {max_p99_ms:g}")
    return breaches


async def _run(
    url: str, requests: int | None, concurrency: int, duration: float | None, request_timeout: float
) -> Result:
    result = Result(shown(url), concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=request_timeout, limits=limits, follow_redirects=False) as client:
        # One request first, not counted: a URL nobody listens on is a setup error, not a 100 % error
        # rate. A slow answer is not: timeouts count as errors in the run.
        try:
            await client.get(url)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise OpsError(f"cannot reach {shown(url)}: {describe(exc)}") from None
        except httpx.TransportError:
            pass

        issued = 0
        started = clock()
        deadline = started + duration if duration else math.inf

        async def worker() -> None:
            nonlocal issued
            while (requests is None or issued < requests) and clock() < deadline:
                issued += 1
                began = clock()
                try:
                    response = await client.get(url)
                except httpx.TransportError as exc:
                    result.failures[describe(exc)] += 1
                    continue
                result.latencies_ms.append((clock() - began) * 1000)
                result.statuses[response.status_code] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.duration_s = clock() - started
    return result


def check(requests: int | None, concurrency: int, duration: float | None, path: str) -> None:
    """Refuse a run that cannot be what was meant, before anything is sent."""
    if requests is None and duration is None:
        raise OpsError("give --requests N, --duration S or both")
    if requests is not None and requests < 1:
        raise OpsError(f"--requests must be at least 1, got {requests}")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise OpsError(f"--concurrency must be 1-{MAX_CONCURRENCY}, got {concurrency}")
    if duration is not None and not 0 < duration < math.inf:
        raise OpsError(f"--duration must be a positive number of seconds, got {duration:g}")
    # Only paths under the given base URL: never another host.
    if not path.startswith("/") or path.startswith("//") or "://" in path:
        raise OpsError(f"--path must be a path starting with a single '/', got {path!r}")


def run(
    url: str,
    *,
    path: str = "/hello",
    requests: int | None = None,
    concurrency: int = 10,
    duration: float | None = None,
    timeout: float = 10.0,
) -> Result:
    """Send GET requests to base URL + path until `requests` are done or `duration` seconds passed."""
    check(requests, concurrency, duration, path)
    return asyncio.run(_run(base_url(url) + path, requests, concurrency, duration, timeout))
