"""examples/complete applied to moto: what the modules declare exists as intended, a re-plan is clean
but for one named moto gap, the alias stays the pipeline's, and destroy leaves nothing behind.

The tests share one apply (defaults alone) and run in file order: inspect, add an alarm email,
re-plan, move the alias as the pipeline does, plan states with the keys and log groups at their
addresses of earlier layouts of the modules (moved blocks), destroy.

Moto gaps met here, and what covers each instead:
- Logs Insights saved queries (`aws_cloudwatch_query_definition`): moto has no PutQueryDefinition.
  The example's default leaves them off; the monitoring module's tftest (`saved_queries`) asserts
  them and tests/infra/test_observability.py checks their fields against the app's real log lines.
- Lambda `LoggingConfig`: moto accepts it but never returns it, so every plan wants to add
  `logging_config` again (and, with publish = true, a new version). Tolerated below for exactly that
  resource and attribute, and only while moto still drops the setting; the lambda module's tftest
  (`secure_defaults`) asserts the JSON logging settings.
- Moto does not check that the image exists in ECR, does not route API Gateway requests to Lambda
  and does not enforce IAM: the image and the routing are exercised by tests/image and the gateway
  (`make up`), IAM policies by the github-oidc tftest (structure) and Checkov.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import ROOT, run
from tests.infra.example_stack import Example, applied, changes_of, gone
from tests.infra.test_custom_domain import OFF_BY_DEFAULT_TYPES
from tools import emulator

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

NAME = "lambda-api-example"  # examples/complete's default name
ACCOUNT = emulator.ACCOUNT_ID
REGION = emulator.REGION
EMAIL = "alerts@example.com"
WITH_EMAIL = {"alarm_emails": f'["{EMAIL}"]'}
# Declared in modules/ but never created on the emulator (see the module docstring).
MOTO_GAPS = {"aws_cloudwatch_query_definition": "moto has no Logs PutQueryDefinition API"}


@dataclass
class Stack(Example):
    email_apply: subprocess.CompletedProcess[str] | None = None

    def with_alarm_email(self) -> subprocess.CompletedProcess[str]:
        """Apply once more with an alarm email (once per stack); later plans pass the same variables.

        Tests that need this state call it themselves, so each also runs alone (`-k`).
        """
        if self.email_apply is None:
            self.email_apply = self.tf("apply", "-auto-approve", "-input=false", variables=WITH_EMAIL)
        return self.email_apply

    def resources(self) -> list[dict[str, Any]]:
        """Every managed resource in the current state, from `terraform show -json`."""
        result = self.tf("show", "-json")
        assert result.returncode == 0, result.stdout
        values = json.loads(result.stdout).get("values") or {}
        found: list[dict[str, Any]] = []

        def walk(module: dict[str, Any]) -> None:
            found.extend(r for r in module.get("resources", []) if r["mode"] == "managed")
            for child in module.get("child_modules", []):
                walk(child)

        walk(values.get("root_module", {}))
        return found


def declared_resource_types() -> set[str]:
    pattern = re.compile(r'^resource\s+"(\w+)"', re.MULTILINE)
    return {kind for path in (ROOT / "modules").rglob("*.tf") for kind in pattern.findall(path.read_text())}


@pytest.fixture(scope="module")
def stack(
    tf_workspace: Path, tf_env: dict[str, str], moto_endpoint: str, terraform_bin: str
) -> Iterator[Stack]:
    example = Stack.on_emulator(tf_workspace, "complete", NAME, tf_env, moto_endpoint, terraform_bin)
    # Applied with the defaults alone; later tests may have added the alarm email.
    yield from applied(example, destroy_variables=WITH_EMAIL)


def test_outputs_users_need(stack: Stack) -> None:
    out = stack.outputs
    api_id = out["api_id"]
    assert out["api_url"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com"
    assert out["function_name"] == NAME
    assert out["function_arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}"
    assert out["alias_name"] == "live"
    assert out["alias_arn"] == f"{out['function_arn']}:live"
    assert out["repository_url"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{NAME}"
    assert out["dashboard_name"] == NAME
    assert out["alarm_topic_arn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:{NAME}-alarms"


# One check per resource type: the settings the modules intend, read back through the AWS API.


def check_ecr(stack: Stack) -> None:
    ecr = stack.client("ecr")
    (repo,) = ecr.describe_repositories(repositoryNames=[NAME])["repositories"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"]["encryptionType"] == "KMS"

    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=NAME)["lifecyclePolicyText"])["rules"]
    # Released images first (kept), then untagged, then other tagged (tests/infra/test_ecr_lifecycle.py).
    assert [rule["selection"]["tagStatus"] for rule in rules] == ["tagged", "untagged", "tagged"]
    assert rules[2]["selection"]["countType"] == "imageCountMoreThan"
    assert rules[2]["selection"]["countNumber"] == 30

    (statement,) = json.loads(ecr.get_repository_policy(repositoryName=NAME)["policyText"])["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert sorted(statement["Action"]) == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert (
        statement["Condition"]["StringLike"]["aws:sourceArn"]
        == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*"
    )


def check_kms(stack: Stack, keys: list[dict[str, Any]]) -> None:
    kms = stack.client("kms")
    logs = (f"logs.{REGION}.amazonaws.com", "CloudWatchLogsForThisLogGroup")
    # Per calling module: alias suffix, description, the statement after the account's (principal,
    # sid) and the log group its encryption context is limited to.
    expected = {
        "lambda": ("lambda", f"Lambda {NAME}: environment variables and logs", *logs, f"/aws/lambda/{NAME}"),
        "api": ("api-logs", f"HTTP API {NAME}: access logs", *logs, f"/aws/apigateway/{NAME}"),
        "monitoring": (
            "alarms",
            f"{NAME}: alarm notifications (SNS)",
            "cloudwatch.amazonaws.com",
            "CloudWatchAlarmsPublishEncrypted",
            None,
        ),
    }
    # Every key comes from modules/kms-key, at the address the callers' moved blocks point to: the
    # log groups' through modules/log-group, the topic's directly.
    assert sorted(key["address"] for key in keys) == sorted(
        f"{key}.aws_kms_key.this" for key in KEYS.values()
    )
    aliases = {alias["AliasName"]: alias.get("TargetKeyId") for alias in kms.list_aliases()["Aliases"]}
    for key in keys:
        module = key["address"].split(".")[1]
        suffix, description, service_principal, sid, log_group = expected[module]
        key_id = key["values"]["key_id"]
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["Enabled"]
        assert meta["KeyManager"] == "CUSTOMER"
        assert meta["Description"] == description
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
        policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        actions = [action for statement in policy["Statement"] for action in statement["Action"]]
        assert not [action for action in actions if "*" in action]
        administration, service = policy["Statement"]
        assert administration["Sid"] == "AccountAdministration"
        assert administration["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        assert len(administration["Action"]) == 30
        assert "kms:PutKeyPolicy" in administration["Action"]
        assert (service["Sid"], service["Principal"]) == (sid, {"Service": service_principal})
        if log_group is None:
            assert "Condition" not in service
        else:
            log_group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}"
            assert service["Condition"] == {
                "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}
            }
        assert aliases[f"alias/{NAME}-{suffix}"] == key_id


def check_log_groups(stack: Stack) -> None:
    logs = stack.client("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    for name in (f"/aws/lambda/{NAME}", f"/aws/apigateway/{NAME}"):
        assert groups[name]["retentionInDays"] == 365
        assert groups[name]["kmsKeyId"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert groups[f"/aws/lambda/{NAME}"]["kmsKeyId"] != groups[f"/aws/apigateway/{NAME}"]["kmsKeyId"]


def _policy_actions(document: dict[str, Any]) -> list[str]:
    return [
        action
        for statement in document["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]


def check_iam(stack: Stack) -> None:
    iam = stack.client("iam")
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/{NAME}-workload-boundary"

    role = iam.get_role(RoleName=f"{NAME}-lambda")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary_arn
    execution = iam.get_role_policy(RoleName=f"{NAME}-lambda", PolicyName="execution")["PolicyDocument"]
    assert sorted(_policy_actions(execution)) == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "kms:Decrypt",
        ]
    )

    provider_arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    subjects = {
        "deploy": {
            "repo:example-org/lambda-api:ref:refs/heads/main",
            "repo:example-org/lambda-api:environment:dev",
            "repo:example-org/lambda-api:environment:prod",
        },
        "plan": {
            "repo:example-org/lambda-api:pull_request",
            "repo:example-org/lambda-api:ref:refs/heads/main",
        },
    }
    for kind, expected in subjects.items():
        ci_role = iam.get_role(RoleName=f"{NAME}-github-{kind}")["Role"]
        (statement,) = ci_role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Federated": provider_arn}
        conditions = statement["Condition"]["StringEquals"]
        assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        sub = conditions["token.actions.githubusercontent.com:sub"]
        assert set([sub] if isinstance(sub, str) else sub) == expected
        document = iam.get_role_policy(RoleName=f"{NAME}-github-{kind}", PolicyName=kind)["PolicyDocument"]
        assert not [action for action in _policy_actions(document) if "*" in action]

    version = iam.get_policy(PolicyArn=boundary_arn)["Policy"]["DefaultVersionId"]
    boundary = iam.get_policy_version(PolicyArn=boundary_arn, VersionId=version)["PolicyVersion"]["Document"]
    if isinstance(boundary, str):
        boundary = json.loads(boundary)
    assert not [action for action in _policy_actions(boundary) if "*" in action]


def check_lambda(stack: Stack) -> None:
    client = stack.client("lambda")
    function = client.get_function(FunctionName=NAME)
    config = function["Configuration"]
    assert config["PackageType"] == "Image"
    assert config["Architectures"] == ["x86_64"]
    assert (config["MemorySize"], config["Timeout"]) == (512, 10)
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert config["KMSKeyArn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{NAME}-lambda"
    assert config["ImageConfigResponse"]["ImageConfig"]["Command"] == ["app.handler.handler"]
    assert config["Environment"]["Variables"] == {
        "SERVICE_NAME": NAME,
        "METRICS_NAMESPACE": "LambdaApi",
        "APP_VERSION": "0.1.0",
        "LOG_LEVEL": "INFO",
        "MAX_BODY_BYTES": "262144",
    }
    assert function["Concurrency"] == {"ReservedConcurrentExecutions": 50}
    assert function["Code"]["ImageUri"] == f"{stack.outputs['repository_url']}:0.1.0"

    alias = client.get_alias(FunctionName=NAME, Name="live")
    assert alias["FunctionVersion"] == stack.outputs["function_version"] == "1"

    (permission,) = json.loads(client.get_policy(FunctionName=NAME, Qualifier="live")["Policy"])["Statement"]
    assert permission["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["Resource"] == stack.outputs["alias_arn"]
    source = permission["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{stack.outputs['api_id']}/*/*"


def check_api(stack: Stack) -> None:
    api_gw = stack.client("apigatewayv2")
    api_id = stack.outputs["api_id"]
    api = api_gw.get_api(ApiId=api_id)
    assert api["ProtocolType"] == "HTTP"
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]

    (integration,) = api_gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"].endswith(f":function:{NAME}:live/invocations")

    # One route: every request reaches the function, which owns the routes (a new one needs no edit).
    (route,) = api_gw.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert route.get("AuthorizationType", "NONE") == "NONE"
    assert stack.outputs["route_keys"] == ["$default"]

    (stage,) = api_gw.get_stages(ApiId=api_id)["Items"]
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/apigateway/{NAME}"
    assert json.loads(access["Format"])["requestId"] == "$context.requestId"


def check_sns(stack: Stack) -> None:
    sns = stack.client("sns")
    topic = stack.outputs["alarm_topic_arn"]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    statements = {s["Sid"]: s for s in json.loads(attributes["Policy"])["Statement"]}
    assert statements["CloudWatchAlarmsOfThisStack"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def check_subscription(stack: Stack) -> None:
    subscriptions = stack.client("sns").list_subscriptions_by_topic(TopicArn=stack.outputs["alarm_topic_arn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [("email", EMAIL)]


def check_alarms(stack: Stack) -> None:
    alarms = {
        alarm["AlarmName"].removeprefix(f"{NAME}-"): alarm
        for alarm in stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    }
    assert sorted(alarms) == sorted(
        ["api-5xx-rate", "api-latency-p99", "lambda-concurrency", "lambda-duration-p99", "lambda-errors",
         "lambda-throttles", "version-5xx-rate"]
    )  # fmt: skip
    topic = stack.outputs["alarm_topic_arn"]
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"
    # Per version: one Metrics Insights query whose series (contributors) are the versions.
    (errors,) = alarms["lambda-errors"]["Metrics"]
    query = 'SELECT SUM(Errors) FROM SCHEMA("AWS/Lambda", ExecutedVersion, FunctionName, Resource) WHERE'
    assert errors["Expression"] == (
        f"{query} FunctionName = '{NAME}' AND Resource = '{NAME}:live' GROUP BY ExecutedVersion"
    )
    assert (errors["Period"], errors["ReturnData"]) == (60, True)
    (share,) = alarms["version-5xx-rate"]["Metrics"]
    assert share["Expression"].startswith('SELECT AVG(Errors) FROM SCHEMA("LambdaApi", Service, Version)')
    assert alarms["version-5xx-rate"]["Threshold"] == 0.01
    assert {d["Name"]: d["Value"] for d in alarms["lambda-throttles"]["Dimensions"]} == {
        "FunctionName": NAME,
        "Resource": f"{NAME}:live",
    }
    assert alarms["lambda-duration-p99"]["ExtendedStatistic"] == "p99"
    assert alarms["lambda-duration-p99"]["Threshold"] == 8000
    assert alarms["api-latency-p99"]["MetricName"] == "Latency"
    assert {d["Name"] for d in alarms["api-latency-p99"]["Dimensions"]} == {"ApiId", "Stage"}
    rate = {query["Id"]: query for query in alarms["api-5xx-rate"]["Metrics"]}
    assert rate["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert rate["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert rate["rate"]["ReturnData"] is True


def check_dashboard(stack: Stack) -> None:
    body = json.loads(stack.client("cloudwatch").get_dashboard(DashboardName=NAME)["DashboardBody"])
    metrics = [m for widget in body["widgets"] for m in widget.get("properties", {}).get("metrics", [])]
    assert ["LambdaApi", "Requests", "Service", NAME] in metrics
    assert ["AWS/ApiGateway", "5xx", "ApiId", stack.outputs["api_id"], "Stage", "$default"] in metrics


# Which check covers which resource type; every type in the state must be listed here.
CHECKS = {
    "aws_ecr_repository": check_ecr,
    "aws_ecr_lifecycle_policy": check_ecr,
    "aws_ecr_repository_policy": check_ecr,
    "aws_kms_key": None,  # per key, below
    "aws_kms_alias": None,  # with the keys
    "aws_cloudwatch_log_group": check_log_groups,
    "aws_iam_role": check_iam,
    "aws_iam_role_policy": check_iam,
    "aws_iam_policy": check_iam,
    "aws_iam_openid_connect_provider": check_iam,
    "aws_lambda_function": check_lambda,
    "aws_lambda_alias": check_lambda,
    "aws_lambda_permission": check_lambda,
    "aws_apigatewayv2_api": check_api,
    "aws_apigatewayv2_integration": check_api,
    "aws_apigatewayv2_route": check_api,
    "aws_apigatewayv2_stage": check_api,
    "aws_sns_topic": check_sns,
    "aws_sns_topic_policy": check_sns,
    "aws_sns_topic_subscription": check_subscription,
    "aws_cloudwatch_metric_alarm": check_alarms,
    "aws_cloudwatch_dashboard": check_dashboard,
}


def test_resources_have_intended_settings(stack: Stack) -> None:
    resources = stack.resources()
    types = {resource["type"] for resource in resources}
    unchecked = types - set(CHECKS)
    assert not unchecked, f"resource types without an emulator check: {unchecked}"
    for check in dict.fromkeys(CHECKS[kind] for kind in sorted(types) if CHECKS[kind] is not None):
        check(stack)
    check_kms(stack, [resource for resource in resources if resource["type"] == "aws_kms_key"])


def test_adding_an_alarm_email_changes_only_that(stack: Stack) -> None:
    result = stack.with_alarm_email()
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"Resources: 1 added, \d+ changed, 0 destroyed", result.stdout), result.stdout[-3000:]
    check_subscription(stack)


def test_every_module_resource_type_was_created(stack: Stack) -> None:
    assert stack.with_alarm_email().returncode == 0
    created = {resource["type"] for resource in stack.resources()}
    declared = declared_resource_types()
    # The custom domain and JWT authorizer are off here; examples/custom-domain creates them.
    elsewhere = set(MOTO_GAPS) | OFF_BY_DEFAULT_TYPES
    assert declared - created == elsewhere, f"declared but not created: {declared - created - elsewhere}"
    assert created <= declared


def _pending_changes(stack: Stack, name: str) -> list[dict[str, Any]]:
    """The plan's resource changes, with the same variables as the last apply."""
    assert stack.with_alarm_email().returncode == 0
    return stack.pending_changes(name, variables=WITH_EMAIL)


