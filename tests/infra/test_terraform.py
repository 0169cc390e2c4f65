"""terraform fmt, validate and test for every module and the example, and the conventions they share."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.infra.conftest import CONFIGS, MODULES, ROOT, copy_tree, run, run_all

pytestmark = pytest.mark.terraform

# Deliberately broken copies, each with the one `run` block that must catch it:
# module -> (file, original text, broken text, run name, expected message).
MUTANTS = {
    "api-gateway": (
        "main.tf",
        'payload_format_version = "2.0"',
        'payload_format_version = "1.0"',
        "http_api_to_the_alias",
        "payload 2.0",
    ),
    "kms-key": (
        "main.tf",
        "enable_key_rotation     = true",
        "enable_key_rotation     = false",
        "secure_key_with_alias",
        "The key must rotate",
    ),
    "lambda": ("main.tf", "publish = true", "publish = false", "secure_defaults", "publishes a version"),
    "monitoring": (
        "alarms.tf",
        'metric_name = "5xx"',
        'metric_name = "5XXError"',
        "alarms_watch_the_right_metrics",
        "not 5XXError",
    ),
}


def keep_only_run(test_file: Path, run_name: str) -> None:
    """Cut a .tftest.hcl down to its header (mock provider, variables) and one run block."""
    header, *runs = test_file.read_text().split('\nrun "')
    kept = [block for block in runs if block.startswith(f'{run_name}"')]
    assert len(kept) == 1, f"{test_file} has no run {run_name!r}"
    test_file.write_text(f'{header}\nrun "{kept[0]}')


@pytest.fixture(scope="session")
def checks(
    tf_workspace: Path, tf_env: dict[str, str], terraform_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """`terraform validate` and `terraform test` everywhere, plus the mutants, run concurrently."""
    jobs: dict[str, tuple[list[str], Path]] = {}
    for config in CONFIGS:
        jobs[f"validate {config}"] = ([terraform_bin, "validate", "-no-color"], tf_workspace / config)
    for module in MODULES:
        jobs[f"test {module}"] = ([terraform_bin, "test", "-no-color"], tf_workspace / "modules" / module)

    mutants = copy_tree(tmp_path_factory.mktemp("tf-mutants"))
    for module, (file, original, broken, run_name, _) in MUTANTS.items():
        path = mutants / "modules" / module / file
        text = path.read_text()
        assert original in text, f"mutant source for {module} no longer matches {file}"
        path.write_text(text.replace(original, broken))
        (test_file,) = (path.parent / "tests").glob("*.tftest.hcl")
        keep_only_run(test_file, run_name)
        # Reuse the initialised providers of the workspace copy instead of a second init.
        shutil.copytree(
            tf_workspace / "modules" / module / ".terraform", path.parent / ".terraform", symlinks=True
        )
        shutil.copy2(tf_workspace / "modules" / module / ".terraform.lock.hcl", path.parent)
        jobs[f"mutant {module}"] = ([terraform_bin, "test", "-no-color"], path.parent)
    return run_all(jobs, tf_env)


def test_fmt_is_clean(terraform_bin: str, tf_env: dict[str, str]) -> None:
    result = run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", "-no-color", "modules", "examples"],
        ROOT,
        tf_env,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive modules examples`:\n{result.stdout}"


def test_fmt_check_catches_bad_formatting(terraform_bin: str, tf_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\nname="x"\n   other = "y"\n}\n')
    result = run([terraform_bin, "fmt", "-check", "-recursive", "-no-color", "."], tmp_path, tf_env)
    assert result.returncode != 0
    assert "main.tf" in result.stdout


@pytest.mark.parametrize("config", CONFIGS)
def test_validate(checks: dict[str, subprocess.CompletedProcess[str]], config: str) -> None:
    result = checks[f"validate {config}"]
    assert result.returncode == 0, result.stdout
    assert "The configuration is valid" in result.stdout


@pytest.mark.parametrize("module", MODULES)
def test_module_tests_pass(checks: dict[str, subprocess.CompletedProcess[str]], module: str) -> None:
    result = checks[f"test {module}"]
    assert result.returncode == 0, result.stdout
    match = re.search(r"Success! (\d+) passed, 0 failed", result.stdout)
    assert match, result.stdout
    assert int(match.group(1)) >= 4, f"{module}: too few terraform test runs:\n{result.stdout}"


@pytest.mark.parametrize("module", sorted(MUTANTS))
def test_module_tests_catch_a_broken_module(
    checks: dict[str, subprocess.CompletedProcess[str]], module: str
) -> None:
    result = checks[f"mutant {module}"]
    expected_message = MUTANTS[module][4]
    assert result.returncode != 0, f"terraform test passed on a broken {module}:\n{result.stdout}"
    assert "Test assertion failed" in result.stdout
    assert expected_message in " ".join(result.stdout.split())


def _hcl(path: Path) -> dict[str, object]:
    with path.open() as handle:
        return hcl2.load(handle)


@pytest.mark.parametrize("config", CONFIGS)
def test_version_constraints_admit_the_mirrored_provider(config: str) -> None:
    terraform_block = _hcl(ROOT / config / "versions.tf")["terraform"][0]
    assert terraform_block["required_version"] == '">= 1.10"'
    aws = terraform_block["required_providers"][0]["aws"]
    assert aws == {"source": '"hashicorp/aws"', "version": '">= 5.100, < 7.0"'}


@pytest.mark.parametrize("module", MODULES)
def test_module_layout(module: str) -> None:
    directory = ROOT / "modules" / module
    for name in ("versions.tf", "variables.tf", "main.tf", "outputs.tf", "README.md"):
        assert (directory / name).is_file(), f"modules/{module} lacks {name}"
    assert list((directory / "tests").glob("*.tftest.hcl")), f"modules/{module} has no tests/*.tftest.hcl"
    for variable in _hcl(directory / "variables.tf")["variable"]:
        for name, body in variable.items():
            assert body.get("description"), f"{module}: variable {name} has no description"
            assert body.get("type"), f"{module}: variable {name} has no type"
    for output in _hcl(directory / "outputs.tf")["output"]:
        for name, body in output.items():
            assert body.get("description"), f"{module}: output {name} has no description"


def test_no_hard_coded_accounts_regions_or_provider_6_arguments() -> None:
    for path in sorted((ROOT / "modules").rglob("*.tf")):
        parsed = _hcl(path)
        for block in parsed.get("resource", []):
            for kind, instances in block.items():
                for name, body in instances.items():
                    # Resource-level `region` exists only in provider 6.x; the modules must run on 5.100.
                    assert "region" not in body, f"{path}: {kind}.{name} sets region"
        # Variable descriptions may show examples; everything that builds resources may not.
        code = json.dumps({key: value for key, value in parsed.items() if key != "variable"})
        assert not re.search(r"\b\d{12}\b", code), f"{path}: hard-coded account id"
        assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", code), f"{path}: hard-coded region"
        assert "arn:aws:" not in code, f"{path}: hard-coded partition (use aws_partition)"


def test_module_interface_names() -> None:
    """The names the live tree, CI and ops rely on (team contract)."""
    expected_outputs = {
        "ecr": {"repository_name", "repository_url", "repository_arn"},
        "lambda": {
            "function_name", "function_arn", "alias_name", "alias_arn", "alias_invoke_arn", "version",
            "log_group_name", "role_arn",
        },
        "api-gateway": {"api_id", "api_endpoint", "execution_arn", "access_log_group_name"},
        "monitoring": {"sns_topic_arn", "dashboard_name", "alarm_names", "kms_key_arn"},
        "github-oidc": {"deploy_role_arn", "plan_role_arn", "oidc_provider_arn"},
    }  # fmt: skip
    for module, names in expected_outputs.items():
        outputs = {
            name for block in _hcl(ROOT / "modules" / module / "outputs.tf")["output"] for name in block
        }
        assert names <= {name.strip('"') for name in outputs}, f"{module} lacks {names - outputs}"

    lambda_inputs = {
        name.strip('"'): body
        for block in _hcl(ROOT / "modules" / "lambda" / "variables.tf")["variable"]
        for name, body in block.items()
    }
    for name in (
        "name", "image_uri", "architecture", "memory_size", "timeout", "reserved_concurrency", "environment",
        "log_retention_days", "alias_name", "canary_weight", "canary_version", "alias_managed_externally", "tags",
    ):  # fmt: skip
        assert name in lambda_inputs, f"lambda lacks input {name}"
    assert lambda_inputs["alias_name"]["default"] == '"live"'
    assert lambda_inputs["alias_managed_externally"]["default"] is True
    assert lambda_inputs["image_command"]["default"] == ['"app.handler.handler"']


def test_example_outputs_what_users_need() -> None:
    outputs = {
        name.strip('"') for block in _hcl(ROOT / "examples/complete/outputs.tf")["output"] for name in block
    }
    assert {
        "api_url", "function_name", "function_arn", "alias_name", "alias_arn", "repository_url",
        "dashboard_name", "alarm_topic_arn",
    } <= outputs  # fmt: skip


def test_default_image_command_is_the_apps_handler() -> None:
    """The handler the function's CMD names can be imported from the app, and is the contract's."""
    variables = _hcl(ROOT / "modules" / "lambda" / "variables.tf")["variable"]
    (command,) = [
        body["default"] for block in variables for name, body in block.items() if name == '"image_command"'
    ]
    (target,) = [item.strip('"') for item in command]
    assert target == "app.handler.handler"
    module_name, attribute = target.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_name), attribute))
