"""`python -m ci.deploy_summary`: what a deploy job did, for the job summary and the failure notice.

Takes the environment, the image (by digest), the API URL, the function and version, and each
step's outcome (`--step apply=success --step release=failure ...`, from `steps.<id>.outcome`),
and writes a short Markdown report: the verdict first, then the facts, then the steps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ci import failed
from ci.markdown import code, escape_cell, run_url

ICONS = {"success": "✅", "failure": "❌", "cancelled": "⏹️", "skipped": "⏭️"}


def step(value: str) -> tuple[str, str]:
    name, separator, outcome = value.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=OUTCOME, got {value!r}")
    return name, outcome or "skipped"


def render(
    environment: str, image: str, api_url: str, function: str, version: str, steps: list[tuple[str, str]]
) -> str:
    failed = [name for name, outcome in steps if outcome == "failure"]
    rolled_back = dict(steps).get("rollback") == "success"
    if failed:
        verdict = f"❌ Deploy to {code(environment)} failed at {', '.join(failed)}"
        if rolled_back:
            verdict += "; the alias was rolled back"
    elif any(outcome in ("cancelled",) for _, outcome in steps):
        verdict = f"⏹️ Deploy to {code(environment)} was cancelled"
    else:
        verdict = f"✅ Deployed to {code(environment)}"
    rows = [
        ("Image", code(image) if image else "-"),
        ("API", api_url or "-"),
        ("Function", f"{code(function)} version {code(version)}" if function else "-"),
    ]
    url = run_url()
    lines = [f"### {verdict}", "", "| | |", "| --- | --- |"]
    lines += [f"| {name} | {escape_cell(value)} |" for name, value in rows]
    lines += ["", " · ".join(f"{ICONS.get(outcome, '•')} {name}" for name, outcome in steps)]
    if url:
        lines += ["", f"[Workflow run]({url})"]
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.deploy_summary", description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--image", default="")
    parser.add_argument("--api-url", default="")
    parser.add_argument("--function", default="")
    parser.add_argument("--version", default="")
    parser.add_argument("--step", type=step, action="append", default=[], metavar="NAME=OUTCOME")
    parser.add_argument("--output", type=Path, help="write the Markdown here")
    parser.add_argument("--summary", type=Path, help="append it here too (e.g. $GITHUB_STEP_SUMMARY)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    markdown = render(args.environment, args.image, args.api_url, args.function, args.version, args.step)
    try:
        if args.output:
            args.output.write_text(markdown)
        if args.summary:
            with args.summary.open("a") as summary:
                summary.write(markdown)
    except OSError as exc:
        return failed("deploy_summary", exc)
    print(markdown, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
