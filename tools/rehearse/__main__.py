"""`python -m tools.rehearse`: walk the deploy path, print progress per step and the table.

Exit status 0 when nothing was denied and every step finished, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tools import terraform
from tools.rehearse.run import Rehearsal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rehearse", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workdir", type=Path, help="keep the working files here (default: a temporary directory)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rehearse-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        rehearsal = Rehearsal(
            workdir, terraform.cli_env(workdir / "terraform"), out=lambda line: print(line, flush=True)
        )
        result = rehearsal.run()
    print()
    print(result.table())
    for name, why in sorted(result.unmapped.items()):
        print(f"not judged: {name}: {why}")
    for name, why in sorted(result.tolerated.items()):
        print(f"tolerated: {name}: {why}")
    for line in result.probes:
        print(f"refused as it must be: {line}")
    print(f"\n{len(result.denied)} denied" + ("" if result.ok else f", {len(result.errors)} step errors"))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
