""".dockerignore: the build context holds what the Dockerfile copies and nothing else.

The context is computed with docker-py's implementation of Docker's .dockerignore rules (the same
pattern semantics as the Docker CLI), over a tree seeded with everything that must stay out.
"""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]
# What must never reach the daemon: tests, infrastructure, VCS data, caches, local environments,
# state and secrets.
MUST_STAY_OUT = [
    "tests/test_x.py",
    "tests/image/conftest.py",
    "modules/lambda/main.tf",
    "examples/complete/main.tf",
    "live/dev/env.hcl",
    "root.hcl",
    "mise.toml",
    ".git/config",
    ".git/objects/ab/cdef",
    ".github/workflows/ci.yml",
    ".venv/bin/python",
    ".venv-checkov/lib/site.py",
    ".pytest_cache/v/cache",
    ".ruff_cache/0.1/x",
    ".hypothesis/examples/x",
    ".coverage",
    ".terraform/providers/x",
    ".terragrunt-cache/x/main.tf",
    "terraform.tfstate",
    ".local/state.json",
    ".env",
    "app/.env",
    "app/__pycache__/main.cpython-311.pyc",
    "app/handler.pyc",
    "bench/image.py",
    "ops/smoke.py",
    "ci/comment.py",
    "docs/index.md",
    "README.md",
    "Makefile",
    "pyproject.toml",
    "requirements-dev.txt",
]
MUST_BE_IN = ["Dockerfile", "requirements.txt", "app/__init__.py", "app/handler.py"]


def patterns(text: str) -> list[str]:
    """The non-comment lines, as the Docker CLI and docker-py read the file."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def context(root: Path, dockerignore: str) -> set[str]:
    """Files (not directories) that would be sent as the build context."""
    return {path for path in exclude_paths(str(root), patterns(dockerignore)) if (root / path).is_file()}


def seed(root: Path) -> None:
    for name in MUST_STAY_OUT + MUST_BE_IN:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_context_is_exactly_what_the_dockerfile_copies(tmp_path: Path) -> None:
    seed(tmp_path)
    dockerignore = (ROOT / ".dockerignore").read_text()
    (tmp_path / ".dockerignore").write_text(dockerignore)
    sent = context(tmp_path, dockerignore)
    assert sent == {".dockerignore", *MUST_BE_IN}, sorted(sent)


def test_a_denylist_that_forgets_things_is_caught(tmp_path: Path) -> None:
    seed(tmp_path)
    sloppy = "tests/\n.git\n"  # the usual hand-written list: venvs, infra, caches and secrets slip in
    sent = context(tmp_path, sloppy)
    assert {".venv/bin/python", ".env", "live/dev/env.hcl", "app/__pycache__/main.cpython-311.pyc"} <= sent


def test_the_real_context_holds_every_copy_source_and_no_bytecode() -> None:
    sent = context(ROOT, (ROOT / ".dockerignore").read_text())
    assert {"requirements.txt", "app/handler.py", "app/main.py"} <= sent
    outside = sorted(
        p
        for p in sent
        if not (p.startswith("app/") or p in {"requirements.txt", "Dockerfile", ".dockerignore"})
    )
    assert outside == []
    assert not [p for p in sent if "__pycache__" in p or p.endswith(".pyc")]
