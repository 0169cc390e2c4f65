"""`python -m ci.commit_pin --environment dev --image URI`: record a deploy in git.

After a release, `make pin` has written the environment's pins (live/<env>/env.hcl: the image by
digest and its version). This commits that one file and pushes it to the branch, so the committed
pins say what runs (plans and the nightly drift check use them) and git history is the deploy log.
A push that loses a race with another commit is rebased and retried; a conflict on the pin itself
(another deploy pinned the same environment meanwhile) is refused rather than overwritten.

With GITHUB_TOKEN set, git authenticates with it through a one-off header (never written to the
repository's config nor printed): the checkout keeps `persist-credentials: false`.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from ci import failed

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
ATTEMPTS = 3
# The bot is author and committer of the pin, also when a rebase rewrites it (runners have no git
# identity configured).
IDENTITY = {
    "GIT_AUTHOR_NAME": BOT_NAME,
    "GIT_AUTHOR_EMAIL": BOT_EMAIL,
    "GIT_COMMITTER_NAME": BOT_NAME,
    "GIT_COMMITTER_EMAIL": BOT_EMAIL,
}


class PinError(Exception):
    """The pin could not be committed or pushed; the message says why."""


def git(
    repo: Path, *args: str, auth: list[str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 (git with fixed arguments, no shell)
        ["git", *(auth or []), *args],  # noqa: S607
        cwd=repo,
        # The bot is author and committer of the pin, also when a rebase rewrites it (runners have no
        # git identity configured).
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PinError(f"git {args[0]} failed: {last}")
    return result


def auth_header(environ: dict[str, str]) -> list[str]:
    token = environ.get("GITHUB_TOKEN", "")
    if not token:
        return []
    server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return ["-c", f"http.{server}/.extraheader=AUTHORIZATION: basic {basic}"]


def commit(repo: Path, environment: str, image: str) -> bool:
    """Commit live/<env>/env.hcl; False when it holds nothing new."""
    path = f"live/{environment}/env.hcl"
    if not git(repo, "status", "--porcelain", "--", path).stdout.strip():
        return False
    digest = image.rsplit("@", 1)[-1]
    message = f"deploy: pin {environment} to {digest[:19]}\n\nImage: {image}\n"
    git(repo, "add", "--", path)
    git(
        repo,
        "-c",
        f"user.name={BOT_NAME}",
        "-c",
        f"user.email={BOT_EMAIL}",
        "commit",
        "--quiet",
        "-m",
        message,
    )
    return True


def push(repo: Path, branch: str, auth: list[str]) -> int:
    """Push HEAD to the branch, rebasing onto it when someone pushed first. Returns the attempts used."""
    for attempt in range(1, ATTEMPTS + 1):
        git(repo, "fetch", "--quiet", "origin", branch, auth=auth)
        rebase = git(repo, "rebase", f"origin/{branch}", check=False)
        if rebase.returncode != 0:
            git(repo, "rebase", "--abort", check=False)
            raise PinError(f"the pin conflicts with origin/{branch} (another deploy pinned it meanwhile?)")
        if (
            git(
                repo, "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", auth=auth, check=False
            ).returncode
            == 0
        ):
            return attempt
    raise PinError(f"origin/{branch} kept moving: gave up after {ATTEMPTS} attempts")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.commit_pin", description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True)
    parser.add_argument("--image", required=True, help="the pinned image (<repository>@sha256:...)")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--repo", type=Path, default=Path("."))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", args.environment):
        print(f"commit_pin: not an environment name: {args.environment!r}", file=sys.stderr)
        return 2
    try:
        if not commit(args.repo, args.environment, args.image):
            print(f"commit_pin: live/{args.environment}/env.hcl already pins this image; nothing to commit")
            return 0
        attempts = push(args.repo, args.branch, auth_header(dict(os.environ)))
    except (PinError, subprocess.TimeoutExpired, OSError) as exc:
        return failed("commit_pin", exc)
    print(f"commit_pin: pushed the {args.environment} pin to {args.branch} (attempt {attempts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
