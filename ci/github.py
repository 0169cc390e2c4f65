"""The few GitHub REST calls the workflows make: sticky comments and the drift issue.

Standard library only. The token, API URL and repository come from the variables every Actions job
has (GITHUB_TOKEN must be passed in `env:`); nothing is read from `${{ }}` inside a script.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class GitHubError(Exception):
    """A GitHub API call failed; the message says which and why."""


def step_outputs(lines: str) -> None:
    """`name=value` lines as the step's outputs ($GITHUB_OUTPUT, when set), and printed for the log."""
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a") as stream:
            stream.write(lines)
    print(lines, end="")


@dataclass(frozen=True)
class GitHub:
    api_url: str
    repository: str
    token: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GitHub:
        env = os.environ if environ is None else environ
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
        if missing:
            raise GitHubError(f"{' and '.join(missing)} must be set (pass GITHUB_TOKEN in the step's env)")
        api_url = env.get("GITHUB_API_URL") or "https://api.github.com"
        if not api_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise GitHubError(f"GITHUB_API_URL must be https, not {api_url!r}")
        return cls(api_url.rstrip("/"), env["GITHUB_REPOSITORY"], env["GITHUB_TOKEN"])

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.api_url}/repos/{self.repository}{path}"
        request = urllib.request.Request(  # noqa: S310 (https API URL, checked in from_env)
            url,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "lambda-api-ci",
                **({"Content-Type": "application/json"} if body is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise GitHubError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise GitHubError(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
        return json.loads(raw) if raw else None

    def pages(self, path: str) -> list[Any]:
        """Every item of a paginated list (100 per page)."""
        items: list[Any] = []
        separator = "&" if "?" in path else "?"
        page = 1
        while True:
            batch = self.call("GET", f"{path}{separator}per_page=100&page={page}")
            items.extend(batch)
            if len(batch) < 100:
                return items
            page += 1

    def upsert_comment(self, issue: int, marker: str, body: str) -> str:
        """Update the comment carrying `marker` on an issue or pull request, or create it."""
        if marker not in body:
            raise GitHubError("the comment body must contain its marker, or it could not be found again")
        for comment in self.pages(f"/issues/{issue}/comments"):
            if marker in (comment.get("body") or ""):
                self.call("PATCH", f"/issues/comments/{comment['id']}", {"body": body})
                return "updated"
        self.call("POST", f"/issues/{issue}/comments", {"body": body})
        return "created"

    def open_issue_with_label(self, label: str) -> dict[str, Any] | None:
        """The oldest open issue (not pull request) carrying `label`."""
        query = urllib.parse.urlencode(
            {"labels": label, "state": "open", "sort": "created", "direction": "asc"}
        )
        issues = [i for i in self.pages(f"/issues?{query}") if "pull_request" not in i]
        return issues[0] if issues else None

    def ensure_label(self, name: str, color: str, description: str) -> None:
        try:
            self.call("POST", "/labels", {"name": name, "color": color, "description": description})
        except GitHubError as exc:
            if "HTTP 422" not in str(exc):  # 422: it exists already
                raise
