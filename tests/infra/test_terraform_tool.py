"""`python -m tools.terraform`: the Terraform checks of pre-commit and `make fmt`.

`validate` initialises and validates configurations in a scratch copy (the checkout gets no
.terraform/), holding a committed lock file read-only; `fmt` formats Terragrunt's .hcl files through
`terraform fmt -`. (`lock` is tested in test_lock_files.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT
from tools import terraform

pytestmark = pytest.mark.terraform


def tree(tmp_path: Path) -> Path:
    """A repository with two small modules and an example that calls one of them."""
    root = tmp_path / "repo"
    (root / "modules" / "good").mkdir(parents=True)
    (root / "modules" / "good" / "main.tf").write_text('variable "x" {\n  type = string\n}\n')
    (root / "modules" / "broken").mkdir(parents=True)
    (root / "modules" / "broken" / "main.tf").write_text('output "y" {\n  value = var.missing\n}\n')
    (root / "examples" / "call").mkdir(parents=True)
    (root / "examples" / "call" / "main.tf").write_text(
        'module "good" {\n  source = "../../modules/good"\n  x = "a"\n}\n'
    )
    return root


def test_validate_reports_each_broken_configuration_and_leaves_the_tree_clean(tmp_path: Path) -> None:
    root = tree(tmp_path)
    assert terraform.configurations(root) == ["examples/call", "modules/broken", "modules/good"]
    problems = terraform.validate(terraform.configurations(root), root=root)
    assert len(problems) == 1
    assert problems[0].startswith("modules/broken: terraform validate failed")
    assert "var.missing" in problems[0] or "undeclared input variable" in problems[0]
    assert not list(root.rglob(".terraform"))


def test_validate_holds_a_committed_lock_file_as_it_is(tmp_path: Path) -> None:
    """The example's lock file is read-only: a checksum that does not match fails `init`."""
    root = tmp_path / "repo"
    terraform.copy_configurations(ROOT, root)
    lock = root / "examples" / "complete" / terraform.LOCK_FILE
    assert lock.is_file()  # validate with it as committed: the pre-commit hook, over this checkout
    lock.write_text(lock.read_text().replace('"h1:', '"h1:AAAA'))
    (problem,) = terraform.validate(["examples/complete"], root=root)
    assert problem.startswith("examples/complete: terraform init failed")
    assert "dependency-lock#checksum-verification" in problem


def test_fmt_formats_terragrunt_files_in_place(tmp_path: Path) -> None:
    messy, tidy = tmp_path / "messy.hcl", tmp_path / "tidy.hcl"
    messy.write_text("inputs = {\n  a = 1\n  bb  = 2\n}\n")
    tidy.write_text("inputs = {\n  a  = 1\n  bb = 2\n}\n")
    assert terraform.fmt_stdin([messy, tidy]) == [messy]
    assert messy.read_text() == tidy.read_text()
    broken = tmp_path / "broken.hcl"
    broken.write_text("inputs = {\n")
    with pytest.raises(SystemExit, match=r"broken\.hcl: terraform fmt failed"):
        terraform.fmt_stdin([broken])


def test_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    messy = tmp_path / "unit.hcl"
    messy.write_text("inputs = {\n  a = 1\n  bb  = 2\n}\n")
    assert terraform.main(["fmt", str(messy)]) == 0
    assert f"formatted {messy}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        terraform.main(["validate", "modules/nope"])
    assert usage.value.code == 2
    assert "not a module or example: modules/nope" in capsys.readouterr().err
    assert terraform.main(["validate", "modules/kms-key"]) == 0
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform here
    assert terraform.main(["validate"]) == 2
    assert "terraform is not on PATH" in capsys.readouterr().err


def test_lock_targets_follow_each_units_module_source(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "live", root / "live", ignore=shutil.ignore_patterns(".terragrunt-cache"))
    targets = terraform.lock_targets(root)
    assert targets[root / "live" / "dev" / "api-gateway"] == "modules/api-gateway"
    common = root / "live" / "_envcommon" / "ecr.hcl"
    common.write_text(common.read_text().replace("/modules//ecr", "/elsewhere"))
    with pytest.raises(SystemExit, match=r"ecr\.hcl: no `source"):
        terraform.lock_targets(root)
    (root / "root.hcl").write_text("# no generate blocks\n")
    with pytest.raises(SystemExit, match='no generate "provider_version" block'):
        terraform.provider_version_override(root)
