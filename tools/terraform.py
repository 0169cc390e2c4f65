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
import shutil
import subprocess
import sys
import tempfile
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


def configurations(root: Path = ROOT) -> list[str]:
    """Every module and example: the directories `terraform validate` applies to."""
    return sorted(
        str(path.relative_to(root))
        for parent in ("modules", "examples")
        for path in (root / parent).iterdir()
        if path.is_dir() and any(path.glob("*.tf"))
    )


def validate(configs: Sequence[str], terraform: str = "terraform", root: Path = ROOT) -> list[str]:
    """`init -backend=false` and `validate` for each configuration, in a scratch copy (the checkout
    gets no .terraform/); the failures, each with Terraform's output."""
    with tempfile.TemporaryDirectory(prefix="tf-validate-") as scratch:
        work = Path(scratch) / "tree"
        for part in ("modules", "examples"):
            shutil.copytree(root / part, work / part, ignore=shutil.ignore_patterns(*LOCAL_STATE))
        env = cli_env(Path(scratch) / "cli")

        def check(config: str) -> str | None:
            for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.terraform", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="init -backend=false and validate, in a scratch copy")
    check.add_argument("configs", nargs="*", help="e.g. modules/ecr (default: every module and example)")
    fmt = commands.add_parser("fmt", help="format Terragrunt .hcl files in place through terraform fmt -")
    fmt.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if shutil.which("terraform") is None:
        print("terraform is not on PATH (see mise.toml for the version)", file=sys.stderr)
        return 2
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
