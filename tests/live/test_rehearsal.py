"""`make rehearse` (tools/rehearse): the documented deploy path on one moto server holding dev's and
prod's accounts, each step by the principal that does it, every call judged as IAM would judge it.

One run is shared by the tests of this file (it takes a few minutes). The tests read its result and
the emulator it leaves; the mutants at the end then edit the tree, apply the edited units again and
judge every recorded call again, each expected to be refused with the message a user would read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ci.stack_outputs import WANTED
from tests.live.conftest import ROOT
from tools.rehearse import run as rehearse
from tools.rehearse.run import Rehearsal, Result

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

DEV, PROD = "111111111111", "222222222222"
DEV_REPOSITORY = f"arn:aws:ecr:us-east-1:{DEV}:repository/lambda-api-dev"


@pytest.fixture(scope="module")
def rehearsal(
    tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Rehearsal, Result, list[str]]]:
    workdir = tmp_path_factory.mktemp("rehearsal")
    printed: list[str] = []
    walk = Rehearsal(workdir, tf_env, out=printed.append)
    with walk.emulator():
        result = walk.walk_all()
        yield walk, result, printed


def client(walk: Rehearsal, service: str, env: str) -> Any:
    return walk.admin_client(service, walk.accounts[env])


def test_nothing_is_denied(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    walk, result, printed = rehearsal
    assert result.errors == []
    assert result.denied == []
    assert walk.accounts == {"dev": DEV, "prod": PROD}
    table = result.table()
    assert table.splitlines()[-1].split()[-1] == "0"
    # Progress was shown per step, and every step of the path is in the table with who did it.
    assert len([line for line in printed if line.startswith("[")]) == len(result.steps)
    actors = {step.name: step.actor for step in result.steps}
    assert actors["dev: apply github-oidc"] == "dev administrator"
    assert actors["prod: apply github-oidc"] == "prod administrator"
    assert actors["build: push image 1"] == "dev build role"
    assert actors["prod: run --all apply (pinned image 1)"] == "prod deploy role"
    assert actors["prod: pull request plan, nothing pinned"] == "prod plan role"
    assert actors["dev: drift check (run --all plan)"] == "dev plan role"
    assert actors["dev: ops release, ops rollback, notify"] == "dev deploy role"
    judged = {step.name: step.calls for step in result.steps}
    assert judged["prod: run --all apply (pinned image 1)"] > 100  # Terraform's calls were seen
    assert judged["prod: ops release, ops rollback, notify"] >= 10  # and ops's (boto3)
    # `ops release --smoke` sent its checks to the new version itself, each Invoke judged.
    for env in ("dev", "prod"):
        (release,) = [
            step for step in result.steps if step.name == f"{env}: ops release, ops rollback, notify"
        ]
        invoked = {
            call.params.get("Qualifier")
            for _, made in release.judged
            for call in made
            if call.name == "lambda:Invoke"
        }
        assert invoked == {str(walk.outputs[(env, "lambda")]["version"])}


def test_few_calls_are_left_unjudged_and_each_says_why(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    _, result, _ = rehearsal
    assert result.unmapped == {}
    assert result.tolerated == {"iam:GetUser": rehearse.capture.TOLERATED["iam:GetUser"]}


def test_both_subject_formats_are_trusted_and_nothing_else(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    _, result, _ = rehearsal
    assumed = [step for step in result.steps if step.actor == "GitHub OIDC"]
    assert len(assumed) == 8  # 3 deploy sessions, 5 plan sessions, each with both token formats
    assert all(step.calls == 2 and not step.denied for step in assumed)
    refused = "\n".join(result.probes)
    for role in ("dev deploy role", "prod deploy role", "dev build role"):
        assert f"{role} refuses a token from another repository" in refused
        assert f"{role} refuses a token from a branch other than main" in refused
    assert "prod plan role refuses a token from another repository" in refused


def test_the_closed_escalation_paths_stay_closed(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    _, result, _ = rehearsal
    refused = "\n".join(result.probes)
    for env, account in (("dev", DEV), ("prod", PROD)):
        assert (
            f"{env} deploy role may not iam:UpdateAssumeRolePolicy on "
            f"arn:aws:iam::{account}:role/lambda-api-{env}-lambda: no statement allows it (identity policy)"
        ) in refused
        assert f"{env} function role may not kms:Decrypt on arn:aws:kms:us-east-1:{account}:key/" in refused


def test_an_empty_pin_plans_cleanly(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    """prod's pull-request plan before anything is pinned there: lambda left out, the rest plans."""
    walk, _, _ = rehearsal
    assert walk.first_plans == {"github-oidc": 0, "ecr": 2, "api-gateway": 2, "monitoring": 2}