def test_second_plan_shows_no_changes_but_the_named_moto_gap(stack: Stack) -> None:
    stack.assert_only_the_logging_config_gap(_pending_changes(stack, "idempotency.tfplan"))


def test_alias_moved_by_the_pipeline_is_left_alone(stack: Stack) -> None:
    client = stack.client("lambda")
    versions = sorted(
        int(v["Version"])
        for v in client.list_versions_by_function(FunctionName=NAME)["Versions"]
        if v["Version"].isdigit()
    )
    assert len(versions) >= 2, "the re-apply should have published another version"
    stable, canary = str(versions[-2]), str(versions[-1])
    # What `ops release --canary` does: keep the stable version, send a share to the new one, and
    # record the version it replaces (read back by `ops rollback`).
    client.update_alias(
        FunctionName=NAME,
        Name="live",
        FunctionVersion=stable,
        Description=f"ops: previous={stable}",
        RoutingConfig={"AdditionalVersionWeights": {canary: 0.1}},
    )

    stack.assert_only_the_logging_config_gap(_pending_changes(stack, "alias.tfplan"))
    alias = client.get_alias(FunctionName=NAME, Name="live")
    assert alias["FunctionVersion"] == stable
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {canary: 0.1}
    assert alias["Description"] == f"ops: previous={stable}"


