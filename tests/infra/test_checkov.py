"""Every Checkov skip in modules/ and examples/ is inline, with a reason, and expected; Checkov judges
the CI roles' policies as a plan renders them, and fails a deployer that asks for too much.

Checkov itself runs over the whole repository with the pipeline's flags in tests/ci/test_scan.py
(`make scan`), which also shows that a copy with encryption removed fails the gate.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ci import scan
from tests.infra.conftest import ROOT, copy_tree, run, run_all
from tools import emulator
from tools.terraform import LOCK_FILE

# Each skip and the reason it holds for this architecture; a new skip must be added here on purpose.
EXPECTED_SKIPS = {
    ("lambda", "CKV_AWS_272"),  # code signing: .zip only, not container images
    ("lambda", "CKV_AWS_116"),  # DLQ: asynchronous invocations only; API Gateway is synchronous
    ("lambda", "CKV_AWS_117"),  # VPC: the app reaches no private resources
    ("api-gateway", "CKV_AWS_309"),  # public API by default; authorization_type is an input
    # A key policy's Resource "*" is the key itself; Checkov reads it as an identity policy.
    ("kms-key", "CKV_AWS_109"),  # account root keeps key administration (PutKeyPolicy, CreateGrant)
    ("kms-key", "CKV_AWS_111"),  # write access: account root and the listed service principals only
    ("kms-key", "CKV_AWS_356"),  # "*" is the only valid resource in a key policy
}
SKIP = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def test_every_skip_is_inline_with_a_reason() -> None:
    found = set()
    for path in sorted((ROOT / "modules").rglob("*.tf")) + sorted((ROOT / "examples").rglob("*.tf")):
        for match in SKIP.finditer(path.read_text()):
            reason = (match.group("reason") or "").strip()
            assert len(reason) >= 40, f"{path}: {match.group('check')} skipped without a real reason"
            found.add((path.parent.name, match.group("check")))
    assert found == EXPECTED_SKIPS


# The CI roles' policies are assembled from the other modules' deployer outputs (modules/github-oidc/
# deploy.tf); Checkov's scan of the .tf files cannot resolve module outputs, so it would pass them
# unread. A plan renders them: Checkov's terraform_plan framework reads the `policy` JSON of
# aws_iam_role_policy and aws_iam_policy from planned_values (checkov/terraform/plan_parser.py,
# RESOURCE_TYPES_JSONIFY). Data sources read while planning (the aws_iam_policy_document behind
# them) are not in planned_values, so the data-source checks (CKV_AWS_109/110/111/356) do not run
# there; their resource twins below do (CKV_AWS_289/286/290/355).

# A prod-like github-oidc (live/_envcommon/github-oidc.hcl) with every optional statement on: state
# bucket and key, custom domain, images from another account. Every input known before apply (the
# OIDC provider given by ARN, no stack key to create), so a plan renders all three policies.
CI_ROLES_INPUTS = {
    "name": "lambda-api-prod",
    "github_repository": "example-org/lambda-api",
    "github_owner_id": 100000001,
    "github_repository_id": 200000002,
    "create_oidc_provider": False,
    "oidc_provider_arn": f"arn:aws:iam::{emulator.ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com",
    "deploy_branch": "main",
    "deploy_environments": ["prod"],
    "custom_domain_names": ["api.example.com"],
    "ecr_pull_repository_arns": ["arn:aws:ecr:us-east-1:111111111111:repository/lambda-api-dev"],
    "state_bucket_name": "lambda-api-state-123456789012-us-east-1",
    "state_key_prefix": "live/prod/",
    "state_kms_key_arn": f"arn:aws:kms:us-east-1:{emulator.ACCOUNT_ID}:key/00000000-0000-0000-0000-000000000000",
}
CI_ROLE_POLICIES = ("aws_iam_role_policy.deploy", "aws_iam_role_policy.plan", "aws_iam_policy.boundary[0]")
# Checkov's IAM checks of a policy resource: admin, "*" action, privilege escalation, credentials
# exposure, data exfiltration, permissions management, write access, "*" resource for restrictable
# actions, full IAM access (graph).
IAM_POLICY_CHECKS = {
    "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290",
    "CKV_AWS_355", "CKV2_AWS_40",
}  # fmt: skip
# The mutant: the lambda deployer asks for all of IAM for the roles it creates (their boundary), and
# for the deploy role an escalation path (attach any policy to any user) with writes on any object.
# (iam:CreatePolicyVersion would not do: the deploy policy denies it, on the CI roles only, and
# cloudsplaining, behind Checkov's CKV_AWS_286/290/355, drops a denied action whatever its resources.)
MUTATIONS = {
    "    boundary = [\n": '    boundary = [\n      { sid = "AllIam", actions = ["iam:*"], resources = ["*"] },\n',
    "    deploy = concat([\n": (
        '    deploy = concat([\n      { sid = "AnyUserAnyObject", actions = ["iam:AttachUserPolicy", "s3:PutObject"], '
        'resources = ["*"] },\n'
    ),
}
MUTANT_FAILURES = {
    ("aws_iam_policy.boundary[0]", check)
    for check in ("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_289", "CKV_AWS_355", "CKV2_AWS_40")
} | {
    ("aws_iam_role_policy.deploy", check)
    for check in ("CKV_AWS_286", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355")
}


@dataclass(frozen=True)
class PlanScan:
    """Checkov's verdicts on one plan: (resource address, check id) pairs by outcome."""

    passed: set[tuple[str, str]]
    failed: set[tuple[str, str]]
    skipped: set[tuple[str, str]]


