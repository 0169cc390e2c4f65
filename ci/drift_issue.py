"""`python -m ci.drift_issue --reports DIR`: keep one open issue labelled `drift` in step with the
nightly plans.

DIR holds, per environment, `<env>.md` (ci.plan_report --title Drift) and `<env>.json` (its
--status-file). Drift in any environment opens the issue, or rewrites the open one, with every
environment's report; a night with no drift anywhere comments and closes it. An environment whose
plan failed leaves the issue as it is (its state is unknown) and makes this exit 1, so the run fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from ci import failed
from ci.github import GitHub, GitHubError
from ci.markdown import GITHUB_BODY_LIMIT, marker, run_url

LABEL = "drift"
TITLE = "Infrastructure drift detected"


def read_reports(directory: Path) -> list[tuple[str, str, str]]:
    """(env, state, markdown) for each <env>.json in the directory, in name order."""
    reports = []
    for status_file in sorted(directory.glob("*.json")):
        status = json.loads(status_file.read_text())
        markdown_file = status_file.with_suffix(".md")
        markdown = markdown_file.read_text() if markdown_file.exists() else "(no report was written)"
        reports.append((str(status["env"]), str(status["state"]), markdown))
    if not reports:
        raise ValueError(f"no <env>.json status files in {directory}")
    return reports


def issue_body(reports: list[tuple[str, str, str]], now: datetime) -> str:
    url = run_url()
    states = ", ".join(f"`{env}`: {state}" for env, state, _ in reports)
    head = (
        f"{marker('drift')}\n"
        f"The nightly `terragrunt run --all plan -detailed-exitcode` found differences between the code "
        f"on the default branch and the infrastructure ({states}).\n\n"
        f"Last checked {now:%Y-%m-%d %H:%M} UTC" + (f" in [this run]({url})" if url else "") + ". "
        "Apply the code (or revert the manual change); this issue closes itself after a clean night.\n\n"
    )
    room = (GITHUB_BODY_LIMIT - len(head)) // len(reports)
    sections = [
        markdown if len(markdown) <= room else markdown[: room - 40] + "\n\n… (cut; see the run)\n"
        for _, _, markdown in reports
    ]
    return head + "\n\n---\n\n".join(sections)


def sync(github: GitHub, reports: list[tuple[str, str, str]], now: datetime) -> str:
    states = {state for _, state, _ in reports}
    existing = github.open_issue_with_label(LABEL)
    if "changes" in states:
        body = issue_body(reports, now)
        if existing:
            github.call("PATCH", f"/issues/{existing['number']}", {"body": body})
            return f"updated issue #{existing['number']}"
        github.ensure_label(LABEL, "d93f0b", "Infrastructure differs from the code (nightly plan)")
        created = github.call("POST", "/issues", {"title": TITLE, "body": body, "labels": [LABEL]})
        return f"opened issue #{created['number']}"
    if states == {"clean"} and existing:
        url = run_url()
        note = (
            f"No drift in any environment as of {now:%Y-%m-%d %H:%M} UTC"
            + (f" ([run]({url}))" if url else "")
            + "."
        )
        github.call("POST", f"/issues/{existing['number']}/comments", {"body": note})
        github.call(
            "PATCH", f"/issues/{existing['number']}", {"state": "closed", "state_reason": "completed"}
        )
        return f"closed issue #{existing['number']}"
    return "no drift; no open issue" if states == {"clean"} else "left the issue as it is"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.drift_issue", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, required=True, help="directory of <env>.md and <env>.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        reports = read_reports(args.reports)
        outcome = sync(GitHub.from_env(), reports, datetime.now(UTC))
    except (GitHubError, OSError, ValueError, KeyError) as exc:
        return failed("drift_issue", exc)
    plan_failed = [env for env, state, _ in reports if state == "error"]
    print(
        f"drift_issue: {outcome}" + (f"; the plan failed for {', '.join(plan_failed)}" if plan_failed else "")
    )
    return 1 if plan_failed else 0


if __name__ == "__main__":
    sys.exit(main())
