"""`python -m ci.stack_outputs --working-dir live/dev`: the deployed stack's outputs the pipeline uses.

Runs `terragrunt output -json` in every unit of the environment (each directory holding a
terragrunt.hcl), merges them and writes, as step outputs:

    api_url            api-gateway's api_endpoint (the base URL clients call)
    function_name      lambda's function_name
    function_version   lambda's version (the version the apply just published)
    log_group_name     lambda's log_group_name
    alarm_names        monitoring's alarm_names, as JSON (and one per line in --alarms-file)
    release_<key>      each key of monitoring's release object (how `ops release` runs: canary
                       steps, step and bake seconds, the metrics and thresholds); lists comma-separated

Sensitive outputs are never read into the step outputs, and none of these names may be one.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ci import failed
from ci.github import step_outputs

WANTED = {
    "api_url": "api_endpoint",
    "function_name": "function_name",
    "function_version": "version",
    "log_group_name": "log_group_name",
    "alarm_names": "alarm_names",
    "release": "release",
}
SAFE_VALUE = re.compile(r"^[\w.:/@+=,-]*$")  # single-line values only: no way to forge another output


class OutputsError(Exception):
    """A unit's outputs could not be read, or a needed one is missing or ambiguous."""


def units(working_dir: Path) -> list[Path]:
    found = sorted(
        path.parent
        for path in working_dir.rglob("terragrunt.hcl")
        if ".terragrunt-cache" not in path.parts and path.parent != working_dir
    )
    if not found:
        raise OutputsError(f"no units (terragrunt.hcl) under {working_dir}")
    return found


def unit_outputs(unit: Path) -> dict[str, Any]:
    command = ["terragrunt", "run", "--working-dir", str(unit), "--non-interactive", "--log-disable", "--",
               "output", "-json"]  # fmt: skip
    try:
        # A fixed argv (no shell); terragrunt from PATH, as the workflow installs it.
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OutputsError(f"{unit}: cannot run terragrunt: {exc}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no error output)"])[-1]
        raise OutputsError(f"{unit}: terragrunt output failed ({result.returncode}): {last}")
    try:
        outputs = json.loads(result.stdout or "{}")
    except ValueError:
        raise OutputsError(f"{unit}: terragrunt output -json did not print JSON") from None
    return outputs if isinstance(outputs, dict) else {}


def collect(working_dir: Path) -> dict[str, Any]:
    found: dict[str, list[tuple[str, Any]]] = {}
    for unit in units(working_dir):
        for name, output in unit_outputs(unit).items():
            found.setdefault(name, []).append((str(unit), output))
    values: dict[str, Any] = {}
    for key, name in WANTED.items():
        candidates = found.get(name, [])
        if not candidates:
            raise OutputsError(f"no unit under {working_dir} has the output {name!r}")
        if len(candidates) > 1:
            raise OutputsError(
                f"output {name!r} comes from several units: {', '.join(u for u, _ in candidates)}"
            )
        source, output = candidates[0]
        if output.get("sensitive"):
            raise OutputsError(f"{source}: output {name!r} is sensitive; the pipeline will not print it")
        values[key] = output.get("value")
    if not isinstance(values["alarm_names"], list):
        raise OutputsError("alarm_names must be a list")
    if not isinstance(values["release"], dict):
        raise OutputsError("release must be an object")
    release = values.pop("release")
    for key, value in release.items():
        # One output per setting, so the workflow passes each to its option by name.
        values[f"release_{key}"] = ",".join(map(str, value)) if isinstance(value, list) else value
    return values


def lines(values: dict[str, Any]) -> str:
    rendered = []
    for key, value in values.items():
        text = json.dumps(value, separators=(",", ":")) if isinstance(value, list) else str(value)
        if "\n" in text or (not isinstance(value, list) and not SAFE_VALUE.match(text)):
            raise OutputsError(f"{key} has an unexpected value {text[:80]!r}")
        rendered.append(f"{key}={text}\n")
    return "".join(rendered)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.stack_outputs", description=__doc__.splitlines()[0])
    parser.add_argument("--working-dir", type=Path, required=True, help="the environment, e.g. live/dev")
    parser.add_argument("--alarms-file", type=Path, help="write the alarm names here, one per line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        values = collect(args.working_dir)
        rendered = lines(values)
    except OutputsError as exc:
        return failed("stack_outputs", exc)
    if args.alarms_file:
        args.alarms_file.write_text("".join(f"{name}\n" for name in values["alarm_names"]))
    step_outputs(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
