"""Run Terraform the same way on an offline machine (provider mirror on disk) and online.

Machines without registry access keep the AWS provider in a filesystem mirror. Terraform only
looks there when a CLI config says so, and the config named by TF_CLI_CONFIG_FILE may not exist,
so every caller (tests, `make up`) gets an environment with a config written by `cli_env`.

`python -m tools.terraform validate` (every module and example, in a scratch copy) and
`python -m tools.terraform fmt FILE...` (Terragrunt's .hcl files, which `terraform fmt` formats only
on stdin) are the Terraform checks of pre-commit and `make fmt`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Checked in order; the first directory that holds a registry-layout provider tree is used.
MIRROR_CANDIDATES = ("/opt/tf-plugins", "/usr/share/terraform/plugins", "~/.terraform.d/plugins")


def find_mirror() -> Path | None:
    """The provider mirror directory, or None when the registry should be used."""
    configured = os.environ.get("TF_PROVIDER_MIRROR")
    candidates = [configured] if configured else list(MIRROR_CANDIDATES)
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io").is_dir():
            return path
    return None


def write_cli_config(directory: Path) -> Path:
    """Write a CLI config into `directory` and return its path.

    With a mirror: providers found there come only from there; anything else from the registry.
    Without one: a shared plugin cache, so repeated `init`s do not download the provider again.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "terraform.rc"
    mirror = find_mirror()
    if mirror is None:
        cache = directory / "plugin-cache"
        cache.mkdir(exist_ok=True)
        body = f'plugin_cache_dir = "{cache}"\n'
    else:
        providers = sorted(
            f"registry.terraform.io/{namespace.name}/{provider.name}"
            for namespace in (mirror / "registry.terraform.io").iterdir()
            for provider in namespace.iterdir()
        )
        listed = ", ".join(f'"{name}"' for name in providers)
        body = (
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{listed}]\n  }}\n'
            f"  direct {{\n    exclude = [{listed}]\n  }}\n"
            "}\n"
        )
    config.write_text(body)
    return config


