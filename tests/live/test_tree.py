"""The live tree's contract holds (tests/live/checks.py), and each check fails on a copy broken for it.

Terragrunt is not installed here, so the tree is evaluated by shared/terragrunt.py (Terragrunt's
include, merge and function semantics, the expressions themselves by Terraform). What Terragrunt does
beyond that (running units, bootstrapping the state bucket) is rehearsed against the emulator in
test_rehearsal.py with plain Terraform.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared import terragrunt as tg
from tests.live.checks import CHECKS, Tree
from tests.live.conftest import ROOT, copy_tree

pytestmark = pytest.mark.terraform

DIGEST = "sha256:" + "ab" * 32
IMAGE = f"111111111111.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@{DIGEST}"


@pytest.mark.parametrize("check", CHECKS)
def test_live_tree_keeps_its_contract(tree: Tree, check: str) -> None:
    assert list(CHECKS[check](tree)) == []


def test_every_unit_is_checked(tree: Tree) -> None:
    """The checks above cover the units the issue names, in both environments (not an empty tree)."""
    names = {(path.parent.name, path.name) for path in tree.units}
    units = {"ecr", "github-oidc", "lambda", "api-gateway", "monitoring"}
    assert names == {(env, unit) for env in ("dev", "prod") for unit in units}
    wiring = {
        path.name: {
            label: Path(block["config_path"]).name for label, block in unit.value["dependencies"].items()
        }
        for path, unit in tree.units.items()
        if path.parent.name == "dev"
    }
    assert wiring == {
        "ecr": {},
        "github-oidc": {},
        "lambda": {"github_oidc": "github-oidc"},
        "api-gateway": {"lambda": "lambda", "github_oidc": "github-oidc"},
        "monitoring": {"lambda": "lambda", "api_gateway": "api-gateway", "github_oidc": "github-oidc"},
    }
    ordering = tree.units[ROOT / "live/dev/lambda"].value["dependency_paths"]
    assert [Path(path).resolve() for path in ordering] == [ROOT / "live/dev/ecr"]


# (file, text, replacement or None to delete the file/directory, check, what it must report)
MUTANTS = [
    pytest.param(
        "live/_envcommon/lambda.hcl",
        "  memory_size          =",
        "  memroy_size          =",
        "inputs_match_variables",
        "live/dev/lambda: input 'memroy_size' is not a variable of modules/lambda",
        id="misspelt-input",
    ),
    pytest.param(
        "live/_envcommon/lambda.hcl",
        "  image_uri = local.image_uri\n",
        "",
        "inputs_match_variables",
        "live/prod/lambda: required variable 'image_uri' of modules/lambda is not set",
        id="required-input-missing",
    ),
    pytest.param(
        "live/_envcommon/api-gateway.hcl",
        "dependency.lambda.outputs.alias_invoke_arn",
        "dependency.lambda.outputs.alias_invoke_url",
        "dependency_outputs",
        "live/dev/api-gateway: dependency.lambda.outputs.alias_invoke_url: not an output of modules/lambda",
        id="missing-output",
    ),
    pytest.param(
        "live/_envcommon/monitoring.hcl",
        '    log_group_name = "/aws/lambda/mock-function"\n',
        "",
        "dependency_outputs",
        "live/dev/monitoring: dependency.lambda.outputs.log_group_name: missing from its mock_outputs",
        id="output-not-mocked",
    ),
    pytest.param(
        "live/_envcommon/monitoring.hcl",
        'api_id                = "mockapi"',
        'api_url               = "mockapi"',
        "dependency_outputs",
        "live/dev/monitoring: mock output api_gateway.api_url is not an output of the module",
        id="stale-mock",
    ),
    pytest.param(
        "live/_envcommon/lambda.hcl",
        "modules//lambda",
        "modules//lambdas",
        "sources_resolve",
        "modules//lambdas' is no module",
        id="unknown-module-path",
    ),
    pytest.param(
        "live/_envcommon/api-gateway.hcl",
        '["validate", "plan"]\n  mock_outputs_merge_strategy_with_state  = "shallow"\n}\n\n# The stack',
        '["validate", "plan", "apply"]\n  mock_outputs_merge_strategy_with_state  = "shallow"\n}\n\n# The stack',
        "mocks_restricted",
        "live/dev/api-gateway: dependency 'lambda' allows mocks for ['validate', 'plan', 'apply']",
        id="mocks-for-apply",
    ),
    pytest.param(
        "live/_envcommon/lambda.hcl",
        'actions              = ["plan"]',
        'actions              = ["plan", "apply"]',
        "ci_roles",
        "live/dev/lambda: may be excluded from plans only while its pin is empty",
        id="lambda-excluded-from-apply",
    ),
    pytest.param(
        "live/_envcommon/lambda.hcl",
        'mock_outputs_merge_strategy_with_state  = "shallow"',
        'mock_outputs_merge_strategy_with_state  = "no_merge"',
        "mocks_restricted",
        "live/prod/lambda: dependency 'github_oidc' does not merge mocks with state shallowly",
        id="mocks-not-merged",
    ),
    pytest.param(
        "live/prod/env.hcl",
        '  app_version = ""\n}',
        '  app_version = ""\n  lambda_provisioned = 2\n}',
        "environments_match",
        "live/prod/env.hcl sets 'lambda_provisioned', which live/dev/env.hcl does not",
        id="prod-only-value",
    ),
    pytest.param(
        "live/prod/lambda/terragrunt.hcl",
        "  expose = true\n}\n",
        "  expose = true\n}\n\ninputs = {\n  memory_size = 2048\n}\n",
        "environments_match",
        "live/prod/lambda/terragrunt.hcl differs from live/dev/lambda/terragrunt.hcl",
        id="prod-unit-override",
    ),
    pytest.param(
        "live/prod/monitoring",
        None,
        None,
        "environments_match",
        "live/dev has units ['api-gateway', 'ecr', 'github-oidc', 'lambda', 'monitoring'], live/prod has",
        id="prod-unit-missing",
    ),
    pytest.param(
        "live/dev/ecr/terragrunt.hcl",
        'include "root" {',
        'include "base" {',
        "units_include_root",
        'live/dev/ecr: no include "root"',
        id="root-not-included",
    ),
    pytest.param(
        "root.hcl",
        "      use_lockfile   = true",
        "      use_lockfile   = false",
        "state_and_provider",
        "live/dev/ecr (on AWS): remote_state use_lockfile = False, not True",
        id="no-state-lock",
    ),
    pytest.param(
        "root.hcl",
        "    repository  = local.project.github_repository\n",
        "",
        "state_and_provider",
        "live/dev/lambda (on AWS): provider default_tags are ['environment', 'managed-by', 'project']",
        id="default-tag-missing",
    ),
    pytest.param(
        "root.hcl",
        "key => value if local.emulated",
        "key => value",
        "state_and_provider",
        "live/prod/lambda (on AWS): force_path_style is True",
        id="path-style-on-aws",
    ),
    pytest.param(
        "root.hcl",
        'version = "~> 5.100"',
        'version = ">= 5.100"',
        "state_and_provider",
        "live/dev/ecr (on AWS): the AWS provider is not pinned to ~> 5.100",
        id="provider-unpinned",
    ),
    pytest.param(
        "root.hcl",
        "    %{~if local.emulated}",
        "    %{~if false}",
        "state_and_provider",
        "live/dev/lambda (with AWS_ENDPOINT_URL): provider setting skip_credentials_validation missing",
        id="emulator-settings-missing",
    ),
    pytest.param(
        "live/_envcommon/github-oidc.hcl",
        '  actions              = ["apply", "destroy"]',
        '  actions              = ["all"]',
        "ci_roles",
        "live/dev/github-oidc: must be excluded from run --all apply and destroy only",
        id="ci-roles-in-run-all",
    ),
    pytest.param(
        "live/_envcommon/github-oidc.hcl",
        "state_bucket_name = local.state.bucket",
        'state_bucket_name = "${local.project.name}-state-${local.env.account_id}-${local.env.region}"',
        "ci_roles",
        "live/dev/github-oidc: state_bucket_name 'lambda-api-state-111111111111-us-east-1' is not",
        id="ci-roles-other-bucket",
    ),
    pytest.param(
        "live/state.hcl",
        '"${local.project.name}-tfstate-${local.env.account_id}-${local.env.region}"',
        '"${local.project.name}-tfstate-${local.env.region}-${local.env.account_id}"',
        "state_bucket_named_once",
        "live/dev/ecr: state bucket 'lambda-api-tfstate-us-east-1-111111111111', but ops preflight checks",
        id="preflight-other-bucket",
    ),
    pytest.param(
        "root.hcl",
        'read_terragrunt_config(find_in_parent_folders("state.hcl")).locals.bucket',
        '"${local.project.name}-tfstate-${local.env.account_id}-${local.env.region}"',
        "state_bucket_named_once",
        "root.hcl spells the state bucket's name: read it from live/state.hcl",
        id="bucket-spelt-twice",
    ),
    pytest.param(
        "live/dev/env.hcl",
        "  region      = ",
        "  region = ",
        "parsed_and_formatted",
        "live/dev/env.hcl: not formatted",
        id="not-formatted",
    ),
    pytest.param(
        "live/_envcommon/ecr.hcl",
        "inputs = {",
        "inputs = {{",
        "parsed_and_formatted",
        "live/_envcommon/ecr.hcl: does not parse",
        id="does-not-parse",
    ),
    pytest.param(
        "live/_envcommon/api-gateway.hcl",
        "dependency.lambda.outputs.alias_name",
        "dependency.lambda.outputs.alias",
        "evaluation",
        "the tree does not evaluate (aws): Error: Unsupported attribute",
        id="does-not-evaluate",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "check", "expected"), MUTANTS)
def test_check_fails_on_a_broken_copy(
    tmp_path: Path,
    tf_env: dict[str, str],
    path: str,
    old: str | None,
    new: str | None,
    check: str,
    expected: str,
) -> None:
    root = copy_tree(tmp_path / "tree")
    target = root / path
    if old is None:
        shutil.rmtree(target)
    else:
        text = target.read_text()
        assert text.count(old) == 1, f"{path} must contain {old!r} exactly once"
        target.write_text(text.replace(old, new or ""))
    problems = list(CHECKS[check](Tree(root, tf_env, tmp_path / "eval")))
    assert any(expected in problem for problem in problems), problems


def _lambda_inputs(
    root: Path, tf_env: dict[str, str], workdir: Path, env: dict[str, str]
) -> dict[str, object]:
    units = tg.evaluate(root, [root / "live/dev/lambda"], tf_env, workdir, env=env)
    return units[(root / "live/dev/lambda").resolve()].value["inputs"]


def test_lambda_runs_the_pin_unless_ci_overrides_it(tmp_path: Path, tf_env: dict[str, str]) -> None:
    """The lambda unit reads image_uri/app_version from env.hcl, or IMAGE_URI/APP_VERSION when set."""
    root = copy_tree(tmp_path / "tree")
    env_hcl = root / "live/dev/env.hcl"
    env_hcl.write_text(
        env_hcl.read_text()
        .replace('  image_uri   = ""', f'  image_uri   = "{IMAGE}"')
        .replace('  app_version = ""', '  app_version = "1.2.3"')
    )
    pinned = _lambda_inputs(root, tf_env, tmp_path / "pinned", {})
    assert (pinned["image_uri"], pinned["app_version"]) == (IMAGE, "1.2.3")

    other = IMAGE.replace("ab", "cd")
    overridden = _lambda_inputs(root, tf_env, tmp_path / "ci", {"IMAGE_URI": other, "APP_VERSION": "1.2.4"})
    assert (overridden["image_uri"], overridden["app_version"]) == (other, "1.2.4")

    # An empty app_version reaches the module as null: it then derives APP_VERSION from the digest.
    env_hcl.write_text(env_hcl.read_text().replace('  app_version = "1.2.3"', '  app_version = ""'))
    derived = _lambda_inputs(root, tf_env, tmp_path / "derived", {})
    assert "app_version" in derived
    assert derived["app_version"] is None


def test_state_keys_are_unit_paths(tree: Tree) -> None:
    """One state object per unit, under live/<env>/<unit>/ (what path_relative_to_include() yields)."""
    keys = sorted(unit.value["remote_state"]["config"]["key"] for unit in tree.units.values())
    assert keys == sorted(f"{tree.name(path)}/terraform.tfstate" for path in tree.units)
    backend = tg.backend_tf(tree.units[ROOT / "live/prod/lambda"])
    assert 'bucket = "lambda-api-tfstate-222222222222-us-east-1"' in backend
    assert "s3_bucket_tags" not in backend  # Terragrunt's own key, never passed to the backend
