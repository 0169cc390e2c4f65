"""`python -m ci.scan`: Checkov and Trivy over the repository, with the one list of flags the
pipeline uses.

The workflow's scan job and `make scan` both run this, so the two cannot drift; the verdict is
`python -m ci.scan_report --gate` over the reports it writes:

    OUT/checkov/results_json.json, results_sarif.sarif    Checkov (Terraform, Dockerfile, workflows, secrets)
    OUT/trivy-config.json, trivy-config.sarif             Trivy misconfigurations and secrets
    OUT/trivy-image.json, trivy-image.sarif               Trivy vulnerabilities of an image (--image, CI only)

Findings never fail this command (the gate decides, after the reports are published); a scanner that
cannot run, or writes no report, does (exit 1). Trivy uses only the checks built into the pinned
binary (requirements-trivy.txt) and, for the repository, no database, so it runs offline and gives
the same answer here and in CI. Accepted Trivy findings live in .trivyignore.yaml, each with its
reason; Checkov's skips sit next to the code they concern. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Not scanned: the tests' deliberately broken fixtures, and what a checkout grows locally (virtual
# environments, Terraform and Terragrunt caches, the local stack's state). Checkov leaves out every
# hidden directory by itself (`.github` has its own framework); Trivy is told.
SKIP_DIRS = ("tests",)
TRIVY_SKIP_DIRS = (".venv", ".venv-checkov", ".venv-trivy", ".local", "**/.terraform", "**/.terragrunt-cache")
CHECKOV_FRAMEWORKS = ("terraform", "dockerfile", "github_actions", "secrets")
TRIVY_IGNORE_FILE = ".trivyignore.yaml"
# --soft-fail: findings are the gate's business, after the reports are published.
CHECKOV_FLAGS = ("--skip-download", "--soft-fail", "--quiet", "--compact")
# --show-suppressed: what .trivyignore.yaml accepted stays in the report, with its statement.
TRIVY_FLAGS = (
    "--skip-version-check",
    "--disable-telemetry",
    "--quiet",
    "--show-suppressed",
    "--exit-code",
    "0",
)
# --skip-check-update: the checks embedded in the pinned binary (offline, and the same everywhere).
TRIVY_REPOSITORY_FLAGS = ("--scanners", "misconfig,secret", "--skip-check-update")
TRIVY_IMAGE_FLAGS = ("--scanners", "vuln")


def checkov_command(checkov: str, output: Path, skip: Sequence[str] = ()) -> list[str]:
    """Checkov over the current directory: JSON for the gate, SARIF for code scanning."""
    # --skip-path is a regular expression searched in each path (./tests, ./modules/x/tests, ...).
    skip_paths = [f"(^|/){re.escape(name)}(/|$)" for name in (*SKIP_DIRS, *skip)]
    return [
        checkov,
        "--directory",
        ".",
        "--framework",
        *CHECKOV_FRAMEWORKS,
        *(arg for path in skip_paths for arg in ("--skip-path", path)),
        *CHECKOV_FLAGS,
        *("--output", "cli", "--output", "json", "--output", "sarif"),
        *("--output-file-path", str(output)),
    ]


def trivy_repository_command(trivy: str, report: Path, cache: Path, skip: Sequence[str] = ()) -> list[str]:
    """Trivy over the current directory: misconfigurations and secrets, as JSON."""
    skip_dirs = [*SKIP_DIRS, *TRIVY_SKIP_DIRS, *skip]
    return [
        trivy,
        "fs",
        *TRIVY_REPOSITORY_FLAGS,
        *TRIVY_FLAGS,
        # A fresh cache: no checks bundle that an earlier online run may have left behind.
        *("--cache-dir", str(cache)),
        *("--ignorefile", TRIVY_IGNORE_FILE),
        *(arg for name in skip_dirs for arg in ("--skip-dirs", name)),
        *("--format", "json", "--output", str(report)),
        ".",
    ]


def trivy_image_command(trivy: str, report: Path, image: str) -> list[str]:
    """Trivy over an image's packages (needs its vulnerability database: CI only)."""
    return [
        trivy,
        "image",
        *TRIVY_IMAGE_FLAGS,
        *TRIVY_FLAGS,
        *("--ignorefile", TRIVY_IGNORE_FILE),
        *("--format", "json", "--output", str(report)),
        image,
    ]