def test_state_is_one_object_per_unit_and_no_lock_is_left(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    walk, _, _ = rehearsal
    for env in ("dev", "prod"):
        bucket = walk.state_bucket(env)
        listed = client(walk, "s3", env).list_objects_v2(Bucket=bucket).get("Contents", [])
        assert sorted(item["Key"] for item in listed) == sorted(
            f"live/{env}/{unit}/terraform.tfstate" for unit in ("github-oidc", *rehearse.UNITS)
        )


def test_each_function_runs_devs_image_inside_the_boundary(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    walk, _, _ = rehearsal
    second = walk.outputs[("dev", "lambda")]
    for env, memory in (("dev", 512), ("prod", 1024)):
        function = client(walk, "lambda", env).get_function(FunctionName=f"lambda-api-{env}")
        configuration = function["Configuration"]
        image = function["Code"]["ImageUri"]
        assert image.startswith(
            f"{DEV}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:"
        )  # dev's registry
        assert configuration["Environment"]["Variables"]["APP_VERSION"] == "2222222"
        assert configuration["FunctionArn"].split(":")[4] == walk.accounts[env]
        assert configuration["MemorySize"] == memory
        assert configuration["KMSKeyArn"] == walk.outputs[(env, "github-oidc")]["stack_kms_key_arn"]
        role = configuration["Role"].split("/")[-1]
        boundary = client(walk, "iam", env).get_role(RoleName=role)["Role"]["PermissionsBoundary"]
        assert (
            boundary["PermissionsBoundaryArn"]
            == walk.outputs[(env, "github-oidc")]["permissions_boundary_arn"]
        )
        assert (
            function["Tags"].items()
            >= {
                "project": "lambda-api",
                "environment": env,
                "managed-by": "terragrunt",
                "repository": "example-org/lambda-api",
            }.items()
        )
    assert second["function_name"] == "lambda-api-dev"
    # prod's pin is dev's first image, by digest, as `make promote` wrote it.
    prod_pin = (walk.tree / "live/prod/env.hcl").read_text()
    assert f'image_uri   = "{DEV}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:' in prod_pin


def test_released_images_are_tagged_for_the_lifecycle_policy(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    walk, _, _ = rehearsal
    images = client(walk, "ecr", "dev").describe_images(repositoryName="lambda-api-dev")["imageDetails"]
    assert sorted(sorted(image["imageTags"]) for image in images) == [
        ["1111111", "release-1111111"],
        ["2222222", "release-2222222"],
    ]


def test_the_api_monitoring_and_registry_carry_each_environments_values(
    rehearsal: tuple[Rehearsal, Result, list[str]],
) -> None:
    walk, _, _ = rehearsal
    for env, origins, email in (
        ("dev", ["*"], "dev-alerts@example.com"),
        ("prod", ["https://app.example.com"], "oncall@example.com"),
    ):
        api = client(walk, "apigatewayv2", env).get_api(ApiId=walk.outputs[(env, "api-gateway")]["api_id"])
        assert api["CorsConfiguration"]["AllowOrigins"] == origins
        alarms = client(walk, "cloudwatch", env).describe_alarms(AlarmNamePrefix=f"lambda-api-{env}-")
        names = sorted(alarm["AlarmName"] for alarm in alarms["MetricAlarms"])
        assert names == walk.outputs[(env, "monitoring")]["alarm_names"]
        topic = walk.outputs[(env, "monitoring")]["sns_topic_arn"]
        assert topic.split(":")[4] == walk.accounts[env]  # each environment notifies through its own topic
        subscriptions = client(walk, "sns", env).list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [item["Endpoint"] for item in subscriptions] == [email]
        trust = json.dumps(
            client(walk, "iam", env).get_role(RoleName=f"lambda-api-{env}-github-deploy")["Role"][
                "AssumeRolePolicyDocument"
            ]
        )
        assert f"repo:example-org/lambda-api:environment:{env}" in trust
        assert f"repo:example-org-100000001/lambda-api-200000002:environment:{env}" in trust
        other = "prod" if env == "dev" else "dev"
        assert f"environment:{other}" not in trust
    policy = client(walk, "ecr", "dev").get_repository_policy(repositoryName="lambda-api-dev")["policyText"]
    assert f"arn:aws:iam::{PROD}:root" in policy  # prod may pull dev's images


def test_the_pipeline_finds_each_output_it_reads_once(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    """ci/stack_outputs.py merges the units' outputs and needs each of these in exactly one unit."""
    walk, _, _ = rehearsal
    for env in ("dev", "prod"):
        for wanted in WANTED.values():
            owners = [
                unit for (where, unit), outputs in walk.outputs.items() if where == env and wanted in outputs
            ]
            assert len(owners) == 1, f"{env}: output {wanted} comes from {owners}"


def test_the_provider_refuses_another_account(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    """prod's generated provider with dev's credentials: refused before anything is read."""
    walk, _, _ = rehearsal
    module = walk.workdir / "cache" / "prod" / "ecr" / "ecr"
    copy = walk.workdir / "wrong-account"
    shutil.copytree(module, copy, ignore=shutil.ignore_patterns("backend.tf", ".terraform*"))
    env = {**walk.terraform_env, **rehearse.emulator.aws_env(walk.endpoint), **walk.admins["dev"].credentials}
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    plan = subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-var", "name=lambda-api-prod"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 1
    assert f"AWS account ID not allowed: {DEV}" in plan.stderr


def test_make_rehearse_runs_this(tmp_path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "\nrehearse: " in makefile
    assert "-m tools.rehearse" in makefile.split("\nrehearse: ", 1)[1].split("\n\n", 1)[0]


def test_the_service_rules_refuse_what_lambda_would(rehearsal: tuple[Rehearsal, Result, list[str]]) -> None:
    """The image and concurrency rules on calls the path does not make: an update to an image that was
    never pushed, and a reservation leaving less than 100 of the account's concurrency unreserved."""
    walk, _, _ = rehearsal
    step = rehearse.Step(0, "probe", "")
    prod = walk.deployers["prod"].principal
    missing = f"{DEV}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:" + "0" * 64
    walk.service_rules(
        step,
        prod,
        rehearse.Call(
            "lambda",
            "UpdateFunctionCode",
            {"ImageUri": missing},
            "PUT",
            "/2015-03-31/functions/lambda-api-prod/code",
        ),
    )
    walk.service_rules(
        step,
        prod,
        rehearse.Call(
            "lambda",
            "PutFunctionConcurrency",
            {"ReservedConcurrentExecutions": 901},
            "PUT",
            "/2017-10-31/functions/lambda-api-prod/concurrency",
        ),
    )
    assert step.denied == [
        f"prod deploy role may not UpdateFunctionCode lambda-api-prod with {missing}: the image is not in "
        f"{DEV_REPOSITORY} (Lambda checks it exists)",
        "prod deploy role may not reserve 901 for lambda-api-prod: 99 of the account's 1000 would stay "
        "unreserved, Lambda keeps 100",
    ]


# --- mutants ------------------------------------------------------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: {old!r} must occur once, or the mutant tests nothing"
    path.write_text(text.replace(old, new))


def forget_repository_ids(project: Path) -> None:
    """project.hcl as it was before: trust policies with the `repo:OWNER/REPO` subjects only."""
    edit(project, "github_owner_id      = 100000001", "github_owner_id      = null")
    edit(project, "github_repository_id = 200000002", "github_repository_id = null")


MUTANTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "prod-reads-no-dev-repository": (
        lambda tree: edit(
            tree / "live/prod/env.hcl",
            f'ecr_pull_repository_arns = ["{DEV_REPOSITORY}"]',
            "ecr_pull_repository_arns = []",
        ),
        f"prod deploy role may not ecr:BatchGetImage on {DEV_REPOSITORY}: no statement allows it (identity policy)",
    ),
    "no-publish-version": (
        lambda tree: edit(tree / "modules/lambda/modules/deployer/main.tf", '"lambda:PublishVersion", ', ""),
        f"dev deploy role may not lambda:PublishVersion on arn:aws:lambda:us-east-1:{DEV}:function:lambda-api-dev: "
        "no statement allows it (identity policy)",
    ),
    "no-smoke-on-the-new-version": (
        lambda tree: edit(
            tree / "modules/lambda/modules/deployer/main.tf",
            'actions   = ["lambda:InvokeFunction"]',
            'actions   = ["lambda:GetFunction"]',
        ),
        f"dev deploy role may not lambda:InvokeFunction on arn:aws:lambda:us-east-1:{DEV}:function:lambda-api-dev:",
    ),
    "dev-repository-policy-without-prod": (
        lambda tree: edit(
            tree / "live/dev/env.hcl", f'ecr_pull_account_ids = ["{PROD}"]', "ecr_pull_account_ids = []"
        ),
        f"the Lambda service may not ecr:BatchGetImage on {DEV_REPOSITORY}: no statement allows it (repository policy)",
    ),
    "key-policy-locks-the-caller-out": (
        lambda tree: edit(tree / "modules/kms-key/main.tf", '"kms:PutKeyPolicy", ', ""),
        f"dev administrator may not kms:PutKeyPolicy on arn:aws:kms:us-east-1:{DEV}:key/",
    ),
    "trust-without-the-immutable-subject": (
        lambda tree: forget_repository_ids(tree / "live/project.hcl"),
        "a GitHub token in the immutable format (repo:example-org-100000001/lambda-api-200000002:environment:prod) "
        f"may not sts:AssumeRoleWithWebIdentity on arn:aws:iam::{PROD}:role/lambda-api-prod-github-deploy: "
        "no statement allows it (trust policy)",
    ),
}


@pytest.fixture(scope="module")
def mutated(rehearsal: tuple[Rehearsal, Result, list[str]]) -> list[str]:
    """The mutants at once (each in its own file or value, each refused by its own call): the
    edited units applied again, every recorded call judged again. One pass keeps the cost of the
    suite down; every expected refusal is checked separately below."""
    walk, _, _ = rehearsal

    def mutate(tree: Path) -> None:
        for change, _ in MUTANTS.values():
            change(tree)

    return walk.mutant(mutate, [("dev", "github-oidc"), ("prod", "github-oidc"), ("dev", "ecr")])


@pytest.mark.parametrize("mutant", MUTANTS)
def test_each_mutant_is_refused_by_its_call(mutated: list[str], mutant: str) -> None:
    expected = MUTANTS[mutant][1]
    assert any(expected in line for line in mutated), "\n".join([expected, "not in:", *mutated[:40]])
