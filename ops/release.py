"""`ops release` and `ops rollback`: move a Lambda alias between published versions.

release: a weighted canary through the alias's routing config (AdditionalVersionWeights). The new
version is judged on its own signals, never on the stable version's: the smoke checks sent to it
directly (before any traffic moves, then at the start of each step), its own metrics (ops/signal.py)
and any alarms named, polled through each --canary step of --interval seconds and through --bake
seconds after the full shift. A failing signal, an AWS error or Ctrl-C at any point puts the alias
back on the version it served before (100 %, no weights) and ends with a non-zero exit. Alarms
already in ALARM, or a smoke failing before the start, refuse the release without any change.

rollback: the alias goes back to the previous version. A completed release writes
"ops: previous=N" into the alias description; when that is absent (or names a version that no longer
exists) the previous version is the highest published version below the current one. An unfinished
canary is rolled back to its primary version; --to-version V overrides both rules.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from ops import OpsError, aws
from ops.interrupt import uninterrupted
from ops.signal import VersionSignal

PREVIOUS = re.compile(r"\bprevious=(\d+)\b")
# ASCII digits only (isdigit() takes "²", int() no more than 4300 digits).
VERSION = re.compile(r"[0-9]{1,10}")
Print = Callable[[str], None]
# A check run during the shift: None when healthy, else why the release must stop.
Probe = Callable[[], str | None]


@dataclass
class Alias:
    version: str
    weights: dict[str, float] = field(default_factory=dict)
    description: str = ""


class Function:
    """The Lambda function and alias a release moves."""

    def __init__(self, client: Any, name: str, alias: str) -> None:
        self.client = client
        self.name = name
        self.alias = alias

    def get_alias(self) -> Alias:
        with aws.errors(f"reading function {self.name!r}"):
            try:
                self.client.get_function_configuration(FunctionName=self.name)
            except botocore.exceptions.ClientError as exc:
                if aws.error_code(exc) == "ResourceNotFoundException":
                    raise OpsError(f"function {self.name!r} not found") from None
                raise
        with aws.errors(f"reading alias {self.alias!r} of {self.name!r}"):
            try:
                found = self.client.get_alias(FunctionName=self.name, Name=self.alias)
            except botocore.exceptions.ClientError as exc:
                if aws.error_code(exc) == "ResourceNotFoundException":
                    raise OpsError(f"alias {self.alias!r} not found on function {self.name!r}") from None
                raise
        routing = found.get("RoutingConfig") or {}
        weights = {str(k): float(v) for k, v in (routing.get("AdditionalVersionWeights") or {}).items()}
        return Alias(str(found["FunctionVersion"]), weights, found.get("Description") or "")

    def versions(self) -> list[int]:
        """Published version numbers ($LATEST is not one)."""
        with aws.errors(f"listing versions of {self.name!r}"):
            pages = self.client.get_paginator("list_versions_by_function").paginate(FunctionName=self.name)
            return sorted(
                int(v["Version"]) for page in pages for v in page["Versions"] if v["Version"].isdigit()
            )

    def require_version(self, version: str) -> None:
        if not VERSION.fullmatch(version):
            raise OpsError(f"version must be a published version number, got {version[:20]!r}")
        if int(version) not in self.versions():
            raise OpsError(f"version {version} of function {self.name!r} not found (publish it first)")

    def point(self, version: str, weights: dict[str, float], description: str | None = None) -> None:
        args: dict[str, Any] = {
            "FunctionName": self.name,
            "Name": self.alias,
            "FunctionVersion": version,
            "RoutingConfig": {"AdditionalVersionWeights": weights},
        }
        if description is not None:
            args["Description"] = description
        with aws.errors(f"updating alias {self.alias!r} of {self.name!r}"):
            self.client.update_alias(**args)


class Alarms:
    """CloudWatch alarms (metric and composite) watched during a release, by name and/or prefix."""

    def __init__(self, client: Any, names: list[str], prefix: str | None) -> None:
        self.client = client
        self.names = names
        self.prefix = prefix

    def _describe(self, **args: Any) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm", "CompositeAlarm"], **args
        )
        for page in pages:
            yield from page.get("MetricAlarms", [])
            yield from page.get("CompositeAlarms", [])

    def states(self) -> dict[str, str]:
        found: dict[str, str] = {}
        with aws.errors("reading CloudWatch alarms"):
            # The state is filtered here, not by the API, so that the same call proves the alarms exist.
            for start in range(0, len(self.names), 100):
                for alarm in self._describe(AlarmNames=self.names[start : start + 100]):
                    found[alarm["AlarmName"]] = alarm["StateValue"]
            if self.prefix:
                for alarm in self._describe(AlarmNamePrefix=self.prefix):
                    if alarm["AlarmName"].startswith(self.prefix):
                        found[alarm["AlarmName"]] = alarm["StateValue"]
        return found

    def validate(self) -> list[str]:
        """All watched alarm names; a name or prefix that finds nothing would protect nothing."""
        states = self.states()
        missing = [name for name in self.names if name not in states]
        if missing:
            raise OpsError(f"alarm(s) not found: {', '.join(missing)}")
        if self.prefix and not any(name.startswith(self.prefix) for name in states):
            raise OpsError(f"no alarm name starts with {self.prefix!r}")
        return sorted(states)

    def firing(self) -> list[str]:
        return sorted(name for name, state in self.states().items() if state == "ALARM")


def alarm_probe(alarms: Alarms) -> Probe:
    def probe() -> str | None:
        firing = alarms.firing()
        return f"alarm in ALARM: {', '.join(firing)}" if firing else None

    return probe


@dataclass
class Plan:
    version: str
    canary: list[float]  # traffic percentages for the new version, one step each
    interval: float  # seconds per canary step
    poll: float  # seconds between checks
    bake: float = 0.0  # seconds of watching after the full shift

    def steps(self) -> list[tuple[float, float]]:
        """(percent on the new version, seconds) for every step, the full shift (the bake) last."""
        return [(percent, self.interval) for percent in self.canary] + [(100.0, self.bake)]


@dataclass
class Watch:
    """What judges the new version: the smoke (run before any traffic moves and at the start of each
    step), alarms and its own metrics (polled through each step)."""

    smoke: Probe | None = None
    alarms: Probe | None = None
    signal: VersionSignal | None = None

    def poll(self) -> str | None:
        for probe in (self.alarms, self.signal.check if self.signal else None):
            reason = probe() if probe else None
            if reason:
                return reason
        return None


@dataclass
class StepRecord:
    percent: float
    seconds: float  # planned
    watched: float = 0.0
    outcome: str = "not reached"


@dataclass
class Journal:
    """What a release did, step by step: the job summary."""

    function: str
    alias: str
    plan: Plan
    stable: str = ""
    steps: list[StepRecord] = field(default_factory=list)
    outcome: str = "stopped before any change"
    watching: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        plan = self.plan
        lines = [
            f"### Release of version {plan.version} on `{self.function}:{self.alias}`: {self.outcome}",
            "",
            f"Serving before: version {self.stable or '?'}. Canary "
            + (", ".join(f"{p:g} %" for p in plan.canary) or "none (all at once)")
            + f", {plan.interval:g} s per step; bake {plan.bake:g} s at 100 %; checks every {plan.poll:g} s.",
        ]
        lines += [f"- watching: {item}" for item in self.watching]
        lines += [
            "",
            "| Step | Traffic on the new version | Planned | Watched | Result |",
            "| --- | --- | --- | --- | --- |",
        ]
        for number, step in enumerate(self.steps, 1):
            name = "bake" if step.percent == 100 else "canary"
            outcome = step.outcome.replace("|", "\\|")  # a pipe would end the cell
            lines.append(
                f"| {number} {name} | {step.percent:g} % | {step.seconds:g} s | {step.watched:.0f} s | {outcome} |"
            )
        return "\n".join(lines) + "\n"


def watch_step(
    watch: Watch,
    seconds: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> tuple[str | None, float]:
    """Smoke once, then poll until `seconds` passed (one last poll at the end); the first reason to
    stop, or None, and the seconds watched."""
    started = clock()
    reason = watch.smoke() if watch.smoke else None
    while reason is None:
        reason = watch.poll()
        remaining = started + seconds - clock()
        if reason or remaining <= 0:
            break
        sleep(min(poll, remaining))
    return reason, clock() - started


def release(
    fn: Function,
    plan: Plan,
    watch: Watch,
    out: Print,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    journal: Journal | None = None,
) -> int:
    """Shift the alias to plan.version; 0 when complete, 1 when rolled back or refused."""
    journal = journal or Journal(fn.name, fn.alias, plan)
    alias = fn.get_alias()
    fn.require_version(plan.version)
    stable = journal.stable = alias.version
    if alias.weights:
        out(
            f"alias {fn.alias!r} had an unfinished canary {alias.weights}: "
            f"starting over from version {stable}"
        )
    if stable == plan.version:
        if alias.weights:
            fn.point(stable, {})
        out(f"alias {fn.alias!r} of {fn.name!r} already serves version {stable}: nothing to do")
        journal.outcome = "nothing to do"
        return 0
    if plan.canary and not stable.isdigit():
        raise OpsError(
            f"alias {fn.alias!r} points at {stable}; a weighted canary needs a published version there"
        )
    reason = watch.alarms() if watch.alarms else None
    if reason:
        out(f"not releasing version {plan.version}: {reason} before the release started")
        journal.outcome = f"refused: {reason}"
        return 1
    reason = watch.smoke() if watch.smoke else None
    if reason:
        # Checked before any traffic moves: a version that cannot answer never gets users.
        out(f"not releasing version {plan.version}: {reason} (before any traffic moved)")
        journal.outcome = f"refused: {reason}"
        return 1

    out(f"releasing version {plan.version} of {fn.name!r} on alias {fn.alias!r} (serving {stable})")
    journal.steps = [StepRecord(percent, seconds) for percent, seconds in plan.steps()]
    try:
        for index, step in enumerate(journal.steps):
            if step.percent < 100:
                fn.point(stable, {plan.version: round(step.percent / 100, 6)})
                out(
                    f"canary: {step.percent:g} % on version {plan.version}, {100 - step.percent:g} % on "
                    f"{stable} for {step.seconds:g} s"
                )
            else:
                fn.point(plan.version, {}, f"ops: previous={stable}")
                out(
                    f"shifted: 100 % on version {plan.version}"
                    + (f", watching for {step.seconds:g} s" if step.seconds else "")
                )
            step.outcome = "watching"
            reason, step.watched = watch_step(watch, step.seconds, plan.poll, clock, sleep)
            signal = watch.signal
            if reason is None and signal is not None and index == 0 and signal.first_seen is None:
                reason = (
                    f"no metrics from version {plan.version} in {step.watched:.0f} s "
                    f"({signal.spec.namespace}, Service={signal.spec.service}): it cannot be judged"
                )
            if reason:
                step.outcome = f"❌ {reason}"
                journal.outcome = f"rolled back ({reason})"
                return roll_back(fn, stable, plan.version, reason, out)
            step.outcome = "✅ healthy"
            if signal is not None and index == 0 and signal.first_seen is not None:
                out(
                    f"first metrics from version {plan.version} {(signal.first_seen - signal.since).total_seconds():.0f} s after the start"
                )
    except (Exception, KeyboardInterrupt) as exc:
        # Whatever stopped the shift, traffic goes back to the version that was serving: a failure
        # of ours or of a probe (not an OpsError) too, then it is reported as the error it is.
        if isinstance(exc, KeyboardInterrupt):
            reason = "interrupted"
        else:
            reason = str(exc) if isinstance(exc, OpsError) else f"{type(exc).__name__}: {exc}"
        journal.outcome = f"rolled back ({reason})"
        roll_back(fn, stable, plan.version, reason, out)
        raise
    out(f"release complete: alias {fn.alias!r} serves version {plan.version} (previous {stable})")
    journal.outcome = "complete"
    return 0


def roll_back(fn: Function, stable: str, version: str, reason: str, out: Print) -> int:
    # A CI runner cancelling a job sends SIGINT, then SIGTERM a few seconds later: the second must
    # not stop the rollback the first one started, even while a line is written to a slow pipe.
    with uninterrupted():
        out(f"rolling back: {reason}")
        fn.point(stable, {}, f"ops: rolled back version {version}"[:256])
        out(
            f"rolled back: alias {fn.alias!r} serves version {stable} again, version {version} has no traffic"
        )
    return 1


def previous_version(fn: Function, alias: Alias, to_version: str | None) -> tuple[str, str]:
    """The version `ops rollback` goes back to, and which rule chose it."""
    if to_version is not None:
        fn.require_version(to_version)
        return to_version, "--to-version"
    if alias.weights:
        return alias.version, "primary version of the unfinished canary"
    published = fn.versions()
    recorded = PREVIOUS.search(alias.description)
    if recorded and recorded.group(1) != alias.version and int(recorded.group(1)) in published:
        return recorded.group(1), "recorded in the alias description by the last release"
    current = int(alias.version) if alias.version.isdigit() else None
    below = [v for v in published if current is None or v < current]
    if not below:
        raise OpsError(f"no published version below {alias.version} to roll back to")
    return str(below[-1]), "highest published version below the current one"


def rollback(fn: Function, to_version: str | None, out: Print) -> int:
    alias = fn.get_alias()
    target, rule = previous_version(fn, alias, to_version)
    if target == alias.version and not alias.weights:
        out(f"alias {fn.alias!r} already serves version {target}: nothing to do")
        return 0
    left = f"canary of version {', '.join(alias.weights)}" if alias.weights else f"version {alias.version}"
    fn.point(target, {}, f"ops: rolled back {left}")
    out(f"rolled back alias {fn.alias!r} of {fn.name!r}: {left} -> version {target} ({rule})")
    return 0
