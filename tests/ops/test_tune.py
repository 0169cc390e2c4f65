"""`ops tune` against moto, with Invoke answered by tools/lambda_invoke.py (moto cannot run images).

The configuration and version lifecycle is moto's; each invocation runs the app under the real
runtime client and comes back with a log tail as Lambda writes it. No assertion is about how long
anything took: only about what tune read, computed, wrote and left behind.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import tune
from tests.ops.conftest import OpsRunner, interrupted
from tools import emulator
from tools.lambda_invoke import InvokeProxy

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-api:1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


class Failing(InvokeProxy):
    """Lambda refusing every Invoke after the first `allowed`, as a throttled or broken API would."""

    allowed = 2

    def invoke(
        self, config: dict[str, Any], payload: bytes, tail: bool, caller: Any = None
    ) -> tuple[int, dict[str, str], bytes]:
        if len(self.invoked) > self.allowed:
            body = json.dumps({"Type": "User", "message": "injected by the test"}).encode()
            return 400, {"x-amzn-ErrorType": "InvalidRequestContentException"}, body
        return super().invoke(config, payload, tail, caller)


@pytest.fixture(scope="module")
def proxies(moto_endpoint: str) -> Iterator[dict[str, InvokeProxy]]:
    with (
        InvokeProxy(moto_endpoint) as text,
        InvokeProxy(moto_endpoint, json_logs=True) as json_logs,
        Failing(moto_endpoint) as failing,
    ):
        yield {"text": text, "json": json_logs, "failing": failing}


@pytest.fixture
def through(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, proxies: dict[str, InvokeProxy]) -> Any:
    """Point boto3 (in this process) at one of the stand-ins; returns its URL."""

    def use(kind: str = "text") -> str:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxies[kind].url)
        return proxies[kind].url

    return use


class Function:
    """A function like the lambda module's: an image at 512 MB, version 1 published, `live` on it."""

    def __init__(self, memory: int = 512) -> None:
        self.name = f"tune-{uuid.uuid4().hex[:8]}"
        self.client = boto3.client("lambda")
        role = boto3.client("iam").create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(TRUST))
        self.client.create_function(
            FunctionName=self.name,
            Role=role["Role"]["Arn"],
            PackageType="Image",
            Code={"ImageUri": IMAGE},
            MemorySize=memory,
            Environment={"Variables": {"APP_VERSION": "tune-test"}},
        )
        assert self.client.publish_version(FunctionName=self.name)["Version"] == "1"
        self.client.create_alias(
            FunctionName=self.name, Name="live", FunctionVersion="1", Description="ops: previous=0"
        )

    def state(self) -> dict[str, Any]:
        alias = self.client.get_alias(FunctionName=self.name, Name="live")
        return {
            "memory": self.client.get_function_configuration(FunctionName=self.name)["MemorySize"],
            "versions": sorted(
                v["Version"]
                for v in self.client.list_versions_by_function(FunctionName=self.name)["Versions"]
            ),
            "alias": (alias["FunctionVersion"], alias.get("Description"), alias.get("RoutingConfig")),
        }


@pytest.fixture
def fn(aws_env: dict[str, str]) -> Function:
    return Function()


