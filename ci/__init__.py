"""Scripts the GitHub Actions workflows (and `make image-test`) run: plain Python, tested in tests/ci."""

from __future__ import annotations

import sys


def failed(script: str, reason: object) -> int:
    """A script that cannot do its job: one line on stderr, `<script>: <reason>`, and exit status 1.
    Where 1 is a verdict (plan_report: the plan failed; scan_report: the gate), the same line exits 2."""
    print(f"{script}: {reason}", file=sys.stderr)
    return 1
