"""`ops release` and `ops rollback` against Lambda and CloudWatch in moto."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ops import OpsError, aws, release
from tests.ops.conftest import OpsRunner

pytestmark = pytest.mark.emulator

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-api:1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


class Lambda:
    """A function with published versions 1..n and an alias `live`, unique to one test."""

    def __init__(self, versions: int = 3, serving: str = "1") -> None:
        self.name = f"ops-{uuid.uuid4().hex[:8]}"
        self.client = boto3.client("lambda")
        role = boto3.client("iam").create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(TRUST))
        self.client.create_function(
            FunctionName=self.name, Role=role["Role"]["Arn"], PackageType="Image", Code={"ImageUri": IMAGE}
        )
        for n in range(1, versions + 1):
            # A version is only published when the configuration changed.
            self.client.update_function_configuration(
                FunctionName=self.name, Environment={"Variables": {"APP_VERSION": str(n)}}
            )
            assert self.client.publish_version(FunctionName=self.name)["Version"] == str(n)
        self.client.create_alias(FunctionName=self.name, Name="live", FunctionVersion=serving)

    def alias(self) -> tuple[str, dict[str, float], str]:
        found = self.client.get_alias(FunctionName=self.name, Name="live")
        weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        return found["FunctionVersion"], weights, found.get("Description", "")

    def set_alias(self, version: str, weights: dict[str, float] | None = None, description: str = "") -> None:
        self.client.update_alias(
            FunctionName=self.name,
            Name="live",
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": weights or {}},
            Description=description,
        )


class Alarm:
    def __init__(self, name: str) -> None:
        self.name = name
        self.client = boto3.client("cloudwatch")
        self.client.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        self.set("OK")

    def set(self, state: str) -> None:
        self.client.set_alarm_state(AlarmName=self.name, StateValue=state, StateReason="test")


@pytest.fixture
def fn(aws_env: dict[str, str]) -> Lambda:
    return Lambda()


@pytest.fixture
def alarm(aws_env: dict[str, str]) -> Alarm:
    return Alarm(f"ops-{uuid.uuid4().hex[:8]}-errors")


class AliasUpdates:
    """Every alias state `ops release` sets (UpdateAlias answers, in order), and when; can act on one.

    Recorded from the release's own calls rather than by polling the alias, so no state is missed
    however briefly it lasts or however slowly the machine runs."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        when: Callable[[tuple[str, dict[str, float]]], bool] | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        self.states: list[tuple[str, dict[str, float]]] = []
        self.times: list[float] = []
        self.when = when
        self.then = then
        self.acted = False
        original = aws.client

        def client(service: str) -> Any:
            made = original(service)
            if service == "lambda":
                made.meta.events.register("after-call.lambda.UpdateAlias", self.record)
            return made

        monkeypatch.setattr(aws, "client", client)

    def record(self, parsed: dict[str, Any], **kwargs: Any) -> None:
        weights = (parsed.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        state = (parsed["FunctionVersion"], dict(weights))
        self.states.append(state)
        self.times.append(time.monotonic())
        if self.then and not self.acted and self.when and self.when(state):
            self.acted = True
            self.then()


def canary_on(version: str) -> Callable[[tuple[str, dict[str, float]]], bool]:
    return lambda state: version in state[1]


def test_release_all_at_once(fn: Lambda, ops: OpsRunner) -> None:
    result = ops("release", "--function", fn.name, "--alias", "live", "--version", "2")
    assert result.code == 0, result.out + result.err
    assert fn.alias() == ("2", {}, "ops: previous=1")
    assert "release complete" in result.out
    assert "warning: no --alarm" in result.out


def test_canary_steps_move_the_weights(
    fn: Lambda, alarm: Alarm, ops: OpsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--canary", "10", "--canary", "50", "--interval", "0.4", "--poll", "0.05", "--alarm", alarm.name]
    updates = AliasUpdates(monkeypatch)
    result = ops("release", "--function", fn.name, "--version", "3", *args)
    assert result.code == 0, result.out + result.err
    assert updates.states == [("1", {"3": 0.1}), ("1", {"3": 0.5}), ("3", {})]
    # Each step held for its interval at least (longer on a busy machine, never shorter).
    assert all(b - a >= 0.4 for a, b in itertools.pairwise(updates.times))
    assert fn.alias() == ("3", {}, "ops: previous=1")
    assert "canary: 10 % on version 3, 90 % on 1 for 0.4 s" in result.out
    assert "canary: 50 % on version 3" in result.out


def test_alarm_mid_canary_rolls_back(
    fn: Lambda, alarm: Alarm, ops: OpsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--canary", "10", "--interval", "120", "--poll", "0.05", "--alarm", alarm.name]
    updates = AliasUpdates(monkeypatch, when=canary_on("2"), then=lambda: alarm.set("ALARM"))
    started = time.monotonic()
    result = ops("release", "--function", fn.name, "--version", "2", *args)
    assert result.code == 1, result.out + result.err
    # Rolled back as soon as the alarm fired, not when the 120 s step ended (a bound generous
    # enough that no stall of a busy machine reaches it).
    assert time.monotonic() - started < 60
    assert updates.acted
    assert updates.states == [("1", {"2": 0.1}), ("1", {})]
    version, weights, description = fn.alias()
    assert (version, weights) == ("1", {})
    assert description == "ops: rolled back version 2"
    assert f"rolling back: alarm in ALARM: {alarm.name}" in result.out


def test_alarm_prefix_is_watched(
    fn: Lambda, aws_env: dict[str, str], ops: OpsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"ops-{uuid.uuid4().hex[:8]}-"
    alarms = [Alarm(prefix + "errors"), Alarm(prefix + "throttles")]
    args = ["--canary", "25", "--interval", "120", "--poll", "0.05", "--alarm-prefix", prefix]
    AliasUpdates(monkeypatch, when=canary_on("3"), then=lambda: alarms[1].set("ALARM"))
    result = ops("release", "--function", fn.name, "--version", "3", *args)
    assert result.code == 1
    assert "watching 2 alarm(s)" in result.out
    assert f"alarm in ALARM: {prefix}throttles" in result.out
    assert fn.alias()[:2] == ("1", {})


def test_alarm_after_the_full_shift_rolls_back(fn: Lambda, alarm: Alarm) -> None:
    smoke_runs = []

    def probe() -> str | None:
        smoke_runs.append(fn.alias()[:2])
        if fn.alias()[0] == "2":
            alarm.set("ALARM")
        return None

    plan = release.Plan("2", [], 0, 0.05)
    fn_ = release.Function(fn.client, fn.name, "live")
    alarms = release.alarm_probe(release.Alarms(alarm.client, [alarm.name], None))
    assert release.release(fn_, plan, alarms, probe, print) == 1
    assert smoke_runs == [("2", {})]
    assert fn.alias()[:2] == ("1", {})


def test_alarm_while_baking_rolls_back(
    fn: Lambda, alarm: Alarm, ops: OpsRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--bake", "120", "--poll", "0.05", "--alarm", alarm.name]
    updates = AliasUpdates(monkeypatch, when=lambda state: state[0] == "2", then=lambda: alarm.set("ALARM"))
    started = time.monotonic()
    result = ops("release", "--function", fn.name, "--version", "2", *args)
    assert result.code == 1, result.out
    assert time.monotonic() - started < 60  # long before the 120 s of baking were over
    assert "shifted: 100 % on version 2, watching for 120 s" in result.out
    assert updates.states == [("2", {}), ("1", {})]
    assert fn.alias()[:2] == ("1", {})


def test_alarm_already_firing_blocks_the_release(fn: Lambda, alarm: Alarm, ops: OpsRunner) -> None:
    alarm.set("ALARM")
    result = ops("release", "--function", fn.name, "--version", "2", "--alarm", alarm.name)
    assert result.code == 1
    assert f"not releasing version 2: alarm in ALARM: {alarm.name} before the release started" in result.out
    assert fn.alias() == ("1", {}, "")


def test_failing_smoke_rolls_back(fn: Lambda, contract_server: str, ops: OpsRunner) -> None:
    smoke = ["--smoke-url", f"{contract_server}/no-nosniff-on-errors", "--smoke-warmup", "0"]
    result = ops(
        "release", "--function", fn.name, "--version", "2", "--canary", "10", "--interval", "0.2", *smoke
    )
    assert result.code == 1
    assert "rolling back: smoke failed: hello-name-65" in result.out
    assert fn.alias()[:2] == ("1", {})


def test_unreachable_smoke_url_rolls_back(fn: Lambda, ops: OpsRunner) -> None:
    from tools.emulator import free_port

    smoke = ["--smoke-url", f"http://127.0.0.1:{free_port()}", "--smoke-warmup", "0.2"]
    result = ops(
        "release", "--function", fn.name, "--version", "2", "--canary", "10", "--interval", "0.2", *smoke
    )
    assert result.code == 1
    assert "rolling back: smoke failed: cannot reach" in result.out
    assert fn.alias()[:2] == ("1", {})


def test_passing_smoke_completes(fn: Lambda, contract_server: str, ops: OpsRunner) -> None:
    smoke = ["--smoke-url", f"{contract_server}/ok", "--smoke-warmup", "0"]
    result = ops(
        "release", "--function", fn.name, "--version", "2", "--canary", "10", "--interval", "0.1", *smoke
    )
    assert result.code == 0, result.out
    assert result.out.count("checks, all passed") == 2  # during the canary and after the full shift
    assert fn.alias() == ("2", {}, "ops: previous=1")


def test_interrupt_mid_canary_rolls_back(fn: Lambda) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    fn_ = release.Function(fn.client, fn.name, "live")
    with pytest.raises(KeyboardInterrupt):
        release.release(fn_, release.Plan("2", [10], 60, 1), lambda: None, None, print, sleep=interrupt)
    assert fn.alias()[:2] == ("1", {})


def test_aws_error_mid_release_rolls_back(fn: Lambda, monkeypatch: pytest.MonkeyPatch) -> None:
    fn_ = release.Function(fn.client, fn.name, "live")
    calls = 0

    def alarms() -> str | None:
        nonlocal calls
        calls += 1
        if calls == 2:  # once the canary is live
            raise OpsError("reading CloudWatch alarms: Throttling: Rate exceeded")
        return None

    with pytest.raises(OpsError, match="Throttling"):
        release.release(fn_, release.Plan("2", [10], 60, 1), alarms, None, print)
    assert fn.alias()[:2] == ("1", {})


def test_unfinished_canary_is_restarted(fn: Lambda, ops: OpsRunner) -> None:
    fn.set_alias("1", {"2": 0.3})
    result = ops("release", "--function", fn.name, "--version", "3")
    assert result.code == 0
    assert "had an unfinished canary" in result.out
    assert fn.alias() == ("3", {}, "ops: previous=1")


def test_releasing_the_serving_version_does_nothing(fn: Lambda, ops: OpsRunner) -> None:
    result = ops("release", "--function", fn.name, "--version", "1", "--canary", "10", "--interval", "30")
    assert result.code == 0
    assert "already serves version 1: nothing to do" in result.out
    assert fn.alias() == ("1", {}, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "absent-fn", "--version", "2"], "function 'absent-fn' not found"),
        (["--alias", "canary", "--version", "2"], "alias 'canary' not found on function"),
        (["--version", "9"], "version 9 of function"),
        (["--version", "$LATEST"], "version must be a published version number"),
        (["--version", "9" * 5000], "version must be a published version number"),
        (["--version", "\u00b2"], "version must be a published version number"),  # a digit to isdigit()
        (["--version", "2", "--alarm", "no-such-alarm"], "alarm(s) not found: no-such-alarm"),
        (
            ["--version", "2", "--alarm-prefix", "no-such-prefix-"],
            "no alarm name starts with 'no-such-prefix-'",
        ),
        (["--version", "3", "--canary", "50", "--canary", "10"], "--canary steps must increase"),
        (["--version", "2", "--smoke-url", "ftp://x"], "base URL must be http(s)"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    fn: Lambda, ops: OpsRunner, args: list[str], message: str
) -> None:
    if "--function" not in args:
        args = ["--function", fn.name, *args]
    result = ops("release", *args)
    assert result.code == 2, result.out
    assert message in result.err
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    assert fn.alias() == ("1", {}, "")


def test_canary_percent_out_of_range(fn: Lambda, ops: OpsRunner) -> None:
    result = ops("release", "--function", fn.name, "--version", "2", "--canary", "100")
    assert result.code == 2
    assert "must be between 0 and 100" in result.err


# rollback


def test_rollback_uses_the_recorded_previous_version(fn: Lambda, ops: OpsRunner) -> None:
    assert ops("release", "--function", fn.name, "--version", "3").code == 0
    result = ops("rollback", "--function", fn.name, "--alias", "live")
    assert result.code == 0, result.err
    # 2 is the highest below 3, but 1 was serving before the release.
    assert fn.alias() == ("1", {}, "ops: rolled back version 3")
    assert "version 3 -> version 1 (recorded in the alias description by the last release)" in result.out
    again = ops("rollback", "--function", fn.name)
    assert again.code == 2
    assert again.err == "ops rollback: error: no published version below 1 to roll back to\n"


def test_rollback_without_a_record_takes_the_highest_version_below(
    aws_env: dict[str, str], ops: OpsRunner
) -> None:
    fn = Lambda(versions=4, serving="3")
    result = ops("rollback", "--function", fn.name)
    assert result.code == 0
    assert fn.alias()[:2] == ("2", {})
    assert "(highest published version below the current one)" in result.out


def test_rollback_ignores_a_record_of_a_deleted_version(aws_env: dict[str, str], ops: OpsRunner) -> None:
    fn = Lambda(versions=3, serving="3")
    fn.set_alias("3", description="ops: previous=7")
    assert ops("rollback", "--function", fn.name).code == 0
    assert fn.alias()[0] == "2"


def test_rollback_of_an_unfinished_canary(fn: Lambda, ops: OpsRunner) -> None:
    fn.set_alias("1", {"3": 0.1})
    result = ops("rollback", "--function", fn.name)
    assert result.code == 0
    assert fn.alias() == ("1", {}, "ops: rolled back canary of version 3")


def test_rollback_to_a_given_version(aws_env: dict[str, str], ops: OpsRunner) -> None:
    fn = Lambda(versions=3, serving="3")
    assert ops("rollback", "--function", fn.name, "--to-version", "1").code == 0
    assert fn.alias()[0] == "1"
    missing = ops("rollback", "--function", fn.name, "--to-version", "8")
    assert missing.code == 2
    assert "version 8 of function" in missing.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "absent-fn"], "function 'absent-fn' not found"),
        (["--alias", "blue"], "alias 'blue' not found on function"),
    ],
)
def test_rollback_bad_input_is_one_line(fn: Lambda, ops: OpsRunner, args: list[str], message: str) -> None:
    if "--function" not in args:
        args = ["--function", fn.name, *args]
    result = ops("rollback", *args)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1
