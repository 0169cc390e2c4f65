"""The new version's own health, read from CloudWatch while `ops release` shifts traffic to it.

Two sources, both per version, so that errors of the stable version never count against a canary:

- the app's embedded metrics (`namespace`, dimensions `Service` and `Version`, the version being
  what Lambda puts in AWS_LAMBDA_FUNCTION_VERSION), stored at one-second resolution: Requests,
  Errors (5xx) and Latency, read per `period` (10 s by default);
- Lambda's own metrics on the alias with the `ExecutedVersion` dimension: Invocations and Errors
  per minute (Lambda publishes them at one-minute granularity). They count what the app cannot
  log: init failures, crashes, timeouts.

A period in which the version's share of 5xx answers or of failed invocations reaches
`max_error_rate`, or its p99 latency reaches `max_p99_ms`, is a reason to roll back. CloudWatch
makes a datapoint readable some time after its period ends (`delay`), so the traffic of a step can be
judged only `seconds_needed()` after it started: the shortest step, and bake, worth running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ops import aws

LAMBDA_PERIOD = 60  # Lambda sends its metrics at one-minute intervals
PERIODS = (10, 20, 30, 60)  # periods GetMetricData accepts for one-second data (and a minute)
HIGH_RESOLUTION_SECONDS = 3 * 3600  # how long CloudWatch keeps one-second datapoints
Series = list[tuple[datetime, float]]


def seconds_needed(period: float, delay: float) -> float:
    """How long the traffic of a step takes to be judged: the longest period read plus the delay.

    modules/monitoring derives the pipeline's step and bake defaults with the same rule
    (release.tf); tests/infra checks that the two agree.
    """
    return max(period, LAMBDA_PERIOD) + delay


@dataclass(frozen=True)
class Spec:
    """What to read and when to stop."""

    namespace: str
    service: str
    max_error_rate: float  # percent
    max_p99_ms: float | None = None
    period: int = 10
    delay: float = 60.0

    def needs(self) -> float:
        return seconds_needed(self.period, self.delay)

    def describe(self) -> str:
        latency = f", p99 latency below {self.max_p99_ms:g} ms" if self.max_p99_ms else ""
        return (
            f"5xx and failed invocations below {self.max_error_rate:g} % per period{latency} "
            f"({self.namespace} Service={self.service} per {self.period} s, AWS/Lambda ExecutedVersion "
            f"per {LAMBDA_PERIOD} s, {self.delay:g} s allowed for delivery)"
        )


@dataclass
class VersionSignal:
    """The metrics of one version since `since`; `check()` says why to stop, or None."""

    client: Any
    spec: Spec
    function: str
    alias: str
    version: str
    since: datetime
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    first_seen: datetime | None = field(default=None, init=False)

    def queries(self) -> list[dict[str, Any]]:
        app = [
            {"Name": "Service", "Value": self.spec.service},
            {"Name": "Version", "Value": self.version},
        ]
        fn = [
            {"Name": "FunctionName", "Value": self.function},
            {"Name": "Resource", "Value": f"{self.function}:{self.alias}"},
            {"Name": "ExecutedVersion", "Value": self.version},
        ]

        def query(
            key: str, namespace: str, metric: str, dims: list[dict[str, str]], period: int, stat: str
        ) -> dict[str, Any]:
            metric_spec = {"Namespace": namespace, "MetricName": metric, "Dimensions": dims}
            return {"Id": key, "MetricStat": {"Metric": metric_spec, "Period": period, "Stat": stat}}

        queries = [
            query("requests", self.spec.namespace, "Requests", app, self.spec.period, "Sum"),
            query("errors", self.spec.namespace, "Errors", app, self.spec.period, "Sum"),
            query("invocations", "AWS/Lambda", "Invocations", fn, LAMBDA_PERIOD, "Sum"),
            query("failures", "AWS/Lambda", "Errors", fn, LAMBDA_PERIOD, "Sum"),
        ]
        if self.spec.max_p99_ms:
            queries.append(query("p99", self.spec.namespace, "Latency", app, self.spec.period, "p99"))
        return queries

    def read(self) -> dict[str, Series]:
        period = self.spec.period
        start = self.since - timedelta(seconds=self.since.timestamp() % period)
        end = self.now() + timedelta(seconds=period)
        series: dict[str, Series] = {}
        with aws.errors(f"reading the metrics of version {self.version}"):
            pages = self.client.get_paginator("get_metric_data").paginate(
                MetricDataQueries=self.queries(), StartTime=start, EndTime=end, ScanBy="TimestampAscending"
            )
            for page in pages:
                for result in page["MetricDataResults"]:
                    points = series.setdefault(result["Id"], [])
                    points += zip(result["Timestamps"], result["Values"], strict=True)
        return series

    def check(self) -> str | None:
        series = self.read()
        if self.first_seen is None and any(value > 0 for _, value in series.get("requests", [])):
            self.first_seen = self.now()
        return verdict(self.spec, self.version, series)


def verdict(spec: Spec, version: str, series: dict[str, Series]) -> str | None:
    """The first period that breaks a threshold, described; None when every period is healthy."""
    checks = [
        ("requests", "errors", "requests answered 5xx", spec.period),
        ("invocations", "failures", "invocations failed", LAMBDA_PERIOD),
    ]
    for total_key, bad_key, what, period in checks:
        totals = dict(series.get(total_key, []))
        for at, bad in series.get(bad_key, []):
            total = totals.get(at, 0.0)
            if bad > 0 and 100 * bad >= spec.max_error_rate * max(total, bad):
                rate = 100 * bad / max(total, bad)
                return (
                    f"version {version}: {bad:g} of {max(total, bad):g} {what} in the {period} s from "
                    f"{at:%H:%M:%S} UTC ({rate:.1f} % >= {spec.max_error_rate:g} %)"
                )
    if spec.max_p99_ms:
        for at, p99 in series.get("p99", []):
            if p99 >= spec.max_p99_ms:
                return (
                    f"version {version}: p99 latency {p99:.0f} ms in the {spec.period} s from "
                    f"{at:%H:%M:%S} UTC (>= {spec.max_p99_ms:g} ms)"
                )
    return None