# Where the keys, aliases and log groups are now, by calling module of examples/complete.
KEYS = {
    "lambda": "module.lambda.module.log_group.module.kms[0]",
    "api": "module.api.module.access_log_group.module.kms[0]",
    "monitoring": "module.monitoring.module.kms[0]",
}
LOG_GROUPS = {
    "lambda": ("module.lambda.module.log_group", "aws_cloudwatch_log_group.this"),
    "api": ("module.api.module.access_log_group", "aws_cloudwatch_log_group.access"),
}
# Each earlier layout: where each of today's resources was (state address then -> address now).
EARLIER_LAYOUTS = {
    # The modules declared the keys and aliases themselves.
    "before modules/kms-key": {
        f"module.{module}.aws_kms_{kind}.this[0]": f"{KEYS[module]}.aws_kms_{kind}.this"
        for module in KEYS
        for kind in ("key", "alias")
    },
    # The keys came from modules/kms-key, called by each module; the log groups were its own.
    "before modules/log-group": {
        **{f"module.{module}.module.kms[0]": KEYS[module] for module in LOG_GROUPS},
        **{
            f"module.{module}.{old}": f"{new}.aws_cloudwatch_log_group.this"
            for module, (new, old) in LOG_GROUPS.items()
        },
    },
}


def resource_moves(moves: dict[str, str]) -> dict[str, str]:
    """The moves per resource that a move of whole module instances stands for."""
    found = {}
    for before, now in moves.items():
        if now.endswith("]"):  # a module instance: its key and alias
            for kind in ("key", "alias"):
                found[f"{before}.aws_kms_{kind}.this"] = f"{now}.aws_kms_{kind}.this"
        else:
            found[before] = now
    return found


