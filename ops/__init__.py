"""Operate the deployed API: smoke and load tests, canary releases with rollback, log checks.

Run as `python -m ops <subcommand>`; see ops/README.md. This package is a dev/ops tool: the
Lambda code path (app/) never imports it.
"""

from __future__ import annotations


class OpsError(Exception):
    """A problem with the input or the environment, reported as one line with exit code 2."""
