"""`ops release` and `ops rollback` against Lambda and CloudWatch in moto.

moto cannot run image functions, so Invoke goes to tools/lambda_invoke.py, which runs the real
handler per version (under the runtime client) in front of moto and records which version answered
each request; it also puts the app's embedded metrics into moto as CloudWatch Logs would. Lambda's own metrics (Invocations,
Errors with ExecutedVersion) and the canary's real traffic do not exist here: the tests put those
datapoints with put_metric_data, as AWS would. The release loop runs on a fake clock (`FakeClock`):
steps of minutes pass in milliseconds and no wall-clock time decides a test.
"""

from __future__ import annotations

import json
import re
import signal as os_signal
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import OpsError, aws, release, signal, smoke
from ops.cli import parser, smoke_probe
from shared import contract
from shared.events import http_event
from tests.ops.conftest import FakeClock, OpsRunner, interrupted
from tests.ops.mutants import real_app
from tools.gateway import local_token
from tools.lambda_invoke import InvokeProxy

pytestmark = pytest.mark.emulator

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-api:1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


class Lambda:
    """A function with published versions 1..n and an alias `live`, unique to one test. Versions in
    `broken` cannot start (an environment value the app refuses at import: an init error)."""

    def __init__(
        self, versions: int = 3, serving: str = "1", broken: tuple[int, ...] = (), **environment: str
    ) -> None:
        self.name = f"ops-{uuid.uuid4().hex[:8]}"
        self.client = boto3.client("lambda")
        role = boto3.client("iam").create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(TRUST))
        self.client.create_function(
            FunctionName=self.name, Role=role["Role"]["Arn"], PackageType="Image", Code={"ImageUri": IMAGE}
        )
        for n in range(1, versions + 1):
            # A version is only published when the configuration changed.
            variables = {"APP_VERSION": str(n), "SERVICE_NAME": self.name, **environment}
            if n in broken:
                variables["MAX_BODY_BYTES"] = "lots"
            self.client.update_function_configuration(
                FunctionName=self.name, Environment={"Variables": variables}
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


class StandIn(InvokeProxy):
    """Lambda's Invoke with the app's metrics put as CloudWatch Logs would, where the versions in
    `time_out` time out from some moment on, as Lambda reports a timeout."""

    def __init__(self, moto_endpoint: str) -> None:
        super().__init__(moto_endpoint, emf_metrics=True)
        self.time_out: set[tuple[str, str]] = set()

    def invoke(self, config: dict[str, Any], payload: bytes, tail: bool, caller: Any = None) -> Any:
        version = config.get("Version", "$LATEST")
        if (config["FunctionName"], version) not in self.time_out:
            return super().invoke(config, payload, tail, caller)
        error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 10.00 seconds"}
        headers = {"X-Amz-Executed-Version": version, "X-Amz-Function-Error": "Unhandled"}
        return 200, headers, json.dumps(error).encode()


@pytest.fixture(scope="module")
def lambda_service(moto_endpoint: str) -> Iterator[StandIn]:
    with StandIn(moto_endpoint) as stand_in:
        yield stand_in


@pytest.fixture
def invoked(
    aws_env: dict[str, str], lambda_service: StandIn, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StandIn]:
    """Lambda calls go through the stand-in (Invoke runs the handler, the rest is moto's)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lambda_service.url)
    lambda_service.invocations.clear()
    lambda_service.time_out.clear()
    yield lambda_service
    lambda_service.stop_environments()


@pytest.fixture
def fn(aws_env: dict[str, str]) -> Lambda:
    return Lambda()


def put_app_metrics(service: str, version: str, requests: int, errors: int) -> None:
    """What the app's embedded metrics of that much traffic become in CloudWatch."""
    dimensions = [{"Name": "Service", "Value": service}, {"Name": "Version", "Value": version}]
    now = datetime.now(UTC)
    boto3.client("cloudwatch").put_metric_data(
        Namespace="LambdaApi",
        MetricData=[
            {"MetricName": "Requests", "Dimensions": dimensions, "Timestamp": now, "Values": [1.0],
             "Counts": [float(requests)], "StorageResolution": 1},
            {"MetricName": "Errors", "Dimensions": dimensions, "Timestamp": now, "Values": [1.0, 0.0],
             "Counts": [float(errors), float(requests - errors)], "StorageResolution": 1},
        ],
    )  # fmt: skip


def put_lambda_metrics(function: str, version: str, invocations: int, errors: int) -> None:
    """What Lambda publishes for invocations of the alias that version `version` served."""
    dimensions = [
        {"Name": "FunctionName", "Value": function},
        {"Name": "Resource", "Value": f"{function}:live"},
        {"Name": "ExecutedVersion", "Value": version},
    ]
    now = datetime.now(UTC)
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": dimensions,
                "Timestamp": now,
                "Value": float(invocations),
            },
            {"MetricName": "Errors", "Dimensions": dimensions, "Timestamp": now, "Value": float(errors)},
        ],
    )


