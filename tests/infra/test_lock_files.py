"""The committed .terraform.lock.hcl files: one per root configuration (each example and each
Terragrunt unit), tracked by git, the same in both environments, and what
`python -m tools.terraform lock` writes.

That each one holds for its configuration is shown where the configurations are initialised:
tests/infra (the example, `-lockfile=readonly`) and tests/live (dev's units and prod's ecr, copied
into the working directory as Terragrunt copies them, `-lockfile=readonly`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT
from tools.terraform import LOCK_FILE, find_mirror, lock, lock_targets

PROVIDER = re.compile(
    r'provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"(?P<version>[^"]+)"\s*'
    r'constraints\s*=\s*"(?P<constraints>[^"]+)"\s*hashes\s*=\s*\[(?P<hashes>[^\]]*)\]'
)


def pins(path: Path) -> tuple[str, str, set[str]]:
    match = PROVIDER.search(path.read_text())
    assert match, f"{path}: no hashicorp/aws provider lock"
    return match["version"], match["constraints"], set(re.findall(r'"([^"]+)"', match["hashes"]))


def test_every_root_configuration_commits_its_lock_file() -> None:
    targets = lock_targets()
    units = sorted(path.parent for path in (ROOT / "live").glob("*/*/terragrunt.hcl"))
    examples = sorted(path.parent for path in (ROOT / "examples").glob("*/main.tf"))
    assert ROOT / "examples" / "custom-domain" in examples
    assert sorted(targets) == sorted([*examples, *units])
    for target in targets:
        path = target / LOCK_FILE
        assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run python -m tools.terraform lock"
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False)
        assert ignored.returncode == 1, f"{path.relative_to(ROOT)} is git-ignored"
    # Modules are libraries: their callers' lock files decide, so theirs stay ignored.
    assert (
        subprocess.run(["git", "check-ignore", "-q", "modules/ecr/.terraform.lock.hcl"], cwd=ROOT).returncode
        == 0
    )


def test_each_unit_pins_the_environments_provider_line_and_both_environments_agree() -> None:
    for unit in sorted((ROOT / "live" / "dev").glob("*/terragrunt.hcl")):
        dev, prod = unit.parent / LOCK_FILE, ROOT / "live" / "prod" / unit.parent.name / LOCK_FILE
        assert dev.read_text() == prod.read_text(), unit.parent.name
        version, constraints, hashes = pins(dev)
        assert version.startswith("5.")
        assert "~> 5.100" in constraints  # root.hcl's provider_version override is part of the unit
        assert any(h.startswith("h1:") for h in hashes)
    version, constraints, _ = pins(ROOT / "examples" / "complete" / LOCK_FILE)
    assert "~> 5.100" not in constraints  # the example takes the modules' own range


@pytest.mark.terraform
def test_the_lock_command_writes_what_is_committed(tmp_path: Path) -> None:
    """`lock` on a copy (the example and two units, their lock files removed) writes the committed
    pins; after a module's version range changes, it writes the new range."""
    copy = tmp_path / "repo"
    for part in ("modules", "examples", "live/_envcommon"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    shutil.copy(ROOT / "root.hcl", copy / "root.hcl")
    for unit in ("live/dev/ecr", "live/prod/lambda"):
        (copy / unit).mkdir(parents=True)
        shutil.copy(ROOT / unit / "terragrunt.hcl", copy / unit / "terragrunt.hcl")
    assert lock(["linux_amd64"], root=copy) == []
    for target in ("examples/complete", "live/dev/ecr", "live/prod/lambda"):
        committed, written = pins(ROOT / target / LOCK_FILE), pins(copy / target / LOCK_FILE)
        assert written[:2] == committed[:2], target  # version and constraints
        # The hashes this machine computes: exactly the committed ones from the mirror; from the
        # registry (no mirror), the committed ones and more (every platform's zip hashes).
        assert committed[2] <= written[2], target
        if find_mirror() is not None:
            assert written[2] == committed[2], target
    # The lambda module calls kms-key, whose own range stays in the unit's constraints.
    versions = copy / "modules" / "kms-key" / "versions.tf"
    versions.write_text(versions.read_text().replace(">= 5.100", ">= 5.90"))
    (copy / "live/prod/lambda" / LOCK_FILE).unlink()
    assert lock(["linux_amd64"], root=copy) == []
    assert ">= 5.90.0" in pins(copy / "live/prod/lambda" / LOCK_FILE)[1]
