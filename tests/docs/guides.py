"""The docs' how-to guides, followed to the letter on a copy of the repository.

A guide marks each code block it wants written with `<!-- edit: FILE after: LINE -->` (the block
goes after that line, which must occur once in FILE) or `<!-- edit: FILE append -->`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDIT = re.compile(
    r"<!-- edit: (?P<file>\S+) (?P<where>append|after: (?P<anchor>.+?)) -->\n```\w*\n(?P<code>.*?)```", re.S
)


@dataclass
class Edit:
    file: str
    anchor: str | None  # the line the code goes after; None: at the end
    code: str


def edits(guide: str) -> list[Edit]:
    return [Edit(m["file"], m["anchor"], m["code"]) for m in EDIT.finditer(guide)]


def apply(tree: Path, edit: Edit) -> None:
    path = tree / edit.file
    text = path.read_text()
    if edit.anchor is None:
        path.write_text(text + edit.code)
        return
    lines = text.splitlines(keepends=True)
    (at,) = [n for n, line in enumerate(lines) if line.strip() == edit.anchor.strip()]
    lines.insert(at + 1, edit.code)
    path.write_text("".join(lines))


def unanchored(edits: list[Edit], tree: Path = ROOT) -> list[Edit]:
    """The edits whose anchor is not in its file exactly once (none, when the guide is current)."""
    missing = []
    for edit in edits:
        if edit.anchor is not None:
            lines = [line.strip() for line in (tree / edit.file).read_text().splitlines()]
            if lines.count(edit.anchor.strip()) != 1:
                missing.append(edit)
    return missing


def copy_repository(destination: Path) -> Path:
    """The files git tracks or would track (not .venv, caches, state), as they are in the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def follow(guide: Path, destination: Path, skip: str | None = None) -> Path:
    """A copy of the repository with the guide's edits applied (but those to the file `skip`)."""
    tree = copy_repository(destination)
    for edit in edits(guide.read_text()):
        if edit.file != skip:
            apply(tree, edit)
    return tree


def child_env() -> dict[str, str]:
    # Not measured: the copy's modules are not this checkout's.
    return {
        k: v for k, v in os.environ.items() if not k.startswith("COV_CORE") and k != "COVERAGE_PROCESS_START"
    }