@pytest.fixture(scope="module")
def tuned(
    moto_endpoint: str, proxies: dict[str, InvokeProxy], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One tuning run of 128 and 1024 MB, 3 invocations each, through the CLI: shared by several tests."""
    from ops.cli import main

    directory = tmp_path_factory.mktemp("tune")
    saved = dict(os.environ)
    os.environ.update(emulator.aws_env(moto_endpoint))
    try:
        function = Function()
        before = function.state()
        first, reported = len(proxies["text"].invoked), len(proxies["text"].reports)
        os.environ["AWS_ENDPOINT_URL"] = proxies["text"].url
        code = main(
            [
                "tune", "--function", function.name, "--memory", "1024,128", "--invocations", "3",
                "--json", str(directory / "tune.json"), "--svg", str(directory / "tune.svg"),
            ]
        )  # fmt: skip
        os.environ["AWS_ENDPOINT_URL"] = moto_endpoint
        return {
            "code": code,
            "before": before,
            "after": function.state(),
            "json": json.loads((directory / "tune.json").read_text()),
            "svg": directory / "tune.svg",
            "invoked": proxies["text"].invoked[first:],
            "reports": proxies["text"].reports[reported:],
            "name": function.name,
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_each_size_is_measured_cold_then_warm_on_its_own_version(tuned: dict[str, Any]) -> None:
    assert tuned["code"] == 0
    report = tuned["json"]
    assert report["function"] == tuned["name"]
    assert report["architecture"] == "x86_64"
    assert report["original_memory_mb"] == 512
    assert [r["memory_mb"] for r in report["results"]] == [128, 1024]
    for result in report["results"]:
        assert result["errors"] == []
        assert result["cold_starts"] == 1
        assert result["cold"]["memory_mb"] == result["memory_mb"]  # read from the REPORT line
        # The cold invocation's figures are the ones Lambda's stand-in reported for that version.
        # (moto numbers a new version as the one just deleted: the size tells them apart)
        (cold, *warm) = [
            r
            for r in tuned["reports"]
            if (r["version"], r["memorySizeMB"]) == (result["version"], result["memory_mb"])
        ]
        assert result["cold"]["init_ms"] == cold["initDurationMs"]
        assert result["cold"]["duration_ms"] == cold["durationMs"]
        assert result["warm_count"] == 2
        assert result["duration_p50_ms"] in [r["durationMs"] for r in warm]
        assert 0 < result["max_memory_used_mb"] <= result["memory_mb"]
        assert result["version"] not in {"$LATEST", "1"}
    # Only the temporary versions were invoked, by number: never the alias, never $LATEST.
    versions = {r["version"] for r in report["results"]}
    assert {qualifier for _, qualifier in tuned["invoked"]} == versions
    assert len(tuned["invoked"]) == 6


def test_the_function_is_left_as_it_was_found(tuned: dict[str, Any]) -> None:
    assert tuned["after"] == tuned["before"]
    assert tuned["after"]["memory"] == 512
    assert tuned["after"]["versions"] == ["$LATEST", "1"]


def test_cost_per_million_follows_the_price_table(tuned: dict[str, Any]) -> None:
    report = tuned["json"]
    assert report["prices"]["source"] == "https://aws.amazon.com/lambda/pricing/"
    assert report["prices"]["per_gb_second_usd"] == tune.PRICE_PER_GB_SECOND["x86_64"]
    for result in report["results"]:
        expected = 1e6 * (
            0.20 / 1e6 + 0.0000166667 * result["memory_mb"] / 1024 * result["billed_mean_ms"] / 1000
        )
        assert math.isclose(result["cost_per_million_usd"], expected)
    assert report["recommended_memory_mb"] in (128, 1024)


def test_the_chart_draws_duration_and_cost_for_every_size(tuned: dict[str, Any]) -> None:
    svg = ET.parse(tuned["svg"]).getroot()  # noqa: S314 - a file this test had ops write
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    results = {r["memory_mb"]: r for r in tuned["json"]["results"]}
    series = {g.get("data-series"): g for g in svg.iterfind(".//svg:g", ns)}
    assert set(series) == {"duration", "cost"}
    for name, key in (("duration", "duration_p50_ms"), ("cost", "cost_per_million_usd")):
        points = series[name].findall("svg:circle", ns)
        assert [int(p.get("data-memory", "")) for p in points] == [128, 1024]
        assert [float(p.get("data-value", "")) for p in points] == [results[128][key], results[1024][key]]
        line = series[name].find("svg:polyline", ns)
        assert line is not None
        assert len(line.get("points", "").split()) == 2
    marked = [r.get("data-recommended") for r in svg.iterfind(".//svg:rect[@data-recommended]", ns)]
    assert marked == [str(tuned["json"]["recommended_memory_mb"])]
    assert tuned["name"] in "".join(svg.itertext())


def test_json_platform_records_are_read_too(
    fn: Function, through: Any, ops: OpsRunner, tmp_path: Path
) -> None:
    through("json")
    report = str(tmp_path / "t.json")
    run = ops("tune", "--function", fn.name, "--memory", "256", "--invocations", "2", "--json", report)
    assert run.code == 0, run.err
    (result,) = json.loads((tmp_path / "t.json").read_text())["results"]
    assert result["cold"]["memory_mb"] == 256
    assert result["warm_count"] == 1
    assert "recommended (balanced): 256 MB" in run.out


def test_a_version_that_already_had_the_size_is_measured_and_kept(
    fn: Function, through: Any, ops: OpsRunner, tmp_path: Path
) -> None:
    through()
    # Nothing changed since version 1 was published at 512 MB, so Lambda (and moto) hand back version 1.
    report = str(tmp_path / "t.json")
    run = ops("tune", "--function", fn.name, "--memory", "512", "--invocations", "1", "--json", report)
    assert run.code == 0, run.err
    assert "version 1 already had this configuration" in run.out
    (result,) = json.loads((tmp_path / "t.json").read_text())["results"]
    assert result["version"] == "1"
    assert result["errors"] == []
    assert fn.state()["versions"] == ["$LATEST", "1"]  # measured, not deleted


def test_an_error_midway_restores_the_size_and_removes_the_versions(
    fn: Function, through: Any, ops: OpsRunner, proxies: dict[str, InvokeProxy]
) -> None:
    before = fn.state()
    proxies["failing"].invoked.clear()
    through("failing")
    run = ops("tune", "--function", fn.name, "--memory", "256,1024", "--invocations", "2")
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith("ops tune: error: invoking version")
    assert "InvalidRequestContentException" in run.err
    assert f"restored {fn.name} to 512 MB" in run.out
    assert "deleted temporary version" in run.out
    assert fn.state() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interruption_restores_the_size_and_removes_the_versions(
    fn: Function, aws_env: dict[str, str], proxies: dict[str, InvokeProxy], signum: int
) -> None:
    before = fn.state()
    proxy = proxies["text"]
    start = len(proxy.invoked)

    def measuring() -> bool:
        """A temporary version published and being invoked: the moment to interrupt."""
        if len(proxy.invoked) < start + 3:
            return False
        assert fn.state()["memory"] == 128
        assert len(fn.state()["versions"]) == 3
        return True

    args = ["tune", "--function", fn.name, "--memory", "128,256,512,1024", "--invocations", "1000"]
    result = interrupted(args, {**aws_env, "AWS_ENDPOINT_URL": proxy.url}, measuring, signum)
    assert result.code == 130, result.err
    assert result.err.strip() == "ops tune: interrupted"
    assert "restored" in result.out
    assert fn.state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "no-such-function"], "ops tune: error: function 'no-such-function' not found"),
        (["--memory", "64"], "ops tune: error: --memory 64 is outside the 128-10240 MB Lambda accepts"),
        (
            ["--memory", "512,10241"],
            "ops tune: error: --memory 10241 is outside the 128-10240 MB Lambda accepts",
        ),
        (
            ["--memory", "big"],
            "ops tune: error: --memory takes whole numbers of MB separated by commas, not 'big'",
        ),
        (
            ["--invocations", "0"],
            "ops tune: error: --invocations must be a whole number of at least 1, not '0'",
        ),
        (
            ["--invocations", "-3"],
            "ops tune: error: --invocations must be a whole number of at least 1, not '-3'",
        ),
        (["--pin", "staging"], "ops tune: error: no environment 'staging'"),
    ],
    ids=[
        "unknown-function",
        "too-small",
        "too-large",
        "not-a-number",
        "no-invocations",
        "negative",
        "bad-env",
    ],
)
def test_bad_input_is_one_line_and_exit_2_with_nothing_changed(
    fn: Function, through: Any, ops: OpsRunner, args: list[str], message: str
) -> None:
    through()
    before = fn.state()
    argv = ["tune", "--function", fn.name, *args] if args[0] != "--function" else ["tune", *args]
    run = ops(*argv)
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith(message)
    assert fn.state() == before


def test_pin_writes_the_recommendation_into_env_hcl(
    fn: Function, through: Any, ops: OpsRunner, tmp_path: Path
) -> None:
    through()
    live = Path(shutil.copytree(ROOT / "live", tmp_path / "live"))
    original = (live / "dev" / "env.hcl").read_text()
    run = ops(
        "tune",
        "--function",
        fn.name,
        "--memory",
        "256",
        "--invocations",
        "1",
        "--pin",
        "dev",
        "--live-dir",
        str(live),
    )
    assert run.code == 0, run.err
    changed = (live / "dev" / "env.hcl").read_text()
    assert changed == original.replace(
        "lambda_memory_size          = 512", "lambda_memory_size          = 256"
    )
    assert changed != original
    assert "+  lambda_memory_size          = 256" in run.out
    assert (live / "prod" / "env.hcl").read_text() == (ROOT / "live" / "prod" / "env.hcl").read_text()


# The recommendation on its own, with made-up measurements.


def size(memory: int, duration: float, billed: int | None = None, errors: int = 0) -> tune.SizeResult:
    report = tune.Report(duration, billed if billed is not None else math.ceil(duration), memory, 60)
    return tune.SizeResult(memory, "7", warm=[report] * 3, errors=["boom"] * errors)


RESULTS = [size(128, 800.0), size(256, 390.0), size(512, 160.0), size(1024, 150.0), size(3008, 148.0)]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("cost", 512), ("speed", 3008), ("balanced", 512)],
    ids=["cost", "speed", "balanced"],
)
def test_each_strategy_picks_its_size(strategy: str, expected: int) -> None:
    tuning = tune.Tuning("f", "x86_64", 512, 3, RESULTS)
    assert tuning.recommend(strategy).memory_mb == expected  # type: ignore[union-attr]


def test_sizes_with_errors_are_never_recommended() -> None:
    tuning = tune.Tuning("f", "arm64", 512, 3, [size(128, 10.0, errors=1), size(1024, 50.0)])
    assert tuning.recommend("cost").memory_mb == 1024  # type: ignore[union-attr]
    assert tune.Tuning("f", "arm64", 512, 3, [size(128, 10.0, errors=1)]).recommend("cost") is None


def test_arm64_prices_apply_to_arm64_functions() -> None:
    result = size(1024, 100.0)
    assert math.isclose(result.cost_per_million("arm64") or 0, 0.20 + 0.0000133334 * 1.0 * 0.1 * 1e6)
    assert math.isclose(result.cost_per_million("x86_64") or 0, 0.20 + 0.0000166667 * 1.0 * 0.1 * 1e6)


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            'START RequestId: a Version: 3\n{"event": "request"}\nEND RequestId: a\n'
            "REPORT RequestId: a\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\t"
            "Max Memory Used: 61 MB\tInit Duration: 345.67 ms\t\n",
            tune.Report(12.34, 13, 512, 61, 345.67),
        ),
        (
            "REPORT RequestId: b\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 50 MB\t\n",
            tune.Report(1.5, 2, 128, 50, None),
        ),
        (
            '{"time":"2026-12-01T10:00:00.000Z","type":"platform.report","record":{"requestId":"c",'
            '"metrics":{"durationMs":2.77,"billedDurationMs":3,"memorySizeMB":1024,"maxMemoryUsedMB":68,'
            '"initDurationMs":161.93},"status":"success"}}\n',
            tune.Report(2.77, 3, 1024, 68, 161.93),
        ),
        ('{"event": "request", "status": 200}\n', None),
        ("", None),
    ],
    ids=["text-cold", "text-warm", "json-cold", "no-report", "empty"],
)
def test_reports_are_parsed_from_the_log_tail(log: str, expected: tune.Report | None) -> None:
    assert tune.parse_report(log) == expected