# The smoke's checks of the app's document; a short smoke (four of them) for the tests about metrics.
SMOKE_CHECKS = [c.name for c in smoke.first_checks() + smoke.checks(contract.read(real_app().state.openapi))]
QUICK_SMOKE = [
    arg
    for check in SMOKE_CHECKS
    if check not in ("health", "openapi", "hello", "echo")
    for arg in ("--smoke-skip", check)
]


class Recorded(release.Function):
    """The function as `ops release` moves it, with the alias read back from Lambda after each move."""

    def __init__(self, client: object, name: str) -> None:
        super().__init__(client, name, "live")
        self.states = [self.state()]

    def state(self) -> tuple[str, dict[str, float]]:
        alias = self.get_alias()
        return alias.version, alias.weights

    def point(self, version: str, weights: dict[str, float], description: str | None = None) -> None:
        super().point(version, weights, description)
        self.states.append(self.state())


class Release:
    """`ops release` as the CLI wires it (smoke on the version, its own metrics), on a fake clock."""

    def __init__(self, fn: Lambda, version: str, canary: list[float], *, interval: float = 120,
                 bake: float = 120, full_smoke: bool = False) -> None:  # fmt: skip
        self.args = parser().parse_args(
            [
                "release",
                "--function",
                fn.name,
                "--version",
                version,
                "--smoke",
                *([] if full_smoke else QUICK_SMOKE),
            ]
        )
        self.fn = Recorded(fn.client, fn.name)
        self.signal = signal.VersionSignal(
            boto3.client("cloudwatch"), signal.Spec("LambdaApi", fn.name, 1.0), fn.name, "live", version,
            datetime.now(UTC),
        )  # fmt: skip
        self.plan = release.Plan(version, canary, interval, 10, bake)
        self.journal = release.Journal(fn.name, "live", self.plan)
        self.clock = FakeClock()
        self.lines: list[str] = []

    def __call__(self) -> int:
        watch = release.Watch(smoke=smoke_probe(self.args, self.lines.append), signal=self.signal)
        return release.release(
            self.fn, self.plan, watch, self.lines.append, self.clock, self.clock.sleep, self.journal
        )

    @property
    def out(self) -> str:
        return "\n".join(self.lines)


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
        if self.then and not self.acted and self.when and self.when(state):
            self.acted = True
            self.then()


def canary_on(version: str) -> Callable[[tuple[str, dict[str, float]]], bool]:
    return lambda state: version in state[1]


def test_release_all_at_once(fn: Lambda, ops: OpsRunner) -> None:
    result = ops("release", "--function", fn.name, "--alias", "live", "--version", "2", "--bake", "0")
    assert result.code == 0, result.out + result.err
    assert fn.alias() == ("2", {}, "ops: previous=1")
    assert "release complete" in result.out
    assert "warning: no --smoke and no --service: nothing judges the new version itself" in result.out


