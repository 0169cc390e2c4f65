"""`ops` installs as a command with its own dependency set, and runs from the install alone.

The wheel is built from a copy of what pyproject.toml packages (the checkout stays clean), installed
into a scratch directory, and its `ops` command run from elsewhere against the real app.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "requirements-ops.in"):
        shutil.copy(ROOT / name, source / name)
    for package in ("app", "ops", "shared"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return built


def metadata(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
        return archive.read(path).decode()


def test_the_wheel_has_the_ops_command_and_its_own_dependency_set(wheel: Path) -> None:
    assert "ops = ops.cli:main" in metadata(wheel, "entry_points.txt")
    with zipfile.ZipFile(wheel) as archive:
        packages = {name.split("/")[0] for name in archive.namelist() if name.endswith(".py")}
    assert packages == {"app", "ops", "shared"}  # never tools, ci, bench or the tests
    extra = sorted(re.findall(r"^Requires-Dist: (\S+); extra == \"ops\"$", metadata(wheel, "METADATA"), re.M))
    pinned = sorted(
        line
        for line in (ROOT / "requirements-ops.in").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert extra == pinned  # the set requirements-ops.txt locks


def test_the_installed_command_smokes_the_app(wheel: Path, tmp_path: Path, contract_server: str) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The dependencies come from this environment; ops, shared and app only from the install.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    result = subprocess.run(
        [str(target / "bin" / "ops"), "smoke", "--base-url", f"{contract_server}/ok", "--warmup", "0"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checks, all passed" in result.stdout
    modules = subprocess.run(
        [sys.executable, "-c", "import ops.cli, shared.contract; print(ops.cli.__file__, shared.contract.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    assert all(Path(module).is_relative_to(target) for module in modules)
