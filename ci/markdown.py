"""Markdown for PR comments, issues and job summaries: summary first, long text cut to fit.

GitHub refuses a comment or issue body over 65,536 characters, so every document is built as
head (the summary a reviewer needs) + one collapsible block of detail, cut from the end, + a
tail (the link to the full run log) that always survives.
"""

from __future__ import annotations

import os
import re

GITHUB_BODY_LIMIT = 65_536
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_url(environ: dict[str, str] | None = None) -> str | None:
    """This workflow run's page, from the variables every Actions job has."""
    env = os.environ if environ is None else environ
    server, repository, run_id = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repository and run_id):
        return None
    return f"{server}/{repository}/actions/runs/{run_id}"


def marker(name: str) -> str:
    """An invisible line that identifies a sticky comment or issue body written by this pipeline."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise ValueError(f"marker names are lower-case words joined by . _ -, not {name!r}")
    return f"<!-- lambda-api:{name} -->"


def escape_cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def code(text: str) -> str:
    """Inline code that survives backticks inside the text."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in the text, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    return "`" * (longest + 1)


def document(head: str, tail: str, detail_title: str, detail: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """head, then `detail` in a collapsible code block cut to fit `limit`, then tail.

    When the detail is cut, the block says how much was left out and the tail (a link to the run)
    is where the rest is. If even the head does not fit, it is cut too and the detail dropped.
    """
    detail = ANSI.sub("", detail).rstrip()
    fence = fence_for(detail)
    opening = f"<details><summary>{detail_title}</summary>\n\n{fence}text\n"
    closing = f"\n{fence}\n\n</details>\n"
    frame = f"{head.rstrip()}\n\n{opening}{closing}\n{tail.strip()}\n"
    room = limit - len(frame)
    if not detail:
        body = f"{head.rstrip()}\n\n{tail.strip()}\n"
    elif len(detail) <= room:
        body = f"{head.rstrip()}\n\n{opening}{detail}{closing}\n{tail.strip()}\n"
    else:
        note_template = "\n… {cut:,} more characters cut to fit GitHub's limit: see the run log.\n"
        note_room = len(note_template.format(cut=len(detail)))
        keep = max(0, room - note_room)
        cut_at = detail.rfind("\n", 0, keep)
        kept = detail[: cut_at if cut_at > keep // 2 else keep]
        note = note_template.format(cut=len(detail) - len(kept))
        body = f"{head.rstrip()}\n\n{opening}{kept}{note}{closing}\n{tail.strip()}\n"
    if len(body) > limit:  # the head alone is too long: keep its start and the tail
        suffix = f"\n\n… summary cut to fit GitHub's limit.\n\n{tail.strip()}\n"
        body = head[: max(0, limit - len(suffix))] + suffix
    return body[:limit]
