"""docs/add-a-resource.md, followed on a copy of the repository: a queue added to modules/lambda, with
its statements in the same module's deployer, and the CI roles follow with no edit to github-oidc.

The copy's github-oidc and lambda modules are applied to one moto server, side by side: github-oidc
twice (the copy as the guide leaves it, and the copy without the guide's deployer edits), lambda
once with Terraform's debug log on, which lists every AWS call the apply made. The SQS calls are then
judged by tools/rehearse's IAM evaluator against the roles each github-oidc built.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.docs.guides import ROOT, edits, follow, unanchored
from tests.infra.test_readme import undocumented_statements
from tools import emulator
from tools.rehearse import calls as capture
from tools.rehearse import iam
from tools.rehearse.run import as_document, policy_document

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

GUIDE = ROOT / "docs" / "add-a-resource.md"
DEPLOYER = "modules/lambda/modules/deployer/main.tf"
ACCOUNT, REGION = emulator.ACCOUNT_ID, emulator.REGION
PREFIX = "jobs-api"  # the stack's name prefix: the function, its role and queue, the CI roles' scope
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-jobs"
SESSION = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")  # the emulator's keys
PROVIDER = """\
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100, < 7.0" }
  }
}

provider "aws" {}
"""


def ci_roles(name: str) -> str:
    """github-oidc as an administrator applies it, the stack's prefix shared by both variants."""
    return PROVIDER + textwrap.dedent(f"""
        module "ci" {{
          source               = "../../modules/github-oidc"
          name                 = "{name}"
          resource_prefix      = "{PREFIX}"
          github_repository    = "example-org/{PREFIX}"
          create_oidc_provider = false
          oidc_provider_arn    = "arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        }}

        output "ci" {{
          value = module.ci
        }}
    """)


def function() -> str:
    return PROVIDER + textwrap.dedent(f"""
        module "function" {{
          source    = "../../modules/lambda"
          name      = "{PREFIX}"
          image_uri = "{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{PREFIX}@sha256:{"0" * 64}"
        }}

        output "function" {{
          value = module.function
        }}
    """)


@dataclass
class Roles:
    """The CI roles and the permissions boundary one github-oidc apply made."""

    deploy: iam.Principal
    plan: iam.Principal
    boundary: dict[str, Any]


@dataclass
class Deployed:
    fork: Path
    calls: list[capture.Call]  # what the lambda apply called, SQS only
    roles: dict[str, Roles]  # "fork" (the guide followed), "without" (its deployer edits skipped)
    execution: tuple[dict[str, Any], ...]  # the function role's policies
    environment: dict[str, str]


def terraform(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args, "-input=false", "-no-color"],
        cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def init_and_apply(root: Path, env: dict[str, str]) -> str:
    for args in (["init"], ["apply", "-auto-approve"]):
        result = terraform(root, env, *args)
        assert result.returncode == 0, (
            f"{root.name}: terraform {args[0]}\n{result.stdout[-3000:]}{result.stderr}"
        )
    return terraform(root, env, "output", "-json").stdout