def sarif_command(trivy: str, report: Path) -> list[str]:
    """The same findings as SARIF, from the JSON report (no second scan)."""
    return [trivy, "convert", "--format", "sarif", "--output", str(report.with_suffix(".sarif")), str(report)]


def run(name: str, commands: list[list[str]], cwd: Path, log: Path, expected: Path) -> str | None:
    """Run one scanner's commands in order; what went wrong, or None."""
    expected.unlink(missing_ok=True)  # a report left from an earlier run must not pass for this one
    with log.open("w") as out:
        for command in commands:
            # A fixed argv (the scanners named on the command line, the flags above), no shell.
            result = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
            if result.returncode != 0:
                return f"{name} exited {result.returncode} (see {log})"
    if not expected.is_file():
        return f"{name} wrote no report {expected} (see {log})"
    return None


def find(tool: str, given: str | None) -> str:
    found = shutil.which(given or tool)
    if found is None:
        raise SystemExit(
            f"ci.scan: {given or tool} not found: install it with `make .venv-{tool}/.installed` "
            f"(or pass --{tool} PATH)"
        )
    return found


def scan(directory: Path, output: Path, checkov: str | None, trivy: str | None) -> list[str]:
    """Checkov and Trivy over `directory`, side by side; the problems (empty when both wrote reports)."""
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    # Reports written inside the scanned tree are not scanned themselves.
    root = directory.resolve()
    skip = [output.relative_to(root).as_posix()] if output.is_relative_to(root) else []
    checkov_out = output / "checkov"
    trivy_report = output / "trivy-config.json"
    with tempfile.TemporaryDirectory(prefix="trivy-cache-") as cache:
        trivy_bin = find("trivy", trivy)
        jobs = {
            "checkov": (
                [checkov_command(find("checkov", checkov), checkov_out, skip)],
                output / "checkov.log",
                checkov_out / "results_json.json",
            ),
            "trivy": (
                [
                    trivy_repository_command(trivy_bin, trivy_report, Path(cache), skip),
                    sarif_command(trivy_bin, trivy_report),
                ],
                output / "trivy-config.log",
                trivy_report,
            ),
        }
        with ThreadPoolExecutor(len(jobs)) as pool:
            futures = [
                pool.submit(run, name, commands, directory, log, expected)
                for name, (commands, log, expected) in jobs.items()
            ]
            return [problem for future in futures if (problem := future.result())]


def scan_image(image: str, output: Path, trivy: str | None, cwd: Path) -> list[str]:
    output = output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    trivy_bin = find("trivy", trivy)
    report = output / "trivy-image.json"
    commands = [trivy_image_command(trivy_bin, report, image), sarif_command(trivy_bin, report)]
    problem = run("trivy image", commands, cwd, output / "trivy-image.log", report)
    return [problem] if problem else []


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.scan", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=Path("results"), help="reports go here (default results)"
    )
    parser.add_argument("--checkov", help="the checkov executable (default: checkov on PATH)")
    parser.add_argument("--trivy", help="the trivy executable (default: trivy on PATH)")
    parser.add_argument("--image", help="scan this image's packages instead of the repository")
    parser.add_argument(
        "directory", nargs="?", type=Path, default=Path("."), help="the repository (default .)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if not args.directory.is_dir():
        cli.error(f"{args.directory} is not a directory")
    if args.image:
        problems = scan_image(args.image, args.output, args.trivy, args.directory)
    else:
        problems = scan(args.directory, args.output, args.checkov, args.trivy)
    for problem in problems:
        print(f"ci.scan: {problem}", file=sys.stderr)
    if not problems:
        print(f"ci.scan: reports in {args.output}/ (the verdict: python -m ci.scan_report --gate)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
