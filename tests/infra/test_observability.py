"""The monitoring module reads what the app and the API really write.

The saved Logs Insights queries, the dashboard's app widgets and the API access-log query name
fields, metrics and dimensions; these tests take them from the Terraform code and compare them with
the lines the app prints when served through its Lambda handler (`python -m tools.gateway`) and with
the api-gateway module's access-log format. Saved queries cannot be created on the emulator (moto
has no PutQueryDefinition), so this is what keeps their field names honest.
"""

from __future__ import annotations

import json
import re
import textwrap
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Server, serve, stop
from tests.infra.conftest import ROOT

MONITORING = ROOT / "modules" / "monitoring"
SERVICE = "observability-test"
# Fields a query may name that no request line carries: set on runtime crash lines only.
CRASH_ONLY_FIELDS = {"errorType"}


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """JSON lines the app writes for a few requests, served through the Lambda handler."""
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    server: Server = serve(
        ["-m", "tools.gateway"], log, env={"SERVICE_NAME": SERVICE, "METRICS_NAMESPACE": "LambdaApi"}
    )
    try:
        for path in ("/hello?name=Ada", "/does-not-exist"):
            try:
                with urllib.request.urlopen(f"{server.url}{path}", timeout=60):  # loopback only; a safety net
                    pass
            except urllib.error.HTTPError:
                pass
        parsed = []
        for line in server.lines():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    finally:
        stop(server)
    return parsed


def query_texts() -> dict[str, str]:
    """The Logs Insights queries in queries.tf, by name (heredoc bodies)."""
    text = (MONITORING / "queries.tf").read_text()
    found = dict(
        re.findall(
            r"\n\s*([a-z-]+) = \{\n\s*log_groups = .*?\n\s*query\s*= <<-EOT\n(.*?)\n\s*EOT", text, re.S
        )
    )
    assert set(found) == {"errors", "slow-requests", "api-errors"}, found.keys()
    return {name: textwrap.dedent(body) for name, body in found.items()}


def named_fields(query: str) -> set[str]:
    """Field names a query lists or filters on (not functions, keywords or @-fields)."""
    listed = re.search(r"fields (.*)", query)
    assert listed
    names = {name.strip() for name in listed.group(1).split(",")}
    filters = " ".join(re.findall(r"\| filter (.*)", query))
    # Drop Terraform interpolations (thresholds), string literals and regex literals.
    filters = re.sub(r'\$\{[^}]*\}|"[^"]*"|/[^/]*/', " ", filters)
    names |= set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()", filters))
    keywords = {"and", "or", "not", "in", "like", "ispresent", "strlen"}
    return {name for name in names if not name.startswith("@") and name not in keywords}


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [line for line in lines if line.get("event") == "request"]
    assert len(found) >= 2, lines
    return found


def test_app_queries_name_fields_the_access_line_has(lines: list[dict[str, Any]]) -> None:
    access = access_lines(lines)
    for name in ("errors", "slow-requests"):
        missing = named_fields(query_texts()[name]) - CRASH_ONLY_FIELDS - set(access[0])
        assert not missing, f"query {name} names fields the app never writes: {missing}"


def test_filtered_fields_are_numbers(lines: list[dict[str, Any]]) -> None:
    # `status >= 500` and `duration_ms >= N` compare numbers: the app must log them as numbers.
    for line in access_lines(lines):
        assert isinstance(line["status"], int)
        assert isinstance(line["duration_ms"], int | float)
        assert isinstance(line["cold_start"], bool)
    assert {line["status"] for line in access_lines(lines)} >= {200, 404}


def test_api_query_names_fields_of_the_access_log_format() -> None:
    main = (ROOT / "modules" / "api-gateway" / "main.tf").read_text()
    logged = set(re.findall(r"^\s*(\w+)\s*=\s*\"\$context\.", main, re.M))
    assert "requestId" in logged
    missing = named_fields(query_texts()["api-errors"]) - logged
    assert not missing, f"api-errors names fields the access log does not have: {missing}"


def test_dashboard_charts_the_metrics_the_app_emits(lines: list[dict[str, Any]]) -> None:
    emf = [line for line in lines if "_aws" in line]
    assert emf, lines
    directives = emf[0]["_aws"]["CloudWatchMetrics"]
    assert {directive["Namespace"] for directive in directives} == {"LambdaApi"}
    assert emf[0]["Service"] == SERVICE
    emitted = {metric["Name"] for directive in directives for metric in directive["Metrics"]}
    dimension_sets = {",".join(dims) for directive in directives for dims in directive["Dimensions"]}

    dashboard = (MONITORING / "dashboard.tf").read_text()
    charted = set(re.findall(r'\[local\.ns, "(\w+)", "Service", local\.service', dashboard))
    searched = set(re.findall(r'metric = "(\w+)"', dashboard))
    assert charted == {"Requests", "Errors", "ClientErrors", "Latency", "ColdStart"}
    assert charted | searched <= emitted
    assert set(re.findall(r'dims = "([\w,]+)"', dashboard)) <= dimension_sets
    assert "Service" in dimension_sets