@pytest.mark.parametrize("layout", EARLIER_LAYOUTS)
def test_a_stack_of_an_earlier_layout_is_moved_not_replaced(stack: Stack, layout: str) -> None:
    """A state applied with an earlier layout of the modules plans as moves only: nothing replaced.

    The state of an apply with the earlier code holds the same resources, with the same attributes,
    at the earlier addresses: a copy of the working directory gets the shared stack's state with
    each resource moved back there (`terraform state mv`), then the current modules plan it. Only
    plans, so the shared stack is untouched.
    """
    assert stack.with_alarm_email().returncode == 0
    earlier = stack.workdir.parent / f"complete-{layout.replace(' ', '-').replace('/', '-')}"
    shutil.copytree(stack.workdir, earlier, symlinks=True, ignore=shutil.ignore_patterns("*.tfplan"))
    moves = EARLIER_LAYOUTS[layout]
    for before, now in moves.items():
        result = run([stack.terraform, "state", "mv", "-no-color", now, before], earlier, stack.env)
        assert result.returncode == 0, result.stdout
    flags = [f"-var={key}={value}" for key, value in WITH_EMAIL.items()]
    result = run(
        [stack.terraform, "plan", "-input=false", "-no-color", "-out=moved.tfplan", *flags],
        earlier,
        stack.env,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    shown = run([stack.terraform, "show", "-json", "moved.tfplan"], earlier, stack.env)
    changes = json.loads(shown.stdout).get("resource_changes", [])

    moved = {c["previous_address"]: c["address"] for c in changes if "previous_address" in c}
    assert moved == resource_moves(moves)
    assert [c["change"]["actions"] for c in changes if "previous_address" in c] == [["no-op"]] * len(moved)
    stack.assert_only_the_logging_config_gap(changes_of(shown))


def test_destroy_leaves_nothing(stack: Stack) -> None:
    keys = [r["values"]["key_id"] for r in stack.resources() if r["type"] == "aws_kms_key"]
    stack.destroy(variables=WITH_EMAIL)
    assert stack.resources() == []

    lam, ecr, iam = stack.client("lambda"), stack.client("ecr"), stack.client("iam")
    assert gone(lambda: lam.get_function(FunctionName=NAME), "ResourceNotFoundException")
    assert gone(lambda: ecr.describe_repositories(repositoryNames=[NAME]), "RepositoryNotFoundException")
    for role in (f"{NAME}-lambda", f"{NAME}-github-deploy", f"{NAME}-github-plan"):
        assert gone(lambda role=role: iam.get_role(RoleName=role), "NoSuchEntity")
    assert gone(
        lambda: iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/{NAME}-workload-boundary"),
        "NoSuchEntity",
    )
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert not [p for p in providers if p["Arn"].endswith("token.actions.githubusercontent.com")]
    assert not [a for a in stack.client("apigatewayv2").get_apis()["Items"] if a["Name"] == NAME]
    groups = stack.client("logs").describe_log_groups()["logGroups"]
    assert not [g for g in groups if g["logGroupName"].endswith(f"/{NAME}")]
    cloudwatch = stack.client("cloudwatch")
    assert cloudwatch.describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"] == []
    assert not [d for d in cloudwatch.list_dashboards()["DashboardEntries"] if d["DashboardName"] == NAME]
    assert not [
        t for t in stack.client("sns").list_topics()["Topics"] if t["TopicArn"].endswith(f":{NAME}-alarms")
    ]
    kms = stack.client("kms")
    assert len(keys) == 3
    # KMS never deletes at once: a destroyed key waits out its deletion window.
    assert {kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] for key in keys} == {"PendingDeletion"}
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/{NAME}-")]
