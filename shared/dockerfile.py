"""The repository's Dockerfile as the image check, the closure tests and the benchmark read it: its
instructions, and the handler its final stage's CMD names."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent.parent / "Dockerfile"


class DockerfileError(ValueError):
    """The Dockerfile does not say what the closure needs to know."""


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def dockerfile_cmd(path: Path = DOCKERFILE) -> str:
    """The handler named by the final stage's CMD, which must use the exec (JSON) form."""
    final_stage: list[tuple[str, str]] = []
    for keyword, arguments in instructions(path.read_text()):
        if keyword == "FROM":
            final_stage = []
        final_stage.append((keyword, arguments))
    commands = [arguments for keyword, arguments in final_stage if keyword == "CMD"]
    if not commands:
        raise DockerfileError(f"{path}: the final stage has no CMD")
    try:
        command = json.loads(commands[-1])
    except ValueError:
        raise DockerfileError(
            f'{path}: CMD must be the JSON form, e.g. CMD ["app.handler.handler"]'
        ) from None
    if not (isinstance(command, list) and len(command) == 1 and isinstance(command[0], str)):
        raise DockerfileError(f"{path}: CMD must name exactly one handler, not {command!r}")
    if not re.fullmatch(r"[A-Za-z_][\w.]*\.[A-Za-z_]\w*", command[0]):
        raise DockerfileError(f"{path}: CMD {command[0]!r} is not a module.function handler")
    return command[0]
