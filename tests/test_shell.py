"""The repository's shell scripts pass ShellCheck (warnings and above)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [ROOT / ".ci" / "run", *sorted((ROOT / "tools").glob("*.sh"))]


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(s.relative_to(ROOT)) for s in SCRIPTS])
def test_shellcheck_is_clean(script: Path) -> None:
    completed = subprocess.run(
        [shutil.which("shellcheck") or "shellcheck", "--severity=warning", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stdout


def test_shellcheck_catches_a_broken_script(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/usr/bin/env bash\nfor f in $(ls *.txt); do rm $f; done\ncd $DIR\n")
    completed = subprocess.run(
        [shutil.which("shellcheck") or "shellcheck", "--severity=warning", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert "SC2045" in completed.stdout  # iterating over ls output