def test_the_release_signal_is_what_the_app_emits(lines: list[dict[str, Any]]) -> None:
    """`ops release`, the per-version alarms and the dashboard read Requests, Errors and Latency by
    Service and Version, at one-second resolution: the app must write exactly that."""
    from ops.signal import VersionSignal

    emf = next(line for line in lines if "_aws" in line)
    per_version = [d for d in emf["_aws"]["CloudWatchMetrics"] if ["Service", "Version"] in d["Dimensions"]]
    assert len(per_version) == 1
    stored = {metric["Name"]: metric.get("StorageResolution") for metric in per_version[0]["Metrics"]}
    assert stored == {"Requests": 1, "Errors": 1, "Latency": 1}
    assert emf["Version"] == "$LATEST"  # tools.gateway is not a published version
    read = VersionSignal(None, signal_spec(), "fn", "live", "7", datetime.now(UTC)).queries()
    app_reads = [
        q["MetricStat"]["Metric"] for q in read if q["MetricStat"]["Metric"]["Namespace"] != "AWS/Lambda"
    ]
    assert {m["MetricName"] for m in app_reads} <= set(stored)
    assert all([d["Name"] for d in m["Dimensions"]] == ["Service", "Version"] for m in app_reads)
    alarms = (MONITORING / "alarms.tf").read_text()
    assert "Service, Version) WHERE Service = '${local.service_name}' GROUP BY Version" in alarms


def signal_spec() -> Any:
    from ops.signal import Spec

    return Spec("LambdaApi", SERVICE, 1.0, max_p99_ms=1000)


def test_release_timing_rule_agrees_with_ops_release() -> None:
    """modules/monitoring derives the pipeline's step and bake from the same rule `ops release`
    applies (ops/signal.py): the longest period read plus the delivery delay, with the same defaults."""
    from ops.cli import parser
    from ops.signal import LAMBDA_PERIOD, seconds_needed

    release_tf = (MONITORING / "release.tf").read_text()
    assert (
        "release_signal_seconds = max(var.release_signal_period_seconds, 60) + var.release_signal_delay_seconds"
        in release_tf
    )
    assert LAMBDA_PERIOD == 60
    variables = (MONITORING / "variables.tf").read_text()

    def default(name: str) -> float:
        found = re.search(rf'variable "{name}" \{{.*?default\s*=\s*(\d+)', variables, re.S)
        assert found, name
        return float(found.group(1))

    options = parser().parse_args(["release", "--function", "f", "--version", "2"])
    assert default("release_signal_period_seconds") == options.signal_period == 10
    assert default("release_signal_delay_seconds") == options.signal_delay == 60
    # modules/monitoring/tests asserts the module's default step and bake: 120 s.
    assert seconds_needed(options.signal_period, options.signal_delay) == 120


def test_namespace_defaults_agree() -> None:
    """The app, the lambda module and the monitoring module all default to the same namespace."""
    from app.config import Settings

    pattern = r'variable "metrics_namespace" \{.*?default\s*=\s*"([^"]+)"'
    lambda_default = re.search(pattern, (ROOT / "modules/lambda/variables.tf").read_text(), re.S)
    monitoring_default = re.search(pattern, (MONITORING / "variables.tf").read_text(), re.S)
    assert lambda_default
    assert monitoring_default
    assert Settings.from_env({}).metrics_namespace == lambda_default.group(1) == monitoring_default.group(1)


def test_field_extraction_sees_a_misspelt_field() -> None:
    query = 'fields @timestamp, status, durationMs\n| filter event = "request" and latency_ms >= 5'
    assert named_fields(query) == {"status", "durationMs", "event", "latency_ms"}


def test_query_file_is_parsed() -> None:
    assert all(text.startswith("fields ") for text in query_texts().values())


def test_the_documented_release_timeline_is_what_live_sets() -> None:
    """docs/operations.md draws the release timeline of dev and prod: it must be env.hcl's values
    (null meaning what the signal needs), or the doc lies after the next change to them."""
    import hcl2

    from ops.signal import seconds_needed

    needed = seconds_needed(10, 60)
    doc = (ROOT / "docs" / "operations.md").read_text()
    gantt = doc.split("```mermaid\ngantt", 1)[1].split("```", 1)[0]
    sections = dict(re.findall(r"section (\w+)\n(.*?)(?=\n    section |\Z)", gantt, re.S))
    for env in ("dev", "prod"):
        with (ROOT / "live" / env / "env.hcl").open() as handle:
            values = {k: v for block in hcl2.load(handle)["locals"] for k, v in block.items()}
        step = values["release_step_seconds"] or needed
        bake = values["release_bake_seconds"] or needed
        drawn = re.findall(r"^\s*(\d+) %[^:]*?(\d+) s :", sections[env], re.M)
        expected = [(str(p), str(step)) for p in values["release_canary_percents"]] + [("100", str(bake))]
        assert drawn == expected, (env, drawn, expected)
