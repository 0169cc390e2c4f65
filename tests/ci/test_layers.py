"""The import layers of [tool.importlinter] (pyproject.toml) hold, and a sideways import breaks them.

`make lint` and pre-commit run `lint-imports` over the checkout. Here the contracts run over a copy of
the Python packages, first as they are, then with one import planted that each contract forbids.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "shared", "ops", "ci", "tools", "bench", "tests")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_packages_keep_their_layers(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract", "evidence"),
    [
        # ops used the env.hcl writer of tools/ before shared/pins.py held it.
        ("ops/tune.py", "from tools import promote", "layers:", "ops.tune -> tools.promote"),
        # ci took the Dockerfile parser from bench/ before shared/dockerfile.py held it.
        ("ci/base_image.py", "from bench import image", "layers:", "ci.base_image -> bench.image"),
        ("ci/invoke_image.py", "from ops import smoke", "layers:", "ci.invoke_image -> ops.smoke"),
        ("shared/events.py", "import tools.emulator", "layers:", "shared.events -> tools.emulator"),
        ("ops/smoke.py", "from app import openapi", "clients of the API", "ops.smoke -> app.openapi"),
        (
            "app/endpoints.py",
            "from shared import events",
            "app imports nothing",
            "app.endpoints -> shared.events",
        ),
    ],
)
def test_a_planted_sideways_import_breaks_a_contract(
    tree: Path, module: str, planted: str, contract: str, evidence: str
) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(f"{original}\n{planted}  # noqa: E402\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1, result.stdout
    assert broken[0].startswith(contract), result.stdout
    assert evidence in result.stdout, result.stdout
