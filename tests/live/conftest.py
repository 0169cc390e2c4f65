"""Fixtures for the live tree's tests: the repository's tree, and copies of it to break or promote in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.live.checks import Tree

ROOT = Path(__file__).resolve().parents[2]


def copy_tree(dest: Path) -> Path:
    """root.hcl, live/ and the modules' .tf files, as Terragrunt sees them, under `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "root.hcl", dest / "root.hcl")
    shutil.copytree(ROOT / "live", dest / "live", ignore=shutil.ignore_patterns(".terragrunt-cache"))
    for source in (ROOT / "modules").glob("*/*.tf"):
        target = dest / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


@pytest.fixture(scope="module")
def tree(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Tree:
    return Tree(ROOT, tf_env, tmp_path_factory.mktemp("tree"))
