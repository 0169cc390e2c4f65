"""`python -m ci.sticky_comment --marker NAME --body-file FILE`: one comment per pull request and
purpose, updated in place on every push instead of piling up.

The pull request number comes from the event payload ($GITHUB_EVENT_PATH) unless --pr is given;
the body from a file written by a renderer (ci.scan_report, ci.plan_report), which put the marker
`<!-- lambda-api:NAME -->` in it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ci import failed
from ci.github import GitHub, GitHubError
from ci.markdown import GITHUB_BODY_LIMIT, marker


def pull_request_number(event_path: str | None) -> int:
    if not event_path:
        raise GitHubError("no --pr and no GITHUB_EVENT_PATH: run this from a pull_request workflow")
    try:
        event = json.loads(Path(event_path).read_text())
        return int(event["pull_request"]["number"])
    except (OSError, ValueError, KeyError, TypeError):
        raise GitHubError(f"{event_path} is not a pull_request event payload") from None


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.sticky_comment", description=__doc__.splitlines()[0])
    parser.add_argument("--marker", required=True, help="which sticky comment, e.g. scan or plan-dev")
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--pr", type=int, help="pull request number (default: from the event payload)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        body = args.body_file.read_text()
        if len(body) > GITHUB_BODY_LIMIT:
            raise GitHubError(
                f"{args.body_file} has {len(body):,} characters; GitHub takes {GITHUB_BODY_LIMIT:,}"
            )
        number = args.pr or pull_request_number(os.environ.get("GITHUB_EVENT_PATH"))
        outcome = GitHub.from_env().upsert_comment(number, marker(args.marker), body)
    except (GitHubError, OSError, ValueError) as exc:
        return failed("sticky_comment", exc)
    print(f"sticky_comment: {outcome} the {args.marker} comment on #{number}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
