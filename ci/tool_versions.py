"""`python -m ci.tool_versions`: the tool versions pinned in mise.toml, as step outputs.

mise.toml is the one place versions are pinned (developers run `mise install`); workflows read it
here instead of repeating the numbers: `terraform=1.11.4`, `terragrunt=...` lines appended to
$GITHUB_OUTPUT (or printed).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

from ci import failed
from ci.github import step_outputs

REQUIRED = ("terraform", "terragrunt")
EXACT = re.compile(r"^\d+\.\d+\.\d+$")


def versions(path: Path) -> dict[str, str]:
    tools = tomllib.loads(path.read_text()).get("tools") or {}
    found: dict[str, str] = {}
    for name in REQUIRED:
        value = tools.get(name)
        if isinstance(value, dict):
            value = value.get("version")
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, str) or not EXACT.match(value.removeprefix("v")):
            raise ValueError(f"{path}: [tools] {name} must be an exact version like 1.2.3, not {value!r}")
        found[name] = value.removeprefix("v")
    return found


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.tool_versions", description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=Path("mise.toml"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        found = versions(args.file)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        return failed("tool_versions", exc)
    step_outputs("".join(f"{name}={version}\n" for name, version in found.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