def role(client: Any, name: str) -> iam.Principal:
    documents = tuple(
        as_document(client.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for policy in client.list_role_policies(RoleName=name)["PolicyNames"]
    )
    return iam.Principal(name, f"arn:aws:iam::{ACCOUNT}:role/{name}", ACCOUNT, identity=documents)


@pytest.fixture(scope="module")
def deployed(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    work = tmp_path_factory.mktemp("add-a-resource")
    fork = follow(GUIDE, work / "fork")
    without = follow(GUIDE, work / "without", skip=DEPLOYER)
    # Each root inside its copy, the modules by relative path (Terraform keeps a local module's
    # `../` sources inside the tree it was called from).
    roots = {
        "fork": (fork / "roots" / "ci", ci_roles("fork")),
        "without": (without / "roots" / "ci", ci_roles("without")),
        "function": (fork / "roots" / "function", function()),
    }
    process, endpoint = emulator.start(log=work / "moto.log")
    try:
        env = emulator.aws_env(endpoint, tf_env)
        log = work / "function.log"

        def deploy(name: str) -> str:
            root, text = roots[name]
            root.mkdir(parents=True)
            (root / "main.tf").write_text(text)
            # The debug log lists every request the provider sent (tools/rehearse/calls.py reads it).
            logged = {"TF_LOG": "DEBUG", "TF_LOG_PATH": str(log)} if name == "function" else {}
            return init_and_apply(root, {**env, **logged})

        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(deploy, roots))
        session = boto3.Session(**{k.lower(): v for k, v in env.items() if k in SESSION}, region_name=REGION)
        admin = session.client("iam", endpoint_url=endpoint)
        roles = {
            name: Roles(
                role(admin, f"{name}-github-deploy"),
                role(admin, f"{name}-github-plan"),
                policy_document(admin, f"arn:aws:iam::{ACCOUNT}:policy/{name}-workload-boundary"),
            )
            for name in ("fork", "without")
        }
        configuration = session.client("lambda", endpoint_url=endpoint).get_function_configuration(
            FunctionName=PREFIX
        )
        yield Deployed(
            fork,
            [call for call in capture.terraform_calls(log.read_text()) if call.service == "sqs"],
            roles,
            role(admin, f"{PREFIX}-lambda").identity,
            configuration["Environment"]["Variables"],
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def refusals(principal: iam.Principal, made: list[capture.Call]) -> list[str]:
    """What IAM would refuse of these calls, made by this principal, one line each."""
    where = capture.Where(ACCOUNT, REGION, key_arn=str, role_boundary=lambda _: None)
    return [
        iam.message(principal, request, decision)
        for call in made
        for request in capture.requests(call, where)
        if not (decision := iam.evaluate(principal, request)).allowed
    ]


def function_role(deployed: Deployed, roles: Roles) -> iam.Principal:
    """The execution role as the deploy role must create it: with the boundary github-oidc made."""
    name = f"{PREFIX}-lambda"
    return iam.Principal(
        name,
        f"arn:aws:iam::{ACCOUNT}:role/{name}",
        ACCOUNT,
        identity=deployed.execution,
        boundary=roles.boundary,
    )


SEND = iam.Request("sqs:SendMessage", QUEUE, ACCOUNT)


def test_the_guide_edits_one_module_and_every_edit_lands() -> None:
    found = edits(GUIDE.read_text())
    assert {edit.file for edit in found} == {
        "modules/lambda/main.tf",
        DEPLOYER,
        "modules/lambda/README.md",
    }
    assert unanchored(found) == []


def test_the_code_it_adds_is_formatted_and_documented(deployed: Deployed) -> None:
    module = deployed.fork / "modules" / "lambda"
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", "-no-color"],
        cwd=module, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert undocumented_statements(module) == []


def test_github_oidc_is_not_edited(deployed: Deployed) -> None:
    for source in (ROOT / "modules" / "github-oidc").rglob("*.tf"):
        assert (deployed.fork / source.relative_to(ROOT)).read_bytes() == source.read_bytes()


def test_the_deploy_role_may_create_the_queue(deployed: Deployed) -> None:
    made = {call.operation for call in deployed.calls}
    assert {"CreateQueue", "GetQueueAttributes", "ListQueueTags"} <= made, made
    assert refusals(deployed.roles["fork"].deploy, deployed.calls) == []


def test_the_plan_role_may_read_it(deployed: Deployed) -> None:
    reads = [call for call in deployed.calls if call.operation.startswith(("Get", "List"))]
    assert reads
    assert refusals(deployed.roles["fork"].plan, reads) == []


def test_the_function_may_send_to_it_within_the_boundary(deployed: Deployed) -> None:
    assert deployed.environment["JOBS_QUEUE_URL"].endswith(f"/{ACCOUNT}/{PREFIX}-jobs")
    assert iam.evaluate(function_role(deployed, deployed.roles["fork"]), SEND).allowed


def test_without_the_deployer_edits_each_is_refused(deployed: Deployed) -> None:
    """The same calls, judged against the roles github-oidc builds from a copy that skips step 2."""
    roles = deployed.roles["without"]
    deploy = refusals(roles.deploy, deployed.calls)
    assert (
        f"without-github-deploy may not sqs:CreateQueue on {QUEUE}: no statement allows it (identity policy)"
        in deploy
    )
    assert any(
        line.startswith("without-github-plan may not sqs:GetQueueAttributes")
        for line in refusals(roles.plan, deployed.calls)
    )
    decision = iam.evaluate(function_role(deployed, roles), SEND)
    assert decision == iam.Decision(False, "no statement allows it (permissions boundary)")
