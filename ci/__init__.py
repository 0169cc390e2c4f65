"""Scripts the GitHub Actions workflows (and `make image-test`) run: plain Python, tested in tests/ci."""

from __future__ import annotations

import sys


def failed(script: str, reason: object) -> int:
    """How every script fails: one line on stderr, `<script>: <reason>`, and exit status 1."""
    print(f"{script}: {reason}", file=sys.stderr)
    return 1