def test_canary_steps_move_the_weights(
    fn: Lambda, alarm: Alarm, ops: OpsRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = ["--canary", "10", "--canary", "50", "--interval", "0.4", "--bake", "0", "--poll", "0.05"]
    summary = tmp_path / "summary.md"
    updates = AliasUpdates(monkeypatch)
    result = ops(
        "release",
        "--function",
        fn.name,
        "--version",
        "3",
        *args,
        "--alarm",
        alarm.name,
        "--summary",
        str(summary),
    )
    assert result.code == 0, result.out + result.err
    assert updates.states == [("1", {"3": 0.1}), ("1", {"3": 0.5}), ("3", {})]
    assert fn.alias() == ("3", {}, "ops: previous=1")
    assert "canary: 10 % on version 3, 90 % on 1 for 0.4 s" in result.out
    assert "canary: 50 % on version 3" in result.out
    # The job summary states the timing the release ran with, and each step's result.
    text = summary.read_text()
    assert f"### Release of version 3 on `{fn.name}:live`: complete" in text
    assert "Canary 10 %, 50 %, 0.4 s per step; bake 0 s at 100 %; checks every 0.05 s." in text
    assert "| 1 canary | 10 % | 0.4 s |" in text
    assert "| 3 bake | 100 % | 0 s |" in text


def test_each_step_is_held_for_its_interval(
    fn: Lambda, alarm: Alarm, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, lines = FakeClock(), []
    updates = AliasUpdates(monkeypatch)
    watch = release.Watch(alarms=release.alarm_probe(release.Alarms(alarm.client, [alarm.name], None)))
    plan = release.Plan("3", [10, 50], 0.4, 0.05)
    journal = release.Journal(fn.name, "live", plan)
    code = release.release(release.Function(aws.client("lambda"), fn.name, "live"), plan, watch,
                           lines.append, clock, clock.sleep, journal)  # fmt: skip
    assert code == 0, lines
    assert updates.states == [("1", {"3": 0.1}), ("1", {"3": 0.5}), ("3", {})]
    # Each canary step watched for its interval, checked every 0.05 s; the bake (0 s) once.
    assert [(s.percent, s.watched) for s in journal.steps] == [
        (10, pytest.approx(0.4)),
        (50, pytest.approx(0.4)),
        (100, 0),
    ]


def test_an_unexpected_error_mid_canary_rolls_back(fn: Lambda) -> None:
    calls = []

    def probe() -> str | None:  # clear before the release, then a fault of ours (not an OpsError)
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("statusCode 'oops' is not a number")
        return None

    clock, lines = FakeClock(), []
    plan = release.Plan("2", [10], 120, 5)
    journal = release.Journal(fn.name, "live", plan)
    with pytest.raises(ValueError, match="oops"):
        release.release(release.Function(aws.client("lambda"), fn.name, "live"), plan,
                        release.Watch(alarms=probe), lines.append, clock, clock.sleep, journal)  # fmt: skip
    assert fn.alias()[:2] == ("1", {})
    assert "rolling back: ValueError: statusCode 'oops' is not a number" in lines
    assert journal.outcome == "rolled back (ValueError: statusCode 'oops' is not a number)"


def test_alarm_mid_canary_rolls_back(fn: Lambda, alarm: Alarm, monkeypatch: pytest.MonkeyPatch) -> None:
    updates = AliasUpdates(monkeypatch, when=canary_on("2"), then=lambda: alarm.set("ALARM"))
    clock, lines = FakeClock(), []
    watch = release.Watch(alarms=release.alarm_probe(release.Alarms(alarm.client, [alarm.name], None)))
    plan = release.Plan("2", [10], 120, 5)
    code = release.release(release.Function(aws.client("lambda"), fn.name, "live"), plan, watch,
                           lines.append, clock, clock.sleep)  # fmt: skip
    assert code == 1, lines
    # Rolled back at the first check after the alarm fired, not when the 120 s step ended.
    assert clock.now < 120
    assert updates.acted
    assert updates.states == [("1", {"2": 0.1}), ("1", {})]
    version, weights, description = fn.alias()
    assert (version, weights) == ("1", {})
    assert description == "ops: rolled back version 2"
    assert f"rolling back: alarm in ALARM: {alarm.name}" in lines


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
    assert release.release(fn_, plan, release.Watch(smoke=probe, alarms=alarms), print) == 1
    # Once before any traffic moved, once at the full shift.
    assert smoke_runs == [("1", {}), ("2", {})]
    assert fn.alias()[:2] == ("1", {})


def test_alarm_while_baking_rolls_back(fn: Lambda, alarm: Alarm, monkeypatch: pytest.MonkeyPatch) -> None:
    updates = AliasUpdates(monkeypatch, when=lambda state: state[0] == "2", then=lambda: alarm.set("ALARM"))
    clock, lines = FakeClock(), []
    watch = release.Watch(alarms=release.alarm_probe(release.Alarms(alarm.client, [alarm.name], None)))
    plan = release.Plan("2", [], 0, 5, 120)
    code = release.release(release.Function(aws.client("lambda"), fn.name, "live"), plan, watch,
                           lines.append, clock, clock.sleep)  # fmt: skip
    assert code == 1, lines
    assert clock.now < 120  # long before the 120 s of baking were over
    assert "shifted: 100 % on version 2, watching for 120 s" in lines
    assert updates.states == [("2", {}), ("1", {})]
    assert fn.alias()[:2] == ("1", {})


def test_alarm_already_firing_blocks_the_release(fn: Lambda, alarm: Alarm, ops: OpsRunner) -> None:
    alarm.set("ALARM")
    result = ops("release", "--function", fn.name, "--version", "2", "--alarm", alarm.name)
    assert result.code == 1
    assert f"not releasing version 2: alarm in ALARM: {alarm.name} before the release started" in result.out
    assert fn.alias() == ("1", {}, "")


# The new version's own signals: the smoke sent to it, its own metrics


def test_a_healthy_canary_completes_and_every_smoke_request_reaches_the_new_version(
    invoked: StandIn, aws_env: dict[str, str]
) -> None:
    fn = Lambda()
    run = Release(fn, "3", [10, 50], full_smoke=True)
    # Real traffic on both versions meanwhile, the stable one failing: not the canary's business.
    run.clock.at(30, lambda: put_app_metrics(fn.name, "1", requests=100, errors=40))
    run.clock.at(30, lambda: put_lambda_metrics(fn.name, "1", invocations=100, errors=40))
    run.clock.at(40, lambda: put_app_metrics(fn.name, "3", requests=50, errors=0))
    run.clock.at(200, lambda: put_lambda_metrics(fn.name, "3", invocations=50, errors=0))
    assert run() == 0, run.out
    assert fn.alias() == ("3", {}, "ops: previous=1")
    # Before any traffic moved, then at the start of each of the three steps.
    assert run.out.count(f"{len(SMOKE_CHECKS)} checks, all passed") == 4
    reached = [(i.function, i.qualifier, i.version) for i in invoked.invocations]
    assert reached == [(fn.name, "3", "3")] * 4 * len(SMOKE_CHECKS)
    assert {i.path for i in invoked.invocations} >= {"/health", "/hello", "/echo", "/openapi.json"}
    # Each step lasted what it was planned to, on the fake clock.
    assert [(s.percent, s.watched, s.outcome) for s in run.journal.steps] == [
        (10, 120, "✅ healthy"), (50, 120, "✅ healthy"), (100, 120, "✅ healthy")
    ]  # fmt: skip
    assert "first metrics from version 3 " in run.out


def test_a_protected_deployment_is_smoked_with_the_tokens_claims_in_the_event(
    invoked: StandIn, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Invoked directly, no JWT authorizer runs: the smoke's token must reach the app as the claims
    # the authorizer would pass, or the protected route answers the app's own 401 and the release
    # of a healthy version fails. Without a token it must not pass the protected route.
    fn = Lambda(PROTECTED_ROUTES="GET /hello")
    monkeypatch.setenv("SMOKE_TOKEN", local_token("https://issuer.example.com", "lambda-api", "smoke-bot"))
    run = Release(fn, "3", [], bake=0)
    run.clock.at(0, lambda: put_app_metrics(fn.name, "3", requests=10, errors=0))
    assert run() == 0, run.out
    assert "auth-missing" in run.out
    assert "auth-malformed" in run.out
    hello = [(i.path, i.status) for i in invoked.invocations if i.path == "/hello"]
    assert ("/hello", 200) in hello
    assert ("/hello", 401) in hello

    monkeypatch.delenv("SMOKE_TOKEN")
    unauthorised = Release(fn, "2", [], bake=0)
    assert unauthorised() == 1
    assert "smoke failed: " in unauthorised.out
    assert "hello" in unauthorised.out


def test_an_alias_sends_each_invocation_to_a_version_by_its_weights(
    invoked: StandIn, aws_env: dict[str, str]
) -> None:
    fn = Lambda()
    fn.set_alias("1", {"2": 0.25})
    draws = iter([0.1, 0.9, 0.24])
    invoked.draw = lambda: next(draws)
    for _ in range(3):
        answer = fn.client.invoke(
            FunctionName=fn.name, Qualifier="live", Payload=json.dumps(http_event("GET", "/health"))
        )
        assert json.loads(answer["Payload"].read())["statusCode"] == 200
    assert [(i.qualifier, i.version, i.path, i.status) for i in invoked.invocations] == [
        ("live", "2", "/health", 200), ("live", "1", "/health", 200), ("live", "2", "/health", 200)
    ]  # fmt: skip
    # Its metrics were put as CloudWatch Logs would: one request per version and invocation.
    requests = boto3.client("cloudwatch").get_metric_statistics(
        Namespace="LambdaApi", MetricName="Requests", Statistics=["Sum"], Period=60,
        Dimensions=[{"Name": "Service", "Value": fn.name}, {"Name": "Version", "Value": "2"}],
        StartTime=datetime.now(UTC) - timedelta(minutes=5), EndTime=datetime.now(UTC) + timedelta(minutes=1),
    )["Datapoints"]  # fmt: skip
    assert sum(point["Sum"] for point in requests) == 2


def test_the_new_versions_errors_mid_step_roll_back(invoked: StandIn, aws_env: dict[str, str]) -> None:
    fn = Lambda()
    run = Release(fn, "2", [10])
    # 30 s into the canary, 3 of the 20 requests version 2 served through the alias failed.
    run.clock.at(30, lambda: put_app_metrics(fn.name, "2", requests=20, errors=3))
    assert run() == 1, run.out
    assert run.fn.states == [("1", {}), ("1", {"2": 0.1}), ("1", {})]
    assert fn.alias() == ("1", {}, "ops: rolled back version 2")
    # 3 of the 20, and of the smoke's requests whichever fell in the same 10 s.
    assert re.search(r"rolling back: version 2: 3 of 2[0-8] requests answered 5xx in the 10 s from", run.out)
    canary = run.journal.steps[0]
    assert 30 <= canary.watched < 40  # the next check after the datapoint, not the end of the step
    assert run.journal.steps[1].outcome == "not reached"


def test_the_new_versions_failures_while_baking_roll_back(invoked: StandIn, aws_env: dict[str, str]) -> None:
    fn = Lambda()
    run = Release(fn, "2", [10], interval=120, bake=180)
    # After the full shift (at 120 s), Lambda counts failed invocations of version 2 (timeouts,
    # crashes: nothing the app itself logs).
    run.clock.at(150, lambda: put_lambda_metrics(fn.name, "2", invocations=200, errors=5))
    assert run() == 1, run.out
    assert run.fn.states == [("1", {}), ("1", {"2": 0.1}), ("2", {}), ("1", {})]
    assert "rolling back: version 2: 5 of 200 invocations failed in the 60 s from" in run.out
    assert [s.outcome[:1] for s in run.journal.steps] == ["✅", "❌"]
    assert 30 <= run.journal.steps[1].watched < 40


def test_errors_of_the_stable_version_alone_do_not_roll_back(
    invoked: StandIn, aws_env: dict[str, str]
) -> None:
    fn = Lambda()
    run = Release(fn, "2", [10])
    for at in (20, 60, 130, 200):
        run.clock.at(at, lambda: put_app_metrics(fn.name, "1", requests=90, errors=90))
        run.clock.at(at, lambda: put_lambda_metrics(fn.name, "1", invocations=90, errors=90))
    assert run() == 0, run.out
    assert fn.alias() == ("2", {}, "ops: previous=1")


def test_a_version_without_metrics_cannot_be_judged(invoked: StandIn, aws_env: dict[str, str]) -> None:
    fn = Lambda()
    run = Release(fn, "2", [10])
    run.signal = signal.VersionSignal(
        boto3.client("cloudwatch"), signal.Spec("LambdaApi", "another-service", 1.0), fn.name, "live", "2",
        datetime.now(UTC),
    )  # fmt: skip
    assert run() == 1
    assert "rolling back: no metrics from version 2 in 120 s (LambdaApi, Service=another-service)" in run.out
    assert fn.alias()[:2] == ("1", {})


def test_a_version_that_cannot_start_gets_no_traffic(invoked: StandIn, ops: OpsRunner) -> None:
    fn = Lambda(broken=(3,))
    result = ops(
        "release", "--function", fn.name, "--version", "3", "--canary", "10", "--smoke", "--interval", "1"
    )
    assert result.code == 1, result.out + result.err
    assert "not releasing version 3: smoke failed: " in result.out
    assert "version 3 failed (Unhandled): ConfigError: MAX_BODY_BYTES" in result.out
    assert "(before any traffic moved)" in result.out
    assert fn.alias() == ("1", {}, "")
    assert [(i.qualifier, i.version, i.error is not None) for i in invoked.invocations] == [("3", "3", True)]


def test_a_smoke_failing_mid_release_rolls_back_without_retries(
    invoked: StandIn, aws_env: dict[str, str]
) -> None:
    fn = Lambda()
    run = Release(fn, "2", [10, 50])
    # Version 2 starts timing out during the first step (a dependency it waits on went away):
    # the smoke at the start of the second step finds it.
    run.clock.at(60, lambda: invoked.time_out.add((fn.name, "2")))
    assert run() == 1, run.out
    assert "rolling back: smoke failed: " in run.out
    assert "version 2 failed (Unhandled): Sandbox.Timedout: Task timed out after 10.00 seconds" in run.out
    assert run.fn.states == [("1", {}), ("1", {"2": 0.1}), ("1", {"2": 0.5}), ("1", {})]
    failed = [i for i in invoked.invocations if i.error]
    assert [(i.version, i.path) for i in failed] == [("2", "/health")]  # reported, never retried


def test_latency_is_judged_by_the_p99_of_each_period() -> None:
    # moto computes no percentiles (GetMetricData answers p99 with a server error), so the verdict
    # is checked on datapoints as CloudWatch returns them.
    spec = signal.Spec("LambdaApi", "svc", max_error_rate=1.0, max_p99_ms=800)
    at = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)
    healthy = {"requests": [(at, 50.0)], "errors": [(at, 0.0)], "p99": [(at, 799.0)]}
    assert signal.verdict(spec, "7", healthy) is None
    slow = {**healthy, "p99": [(at, 799.0), (at.replace(second=20), 812.4)]}
    assert signal.verdict(spec, "7", slow) == (
        "version 7: p99 latency 812 ms in the 10 s from 12:00:20 UTC (>= 800 ms)"
    )
    assert "p99" not in {
        q["Id"]
        for q in signal.VersionSignal(None, signal.Spec("N", "s", 1.0), "f", "live", "7", at).queries()
    }


def test_the_error_rate_is_per_period_and_at_the_threshold() -> None:
    spec = signal.Spec("LambdaApi", "svc", max_error_rate=5.0)
    at = datetime(2026, 1, 1, 12, 0, 10, tzinfo=UTC)
    below = {"requests": [(at, 100.0)], "errors": [(at, 4.0)]}
    assert signal.verdict(spec, "7", below) is None
    at_threshold = {"requests": [(at, 100.0)], "errors": [(at, 5.0)]}
    assert signal.verdict(spec, "7", at_threshold) == (
        "version 7: 5 of 100 requests answered 5xx in the 10 s from 12:00:10 UTC (5.0 % >= 5 %)"
    )


def test_steps_shorter_than_the_signal_needs_are_refused(fn: Lambda, ops: OpsRunner) -> None:
    args = ["--function", fn.name, "--version", "2", "--service", fn.name]
    result = ops("release", *args, "--canary", "10", "--interval", "30")
    assert result.code == 2
    assert result.err == (
        "ops release: error: --interval 30 is shorter than the signal needs: 120 s "
        "(a 60 s period and 60 s of delivery)\n"
    )
    result = ops("release", *args, "--bake", "70", "--signal-delay", "20")
    assert result.code == 2
    assert "--bake 70 is shorter than the signal needs: 80 s" in result.err
    result = ops("release", *args, "--canary", "10", "--canary", "20", "--interval", "5000", "--bake", "900")
    assert result.code == 2
    assert "within 3 hours" in result.err
    assert fn.alias() == ("1", {}, "")


@pytest.mark.parametrize("option", ["--smoke-url", "--smoke-warmup"])
def test_removed_smoke_options_say_what_replaced_them(fn: Lambda, ops: OpsRunner, option: str) -> None:
    result = ops("release", "--function", fn.name, "--version", "2", option, "x")
    assert result.code == 2
    assert f"{option} is gone:" in result.err
    assert fn.alias() == ("1", {}, "")


def test_interrupt_mid_canary_rolls_back(fn: Lambda) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    fn_ = release.Function(fn.client, fn.name, "live")
    watch = release.Watch(alarms=lambda: None)
    with pytest.raises(KeyboardInterrupt):
        release.release(fn_, release.Plan("2", [10], 60, 1), watch, print, sleep=interrupt)
    assert fn.alias()[:2] == ("1", {})


@pytest.mark.parametrize("signum", [os_signal.SIGINT, os_signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_mid_canary_rolls_back(fn: Lambda, aws_env: dict[str, str], signum: int) -> None:
    # A cancelled CI job sends SIGINT, then SIGTERM 7.5 s later, to the step's process ("Workflow
    # cancellation reference", GitHub Actions docs): the step execs `ops release` so it gets them.
    def canary_live() -> bool:
        return fn.alias()[:2] == ("1", {"2": 0.1})

    args = ["release", "--function", fn.name, "--version", "2", "--canary", "10", "--interval", "600"]
    result = interrupted([*args, "--poll", "1"], aws_env, canary_live, signum)
    assert result.code == 130, result.err
    assert result.err.strip() == "ops release: interrupted"
    assert "rolling back: interrupted" in result.out
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
        release.release(fn_, release.Plan("2", [10], 60, 1), release.Watch(alarms=alarms), print)
    assert fn.alias()[:2] == ("1", {})


def test_unfinished_canary_is_restarted(fn: Lambda, ops: OpsRunner) -> None:
    fn.set_alias("1", {"2": 0.3})
    result = ops("release", "--function", fn.name, "--version", "3", "--bake", "0")
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
    assert ops("release", "--function", fn.name, "--version", "3", "--bake", "0").code == 0
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
