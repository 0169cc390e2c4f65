"""The image's runtime closure, built without Docker: its size and the cold import time of its CMD.

`build_closure` does what the Dockerfile's builder stage does: requirements.txt alone, hash-checked,
wheels only, into a fresh target directory, with app/ beside it and bytecode compiled in the
unchecked-hash mode (the task root is read-only on Lambda). `cold_imports` times importing the
Dockerfile's CMD in fresh isolated interpreters (-I -S: the closure and the standard library only),
which is what an execution environment pays on a cold start before the first event.
`python -m bench` calls `main()`; `python -m bench.image` runs it alone.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shared.dockerfile import dockerfile_cmd

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
TARGET_BYTES = 5_000_000  # the budget for the runtime layer: 5 MB
RUNS = 9  # fresh interpreters per measurement (the median is reported)

# Imports the CMD's module in a fresh interpreter and prints the seconds it took. argv: closure, CMD.
IMPORT_PROBE = """
import importlib, sys, time
sys.path.insert(0, sys.argv[1])
module, _, attribute = sys.argv[2].rpartition(".")
start = time.perf_counter()
handler = getattr(importlib.import_module(module), attribute)
elapsed = time.perf_counter() - start
assert callable(handler), sys.argv[2]
print(elapsed)
"""


def build_closure(destination: Path, *, bytecode: bool = True, requirements: Path = REQUIREMENTS) -> Path:
    """requirements.txt + app/ in `destination`, as the builder stage leaves ${LAMBDA_TASK_ROOT}."""
    destination.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-input", "--no-compile", "--require-hashes", "--only-binary=:all:",
            "--target", str(destination), "-r", str(requirements),
        ],
        check=True,
    )  # fmt: skip
    shutil.copytree(ROOT / "app", destination / "app", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if bytecode:
        compile_bytecode(destination)
    return destination


def compile_bytecode(directory: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         str(directory)],
        check=True,
    )  # fmt: skip


def without_bytecode(closure: Path, destination: Path) -> Path:
    """A copy of `closure` with every .pyc removed: what the image would be without compileall."""
    shutil.copytree(closure, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def tree_bytes(directory: Path) -> int:
    """Bytes of every regular file under `directory` (what the image layer's tar carries, less headers)."""
    return sum(
        path.stat().st_size for path in directory.rglob("*") if path.is_file() and not path.is_symlink()
    )


def isolated_python() -> list[str]:
    """A fresh interpreter that sees only the standard library: no site-packages, no PYTHON* variables,
    no script directory on sys.path (-I), and no bytecode writes, as on Lambda's read-only task root (-B)."""
    return [sys.executable, "-I", "-S", "-B"]


def lambda_like_env() -> dict[str, str]:
    return {"AWS_LAMBDA_FUNCTION_NAME": "lambda-api-bench", "LANG": "C.UTF-8", "PATH": os.defpath}


def cold_imports(closure: Path, handler: str, runs: int = RUNS) -> list[float]:
    """Seconds to import `handler` from `closure`, once per fresh interpreter."""
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [*isolated_python(), "-c", IMPORT_PROBE, str(closure), handler],
            env=lambda_like_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"importing {handler} from {closure} failed:\n{result.stderr}")
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


@dataclass(frozen=True)
class Measurement:
    handler: str
    bytes_with_pyc: int
    bytes_without_pyc: int
    import_with_pyc: list[float]
    import_without_pyc: list[float]


def measure(runs: int = RUNS) -> Measurement:
    handler = dockerfile_cmd()
    with tempfile.TemporaryDirectory(prefix="image-closure-") as scratch:
        compiled = build_closure(Path(scratch) / "compiled", bytecode=True)
        source_only = without_bytecode(compiled, Path(scratch) / "source-only")
        return Measurement(
            handler=handler,
            bytes_with_pyc=tree_bytes(compiled),
            bytes_without_pyc=tree_bytes(source_only),
            import_with_pyc=cold_imports(compiled, handler, runs),
            import_without_pyc=cold_imports(source_only, handler, runs),
        )


def report(result: Measurement) -> str:
    def ms(times: list[float]) -> str:
        return f"median {statistics.median(times) * 1000:6.1f} ms (min {min(times) * 1000:.1f}, {len(times)} runs)"

    verdict = "within" if result.bytes_with_pyc < TARGET_BYTES else "OVER"
    return "\n".join(
        [
            "image runtime closure (requirements.txt + app/, as the Dockerfile's builder stage makes it)",
            f"  runtime layer, with .pyc     {result.bytes_with_pyc:>12,} bytes  "
            f"({verdict} the {TARGET_BYTES:,}-byte target)",
            f"  runtime layer, without .pyc  {result.bytes_without_pyc:>12,} bytes",
            f"  cold import of {result.handler}, isolated interpreter:",
            f"    with precompiled .pyc      {ms(result.import_with_pyc)}",
            f"    without .pyc               {ms(result.import_without_pyc)}",
        ]
    )


def main() -> None:
    print(report(measure()), flush=True)


if __name__ == "__main__":
    main()