def cli_env(directory: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for Terraform subprocesses: CLI config, no prompts, no colour, no telemetry."""
    env = dict(os.environ if base is None else base)
    env.update(
        TF_CLI_CONFIG_FILE=str(write_cli_config(directory)),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    return env


# --- `python -m tools.terraform`: the checks pre-commit runs ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# What a configuration directory grows locally; never copied into the scratch tree.
LOCAL_STATE = (".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan")
LOCK_FILE = ".terraform.lock.hcl"


def configurations(root: Path = ROOT) -> list[str]:
    """Every module and example: the directories `terraform validate` applies to."""
    return sorted(
        str(path.relative_to(root))
        for parent in ("modules", "examples")
        for path in (root / parent).iterdir()
        if path.is_dir() and any(path.glob("*.tf"))
    )


def copy_configurations(root: Path, destination: Path) -> Path:
    """modules/ and examples/ without local state; the example keeps its committed lock file."""
    ignore = shutil.ignore_patterns(*LOCAL_STATE)
    shutil.copytree(
        root / "modules", destination / "modules", ignore=shutil.ignore_patterns(*LOCAL_STATE, LOCK_FILE)
    )
    shutil.copytree(root / "examples", destination / "examples", ignore=ignore)
    return destination


def validate(configs: Sequence[str], terraform: str = "terraform", root: Path = ROOT) -> list[str]:
    """`init -backend=false` and `validate` for each configuration, in a scratch copy (the checkout
    gets no .terraform/); the failures, each with Terraform's output."""
    with tempfile.TemporaryDirectory(prefix="tf-validate-") as scratch:
        work = copy_configurations(root, Path(scratch) / "tree")
        env = cli_env(Path(scratch) / "cli")

        def check(config: str) -> str | None:
            # A committed lock file must hold as it is (its hashes, its versions).
            readonly = ["-lockfile=readonly"] if (work / config / LOCK_FILE).exists() else []
            for args in (
                ["init", "-backend=false", "-input=false", "-no-color", *readonly],
                ["validate", "-no-color"],
            ):
                result = subprocess.run(
                    [terraform, *args],
                    cwd=work / config,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    return f"{config}: terraform {args[0]} failed\n{result.stdout}{result.stderr}"
            return None

        with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
            return [problem for problem in pool.map(check, configs) if problem]


def fmt_stdin(paths: Sequence[Path], terraform: str = "terraform") -> list[Path]:
    """Format HCL files that `terraform fmt` refuses by name (Terragrunt's *.hcl) through its stdin;
    the files it changed."""
    changed = []
    for path in paths:
        text = path.read_text()
        result = subprocess.run(
            [terraform, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"{path}: terraform fmt failed\n{result.stderr}")
        if result.stdout != text:
            path.write_text(result.stdout)
            changed.append(path)
    return changed


PROVIDER_VERSION_BLOCK = re.compile(
    r'generate "provider_version" \{.*?contents\s*=\s*<<-EOF\n(.*?)\n\s*EOF', re.S
)


def lock_targets(root: Path = ROOT) -> dict[Path, str]:
    """Every directory whose .terraform.lock.hcl is committed, and the module it runs: each example,
    and each Terragrunt unit (its source is `modules//<unit>`, see live/_envcommon/<unit>.hcl)."""
    targets = {
        example: f"examples/{example.name}"
        for example in sorted((root / "examples").glob("*/"))
        if any(example.glob("*.tf"))
    }
    for unit in sorted((root / "live").glob("*/*/terragrunt.hcl")):
        common = root / "live" / "_envcommon" / f"{unit.parent.name}.hcl"
        match = re.search(r'source\s*=\s*".*/modules//([a-z0-9-]+)"', common.read_text())
        if match is None:
            raise SystemExit(f'{common}: no `source = ".../modules//<module>"`')
        targets[unit.parent] = f"modules/{match.group(1)}"
    return targets


def provider_version_override(root: Path = ROOT) -> str:
    """The provider pin root.hcl generates into every unit (provider_version_override.tf)."""
    match = PROVIDER_VERSION_BLOCK.search((root / "root.hcl").read_text())
    if match is None:
        raise SystemExit('root.hcl: no generate "provider_version" block with a heredoc')
    return textwrap.dedent(match.group(1)) + "\n"


def lock(platforms: Sequence[str], terraform: str = "terraform", root: Path = ROOT) -> list[str]:
    """Write each target's .terraform.lock.hcl with the provider hashes for `platforms`, from the
    provider mirror when there is one (the hashes it can compute), else from the registry (every
    platform's). Terraform keeps the hashes a lock file already has; the failures, if any."""
    mirror = find_mirror()
    override = provider_version_override(root)
    with tempfile.TemporaryDirectory(prefix="tf-lock-") as scratch:
        work = copy_configurations(root, Path(scratch) / "tree")
        env = cli_env(Path(scratch) / "cli")
        source = ["-fs-mirror", str(mirror)] if mirror else []

        def one(target: Path, module: str) -> str | None:
            if module.startswith("examples/"):
                config = work / module
            else:  # as Terragrunt prepares a unit in its cache: the source up to `//`, root.hcl's pin
                cache = Path(scratch) / "units" / target.relative_to(root)
                shutil.copytree(work / "modules", cache / "modules")
                config = cache / module
                (config / "provider_version_override.tf").write_text(override)
            if (target / LOCK_FILE).exists():
                shutil.copy(target / LOCK_FILE, config / LOCK_FILE)
            for args in (
                ["init", "-backend=false", "-input=false", "-no-color"],  # the modules, for `providers lock`
                ["providers", "lock", "-no-color", *source, *(f"-platform={p}" for p in platforms)],
            ):
                result = subprocess.run(
                    [terraform, *args], cwd=config, env=env, capture_output=True, text=True, check=False
                )
                if result.returncode != 0:
                    name = target.relative_to(root)
                    return f"{name}: terraform {' '.join(args[:2])} failed\n{result.stdout}{result.stderr}"
            shutil.copy(config / LOCK_FILE, target / LOCK_FILE)
            return None

        with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
            futures = [pool.submit(one, target, module) for target, module in lock_targets(root).items()]
            return [problem for future in futures if (problem := future.result())]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.terraform", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="init -backend=false and validate, in a scratch copy")
    check.add_argument("configs", nargs="*", help="e.g. modules/ecr (default: every module and example)")
    fmt = commands.add_parser("fmt", help="format Terragrunt .hcl files in place through terraform fmt -")
    fmt.add_argument("files", nargs="+", type=Path)
    locks = commands.add_parser(
        "lock", help="write the committed .terraform.lock.hcl files (example, live units)"
    )
    locks.add_argument(
        "--platform",
        action="append",
        default=None,
        help="e.g. linux_arm64, darwin_arm64 (default: linux_amd64)",
    )
    args = parser.parse_args(argv)
    if shutil.which("terraform") is None:
        print("terraform is not on PATH (see mise.toml for the version)", file=sys.stderr)
        return 2
    if args.command == "lock":
        failures = lock(args.platform or ["linux_amd64"])
        for failure in failures:
            print(failure, file=sys.stderr)
        return 1 if failures else 0
    if args.command == "fmt":
        for path in fmt_stdin(args.files):
            print(f"formatted {path}")
        return 0
    unknown = [config for config in args.configs if config not in configurations()]
    if unknown:
        parser.error(f"not a module or example: {', '.join(unknown)}")
    problems = validate(args.configs or configurations())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
