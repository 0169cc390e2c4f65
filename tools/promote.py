"""`python -m tools.promote`: move an environment's pins (the image it runs, by digest) through live/.

    python -m tools.promote --from dev --to prod              # make promote FROM=dev TO=prod
    python -m tools.promote --pin dev --image URI [--app-version V]
                                                              # make pin ENV=dev IMAGE=URI [VERSION=V]
    python -m tools.promote --pin dev --memory-size 1024      # make pin ENV=dev MEMORY=1024

The pins are `image_uri` and `app_version` in live/<env>/env.hcl: what the environment runs, with git
history as the deploy log. `--from/--to` copies every pin of one environment into another, `--pin`
writes them into one. `--memory-size` sets the environment's `lambda_memory_size` (what `ops tune
--pin` writes). Only the pin lines change (the rest of the file stays byte for byte), the diff
is printed, and anything that would leave an unusable pin is refused with one line and exit status 1:
no pinned image in the source, an image not named by digest, a missing environment, an image in
another region, or a registry account the target may not pull from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from shared.pins import LIVE, PinError, pin, promote


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parser() -> Parser:
    parser = Parser(prog="python -m tools.promote", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", metavar="ENV", help="environment whose pins are copied")
    parser.add_argument("--to", dest="target", metavar="ENV", help="environment that receives them")
    parser.add_argument("--pin", metavar="ENV", help="environment to pin an image in")
    parser.add_argument("--image", help="with --pin: <repository url>@sha256:<digest>")
    parser.add_argument(
        "--app-version", help="with --pin: the image's version (default: derived from the digest)"
    )
    parser.add_argument(
        "--memory-size",
        type=int,
        metavar="MB",
        help="with --pin: the function's memory size (lambda_memory_size)",
    )
    parser.add_argument("--live-dir", type=Path, default=LIVE, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    command = parser()
    args = command.parse_args(argv)
    try:
        if args.pin is not None:
            if args.source is not None or args.target is not None:
                command.error("--pin cannot be combined with --from/--to")
            if not args.image and args.memory_size is None:
                raise PinError(
                    f"--pin {args.pin} needs --image <repository url>@sha256:<digest> or --memory-size MB"
                )
            if args.app_version and not args.image:
                command.error("--app-version goes with --image")
            diff = pin(args.live_dir, args.pin, args.image or None, args.app_version, args.memory_size)
            target = args.pin
        else:
            if not args.source or not args.target:
                raise PinError("name both environments: --from dev --to prod (make promote FROM=dev TO=prod)")
            if args.image or args.app_version or args.memory_size is not None:
                command.error("--image, --app-version and --memory-size go with --pin")
            diff = promote(args.live_dir, args.source, args.target)
            target = args.target
    except PinError as exc:
        print(f"promote: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"promote: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        diff if diff else f"live/{target}/env.hcl already holds these pins: nothing changed",
        end="" if diff else "\n",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