def checkov_bin() -> str:
    # `make test` puts .venv-checkov/bin on PATH; a direct pytest run finds it in the checkout.
    found = shutil.which(
        "checkov", path=os.pathsep.join([os.environ.get("PATH", ""), str(ROOT / ".venv-checkov/bin")])
    )
    if found is None:
        pytest.fail("checkov not found: make .venv-checkov/.installed")
    return found


@pytest.fixture(scope="module")
def plan_scans(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str], moto_endpoint: str, terraform_bin: str
) -> dict[str, PlanScan]:
    """modules/github-oidc planned against the emulator, as it is and as the mutant, then both
    plans scanned by one Checkov run (its start-up is most of its time)."""
    base = tmp_path_factory.mktemp("ci-roles")
    env = emulator.aws_env(moto_endpoint, tf_env)
    clean = copy_tree(base / "clean")
    config = Path("modules/github-oidc")
    init = [terraform_bin, "init", "-backend=false", "-input=false", "-no-color"]
    result = run(
        init + (["-lockfile=readonly"] if (clean / config / LOCK_FILE).exists() else []), clean / config, env
    )
    assert result.returncode == 0, result.stdout
    mutant = base / "mutant"
    shutil.copytree(clean, mutant, symlinks=True)
    deployer = mutant / "modules/lambda/modules/deployer/main.tf"
    text = deployer.read_text()
    for old, new in MUTATIONS.items():
        assert text.count(old) == 1, f"the mutant no longer applies: {old!r}"
        text = text.replace(old, new)
    deployer.write_text(text)

    trees = {"clean": clean, "mutant": mutant}
    for tree in trees.values():
        (tree / config / "ci.auto.tfvars.json").write_text(json.dumps(CI_ROLES_INPUTS))
    plan = [terraform_bin, "plan", "-input=false", "-no-color", "-out=ci.tfplan"]
    for name, result in run_all({name: (plan, tree / config) for name, tree in trees.items()}, env).items():
        assert result.returncode == 0, f"{name}: {result.stdout[-5000:]}"
    show = [terraform_bin, "show", "-json", "ci.tfplan"]
    for name, result in run_all({name: (show, tree / config) for name, tree in trees.items()}, env).items():
        assert result.returncode == 0, f"{name}: {result.stdout[-5000:]}"
        (base / f"{name}.json").write_text(result.stdout)

    # The pipeline's flags (ci/scan.py) but --quiet, which would leave out the passed checks: they
    # show which checks read the policies.
    flags = [flag for flag in scan.CHECKOV_FLAGS if flag != "--quiet"]
    files = [arg for name in trees for arg in ("--file", str(base / f"{name}.json"))]
    command = [checkov_bin(), *files, "--framework", "terraform_plan", *flags, "--output", "json"]
    result = run([*command, "--output-file-path", str(base / "checkov")], base, env)
    assert result.returncode == 0, result.stdout[-5000:]
    report = json.loads((base / "checkov" / "results_json.json").read_text())
    (results,) = [r["results"] for r in (report if isinstance(report, list) else [report])]
    verdicts: dict[str, dict[str, set[tuple[str, str]]]] = {name: {} for name in trees}
    for outcome in ("passed", "failed", "skipped"):
        for check in results.get(f"{outcome}_checks", []):
            name = Path(check["file_path"]).stem
            verdicts[name].setdefault(outcome, set()).add((check["resource"], check["check_id"]))
    return {
        name: PlanScan(**{o: v.get(o, set()) for o in ("passed", "failed", "skipped")})
        for name, v in verdicts.items()
    }


@pytest.mark.emulator
@pytest.mark.terraform
def test_checkov_judges_the_rendered_ci_role_policies_and_finds_nothing(
    plan_scans: dict[str, PlanScan],
) -> None:
    clean = plan_scans["clean"]
    assert clean.failed == set(), sorted(clean.failed)
    # No skips in the plan: an inline skip in github-oidc would show here (and need a reason above).
    assert clean.skipped == set()
    # Every IAM check read every policy: a policy left unknown in the plan, or not parsed, would pass
    # nothing here.
    assert {(resource, check) for resource in CI_ROLE_POLICIES for check in IAM_POLICY_CHECKS} <= clean.passed


@pytest.mark.emulator
@pytest.mark.terraform
def test_checkov_fails_a_deployer_that_asks_for_iam_on_everything(plan_scans: dict[str, PlanScan]) -> None:
    mutant = plan_scans["mutant"]
    assert mutant.failed >= MUTANT_FAILURES, sorted(mutant.failed)
    # Nothing else broke: the plan role never took the mutant's statements.
    assert {resource for resource, _ in mutant.failed} == {
        "aws_iam_policy.boundary[0]",
        "aws_iam_role_policy.deploy",
    }
