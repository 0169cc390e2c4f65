"""pre-commit (`make check`, CI's lint job): local hooks only, each of which fails on a broken file.

The repository itself passing every hook is `make check`'s job (CI's lint job runs it). Here a
scratch git repository with this checkout's .pre-commit-config.yaml holds one broken file per hook
(.venv linked in, as the hooks use its pinned tools), and every hook must fail on its own file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tools.terraform import cli_env

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def workflow(name: str, job: str) -> str:
    """A workflow of one job, valid but for what `job` (its last lines) says."""
    head = f"name: {name}\non: {{pull_request: {{}}}}\npermissions: {{}}\njobs:\n  build:\n"
    return head + "    runs-on: ubuntu-24.04\n    permissions: {}\n" + job


WORKFLOW_OK_BUT_NO_TIMEOUT = workflow("no-timeout", "    steps:\n      - run: echo hello\n")
WORKFLOW_UNPINNED = workflow(
    "unpinned", "    timeout-minutes: 5\n    steps:\n      - uses: actions/checkout@v4\n"
)
BROKEN = {
    "app/lint.py": "import os\n",  # ruff check: F401
    "app/format.py": "x = {'a':1}\n",  # ruff format
    "app/untyped.py": "def double(x):\n    return x * 2\n",  # mypy --strict: no annotations
    "app/__init__.py": "",
    "app/sideways.py": "from tools import terraform as terraform\n",  # import-linter: app imports tools
    "modules/unformatted/main.tf": 'locals {\n  a = 1\n  bb  = 2\n}\n',  # terraform fmt
    "modules/invalid/main.tf": "output \"x\" {\n  value = var.missing\n}\n",  # terraform validate
    "live/dev/unit/terragrunt.hcl": "inputs = {\n  a = 1\n  bb  = 2\n}\n",  # Terragrunt formatting
    "tools/run.sh": '#!/usr/bin/env bash\nrm -rf $1/cache\n',  # shellcheck: SC2086
    "Dockerfile": "FROM ubuntu\nCMD [\"true\"]\n",  # hadolint: DL3006 (untagged image)
    ".github/workflows/no-timeout.yml": WORKFLOW_OK_BUT_NO_TIMEOUT,  # the timeout schema
    ".github/workflows/unpinned.yml": WORKFLOW_UNPINNED,  # zizmor: unpinned action, credentials kept
    ".github/workflows/invalid.yml": "name: invalid\non: {pull_request: {}}\njobs:\n  x:\n    runs-on: 3\n",
    ".github/actions/setup/action.yml": "name: setup\nruns:\n  using: composite\n",  # no steps
    ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n",  # no directory
}  # fmt: skip


def hooks() -> list[dict[str, object]]:
    config = yaml.safe_load(CONFIG.read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_every_hook_is_local_and_runs_a_pinned_tool() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    ids = {str(hook["id"]) for hook in hooks()}
    assert ids >= {
        "ruff", "ruff-format", "mypy", "terraform-fmt", "terraform-validate", "terragrunt-fmt",
        "shellcheck", "hadolint", "zizmor", "check-github-workflows", "check-dependabot", "import-linter",
    }  # fmt: skip
    for hook in hooks():
        assert hook["language"] == "unsupported", hook["id"]
        executable = str(hook["entry"]).split()[0]
        # The project's pinned tools, or Terraform (pinned in mise.toml, installed by CI's setup step).
        assert executable.startswith(".venv/bin/") or executable == "terraform", hook["id"]
        if executable.startswith(".venv/bin/"):
            assert (ROOT / executable).exists(), f"{hook['id']}: {executable} is not installed"


def test_make_check_runs_every_hook_over_every_file() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "\t$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure\n" in makefile
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["lint"]["steps"]]
    assert "make check" in runs


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    repo = tmp_path_factory.mktemp("precommit") / "repo"
    repo.mkdir()
    for name, text in BROKEN.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (repo / "tools" / "run.sh").chmod(0o755)
    shutil.copy(CONFIG, repo / CONFIG.name)
    (repo / "pyproject.toml").write_text(
        '[tool.mypy]\nfiles = ["app"]\nstrict = true\n'
        '[tool.importlinter]\nroot_packages = ["app", "tools"]\n'
        '[[tool.importlinter.contracts]]\nname = "app alone"\ntype = "forbidden"\n'
        'source_modules = ["app"]\nforbidden_modules = ["tools"]\n'
    )
    for module in ("__init__.py", "terraform.py"):  # what the Terraform hooks run
        shutil.copy(ROOT / "tools" / module, repo / "tools" / module)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    (repo / "examples").mkdir()
    env = cli_env(tmp_path_factory.mktemp("tf-cli"))
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "broken"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True, env=env)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pre-commit"), "run", "--all-files", "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("hook", "evidence"),
    [
        ("ruff", "F401"),
        ("ruff-format", "files were modified by this hook"),
        ("mypy", "app/untyped.py:1: error: Function is missing a type annotation"),
        ("import-linter", "app.sideways -> tools.terraform"),
        ("terraform-fmt", "files were modified by this hook"),
        ("terraform-validate", "modules/invalid: terraform validate failed"),
        ("terragrunt-fmt", "formatted live/dev/unit/terragrunt.hcl"),
        ("shellcheck", "SC2086"),
        ("hadolint", "DL3006"),
        ("zizmor", "unpinned-uses"),
        ("check-github-workflows", "invalid.yml"),
        ("check-workflow-timeouts", "no-timeout.yml"),
        ("check-github-actions", "action.yml"),
        ("check-dependabot", "dependabot.yml"),
    ],
)
def test_each_hook_fails_on_its_broken_file(broken_run: str, hook: str, evidence: str) -> None:
    names = {str(h["id"]): str(h["name"]) for h in hooks()}
    sections = re.split(r"\n(?=\S[^\n]*\.{3,}(?:Passed|Failed|Skipped))", "\n" + broken_run)
    (section,) = [s for s in sections if s.startswith(names[hook] + ".")]
    assert section.splitlines()[0].endswith("Failed"), section
    assert evidence in section, section
