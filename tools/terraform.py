"""Run Terraform the same way on an offline machine (provider mirror on disk) and online.

Machines without registry access keep the AWS provider in a filesystem mirror. Terraform only
looks there when a CLI config says so, and the config named by TF_CLI_CONFIG_FILE may not exist,
so every caller (tests, `make up`) gets an environment with a config written by `cli_env`.
"""

from __future__ import annotations

import os
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
