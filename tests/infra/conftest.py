"""Shared pieces of the infrastructure tests: a scratch copy of the Terraform code, initialised once.

Terraform writes `.terraform/`, lock files and state next to the configuration, so every command
runs in a copy under the session's temporary directory and the repository stays clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools.terraform import LOCK_FILE, copy_configurations

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("api-gateway", "ecr", "github-oidc", "kms-key", "lambda", "log-group", "monitoring")
CONFIGS = (*(f"modules/{name}" for name in MODULES), "examples/complete", "examples/custom-domain")
# Terraform is CPU-bound here; one more worker than cores keeps both busy while one waits on I/O.
WORKERS = (os.cpu_count() or 2) + 1


def run(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion, output captured (stderr folded into stdout)."""
    return subprocess.run(
        list(args),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_all(
    jobs: Mapping[str, tuple[Sequence[str], Path]], env: Mapping[str, str]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run independent commands concurrently; results by job name."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run, args, cwd, env) for name, (args, cwd) in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def copy_tree(destination: Path) -> Path:
    """Copy modules/ and examples/ (without local Terraform leftovers) under `destination`; the
    example keeps its committed .terraform.lock.hcl, as Terraform would read it there."""
    return copy_configurations(ROOT, destination)


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    path = shutil.which("terraform")
    if path is None:
        pytest.fail("terraform is not on PATH: the infrastructure tests need Terraform 1.10+ (see mise.toml)")
    return path


@pytest.fixture(scope="session")
def tf_workspace(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str], terraform_bin: str
) -> Path:
    """A copy of modules/ and examples/ with every configuration initialised (one init each)."""
    root = copy_tree(tmp_path_factory.mktemp("tf-workspace"))
    # A committed lock file must hold as it is: -lockfile=readonly fails on any change it would need.
    jobs = {
        config: (
            [terraform_bin, "init", "-backend=false", "-input=false", "-no-color"]
            + (["-lockfile=readonly"] if (root / config / LOCK_FILE).exists() else []),
            root / config,
        )
        for config in CONFIGS
    }
    for config, result in run_all(jobs, tf_env).items():
        assert result.returncode == 0, f"terraform init failed in {config}:\n{result.stdout}"
    return root
