"""`python -m ci.base_image`: pin the Dockerfile's base image to the digest its tag has right now.

Reads the reference from the Dockerfile's final FROM (`public.ecr.aws/lambda/python:3.13`, less the
`${BASE_DIGEST}` placeholder), asks the registry for the digest of that tag's index with
`docker buildx imagetools inspect`, and writes `reference=` and `digest=@sha256:...` step outputs.
The build passes the digest as BASE_DIGEST, so both stages use the same bytes and the image's
`org.opencontainers.image.base.name` label records which.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from ci import failed
from ci.github import step_outputs
from shared.dockerfile import instructions

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class BaseImageError(Exception):
    """The base reference or its digest could not be determined."""


def reference(dockerfile: Path) -> str:
    froms = [arguments for keyword, arguments in instructions(dockerfile.read_text()) if keyword == "FROM"]
    if not froms:
        raise BaseImageError(f"{dockerfile} has no FROM")
    image = next(word for word in froms[-1].split() if not word.startswith("--"))
    image = image.replace("${BASE_DIGEST}", "")
    if "$" in image or ":" not in image.rsplit("/", 1)[-1]:
        raise BaseImageError(f"the final FROM must name a tagged image, not {image!r}")
    return image


def digest(image: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603 (a fixed argv, no shell)
            ["docker", "buildx", "imagetools", "inspect", image, "--format", "{{.Manifest.Digest}}"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaseImageError(f"cannot run docker buildx imagetools: {exc}") from None
    value = result.stdout.strip()
    if result.returncode != 0 or not DIGEST.match(value):
        error = (result.stderr.strip().splitlines() or [value or "no output"])[-1]
        raise BaseImageError(f"cannot resolve {image}: {error}")
    return value


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.base_image", description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=Path("Dockerfile"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        image = reference(args.dockerfile)
        pinned = digest(image)
    except (BaseImageError, OSError) as exc:
        return failed("base_image", exc)
    step_outputs(f"reference={image}\ndigest=@{pinned}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
