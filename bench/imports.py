"""What the Lambda entry point imports, and what each package costs: `python -X importtime`, repeated.

The handler's module is imported in fresh `python -I -S -B -X importtime` interpreters that see its
task root (bench/lambda_handlers.py builds it as the image does). For each module the smallest
self time over the runs is kept (the least disturbed by the rest of the machine), and the modules
are summed by top-level package: where the cold import goes, and so the floor it cannot go below
without leaving a package out. `python -m bench.imports` prints it; `make bench` ends with it.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.lambda_handlers import OURS, candidates, lambda_like_env, task_root

RUNS = 9
# __import__, not importlib.import_module: only the import statement's path reports to -X importtime.
PROBE = "import sys; sys.path.insert(0, sys.argv[1]); __import__(sys.argv[2])"


def self_times(root: Path, module: str, env: dict[str, str], runs: int = RUNS) -> dict[str, float]:
    """Milliseconds each module took to import itself (children excluded), the least of `runs`."""
    best: dict[str, float] = {}
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-X", "importtime", "-c", PROBE, str(root), module],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in result.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            own, _, name = line.removeprefix("import time:").split("|")
            if not own.strip().isdigit():
                continue  # the header line
            name = name.strip()
            best[name] = min(best.get(name, float("inf")), int(own) / 1000)
    return best


def by_package(times: dict[str, float]) -> list[tuple[str, int, float]]:
    """(top-level package, modules, milliseconds), most expensive first."""
    modules: collections.Counter[str] = collections.Counter()
    cost: dict[str, float] = collections.defaultdict(float)
    for name, ms in times.items():
        modules[name.split(".")[0]] += 1
        cost[name.split(".")[0]] += ms
    return sorted(((p, modules[p], cost[p]) for p in cost), key=lambda row: -row[2])


def report(times: dict[str, float], top: int = 25) -> str:
    rows = by_package(times)
    total = sum(ms for _, _, ms in rows)
    lines = [
        f"{len(times)} modules, {total:.1f} ms in all (least self time of {RUNS} runs each, summed)",
        f"  {'package':24}{'modules':>8}{'ms':>8}{'share':>8}",
    ]
    for package, count, ms in rows[:top]:
        lines.append(f"  {package:24}{count:>8}{ms:>8.1f}{ms / total:>8.0%}")
    rest = rows[top:]
    if rest:
        lines.append(
            f"  {f'{len(rest)} more packages':24}{sum(c for _, c, _ in rest):>8}{sum(m for _, _, m in rest):>8.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    ours = next(c for c in candidates() if c.name == OURS)
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as scratch:
        root = task_root(ours, Path(scratch) / "task")
        times = self_times(root, ours.module, lambda_like_env(ours))
    print(f"{ours.handler}, imported from its task root:")
    print(report(times), flush=True)


if __name__ == "__main__":
    main()
