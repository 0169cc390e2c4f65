"""Command line: `python -m ops smoke|load|release|rollback|logs-check|tune ...`.

Exit codes: 0 success; 1 a check failed (smoke, load thresholds, rolled-back or refused release,
missing or malformed log lines); 2 bad input or environment (unreachable URL, unknown function or
alias, no credentials), reported as one line on stderr; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ops import OpsError


def positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return number


def non_negative(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {value}")
    return number


def percent(value: str) -> float:
    number = float(value)
    if not 0 < number < 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100 (exclusive), got {value}")
    return number


def fraction(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    try:
        path.write_text(json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise OpsError(f"cannot write {path}: {exc.strerror}") from None


def say(line: str) -> None:
    print(line, flush=True)


def cmd_smoke(args: argparse.Namespace) -> int:
    from ops import smoke

    report = smoke.run(
        args.base_url,
        origin=args.origin,
        timeout=args.timeout,
        warmup=args.warmup,
        max_body_bytes=args.max_body_bytes,
        expect_version=args.expect_version,
        skip=tuple(args.skip),
    )
    print(report.text())
    write_json(args.json, report.to_json())
    return 0 if report.ok else 1


def cmd_load(args: argparse.Namespace) -> int:
    from ops import load

    result = load.run(
        args.base_url,
        path=args.path,
        requests=args.requests,
        concurrency=args.concurrency,
        duration=args.duration,
        timeout=args.timeout,
    )
    print(result.text())
    breaches = load.verdict(result, args.max_error_rate, args.max_p99_ms)
    for breach in breaches:
        print(f"  FAIL        {breach}")
    if not breaches and (args.max_error_rate is not None or args.max_p99_ms is not None):
        print("  thresholds  met")
    write_json(args.json, {**result.to_json(), "ok": not breaches, "breaches": breaches})
    return 1 if breaches else 0


def smoke_probe(args: argparse.Namespace) -> Any:
    """A smoke run as a release check: failures (even an unreachable URL) are reasons to roll back."""
    from ops import smoke

    def probe() -> str | None:
        try:
            report = smoke.run(
                args.smoke_url,
                warmup=args.smoke_warmup,
                timeout=args.smoke_timeout,
                skip=tuple(args.smoke_skip),
            )
        except OpsError as exc:
            return f"smoke failed: {exc}"
        say(report.text())
        failed = [o.name for o in report.outcomes if not o.ok]
        return f"smoke failed: {', '.join(failed)}" if failed else None

    return probe


def cmd_release(args: argparse.Namespace) -> int:
    from ops import aws, release

    canary = args.canary or []
    if canary != sorted(set(canary)):
        raise OpsError(f"--canary steps must increase, got {' '.join(f'{c:g}' for c in canary)}")
    if args.smoke_url:
        # Fail on a bad URL now, not as a rollback reason halfway through.
        from ops import smoke

        smoke.base_url(args.smoke_url)
    fn = release.Function(aws.client("lambda"), args.function, args.alias)
    alarms = release.Alarms(aws.client("cloudwatch"), args.alarm, args.alarm_prefix)
    if args.alarm or args.alarm_prefix:
        say(f"watching {len(alarms.validate())} alarm(s)")
    elif not args.smoke_url:
        say("warning: no --alarm, --alarm-prefix or --smoke-url: nothing is watched during the shift")
    plan = release.Plan(args.version, canary, args.interval, args.poll, args.bake)
    smoke = smoke_probe(args) if args.smoke_url else None
    return release.release(fn, plan, release.alarm_probe(alarms), smoke, say)


def cmd_rollback(args: argparse.Namespace) -> int:
    from ops import aws, release

    fn = release.Function(aws.client("lambda"), args.function, args.alias)
    return release.rollback(fn, args.to_version, say)


def cmd_logs_check(args: argparse.Namespace) -> int:
    from ops import aws, logs

    expected = {request_id: logs.Expected() for request_id in args.request_id}
    if args.smoke_json:
        expected.update(logs.from_smoke(args.smoke_json))
    result = logs.check(
        aws.client("logs"),
        args.log_group,
        expected,
        timeout=args.timeout,
        poll=args.poll,
        since_minutes=args.since,
        lambda_fields=args.lambda_fields,
        service=args.service,
    )
    print(result.text())
    return 0 if result.ok else 1


def cmd_tune(args: argparse.Namespace) -> int:
    from ops import aws, tune

    sizes = tune.memory_sizes(args.memory)
    count = tune.invocation_count(args.invocations)
    if args.pin:
        tune.pin(args.pin, None, args.live_dir)  # a bad environment fails now, before anything changes
    tuning = tune.run(aws.client("lambda"), args.function, sizes, count, say)
    print(tuning.table(args.strategy))
    write_json(args.json, tuning.to_json(args.strategy))
    if args.svg is not None:
        try:
            args.svg.write_text(tune.chart(tuning, args.strategy))
        except OSError as exc:
            raise OpsError(f"cannot write {args.svg}: {exc.strerror}") from None
    best = tuning.recommend(args.strategy)
    if best is None:
        return 1
    if args.pin:
        print(tune.pin(args.pin, best.memory_mb, args.live_dir), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    from ops.smoke import DEFAULT_MAX_BODY_BYTES, check_names

    top = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("smoke", help="check every route of the API contract")
    p.add_argument("--base-url", required=True, help="the API's base URL, e.g. https://abc.execute-api.../")
    p.add_argument("--origin", help="also check CORS (preflight and simple request) for this Origin")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the report (with request ids) here")
    p.add_argument("--timeout", type=positive, default=10.0, metavar="S", help="per request (default 10)")
    p.add_argument(
        "--warmup",
        type=non_negative,
        default=60.0,
        metavar="S",
        help="retry connection errors, 5xx and 429 with backoff for this long from the start (default 60)",
    )
    p.add_argument(
        "--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES, help="the app's MAX_BODY_BYTES"
    )
    p.add_argument("--expect-version", help="require /health to report this version")
    p.add_argument(
        "--skip", action="append", default=[], choices=check_names(), metavar="CHECK", help="skip a check"
    )
    p.set_defaults(run=cmd_smoke)

    p = commands.add_parser("load", help="concurrent GET requests with latency percentiles")
    p.add_argument("--base-url", required=True)
    p.add_argument("--path", default="/hello", help="path under the base URL (default /hello)")
    p.add_argument("--requests", type=int, metavar="N", help="stop after N requests")
    p.add_argument("--concurrency", type=int, default=10, metavar="C", help="requests in flight (default 10)")
    p.add_argument("--duration", type=positive, metavar="S", help="stop after S seconds")
    p.add_argument("--timeout", type=positive, default=10.0, metavar="S", help="per request (default 10)")
    p.add_argument("--max-error-rate", type=fraction, metavar="R", help="fail above this error rate (0-1)")
    p.add_argument("--max-p99-ms", type=positive, metavar="M", help="fail when p99 latency exceeds M ms")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the result here")
    p.set_defaults(run=cmd_load)

    p = commands.add_parser("release", help="shift a Lambda alias to a version, with canary and rollback")
    p.add_argument("--function", required=True)
    p.add_argument("--alias", default="live")
    p.add_argument("--version", required=True, help="published version number to release")
    p.add_argument(
        "--canary",
        type=percent,
        action="append",
        metavar="PERCENT",
        help="traffic share for the new version during --interval; repeat for more steps",
    )
    p.add_argument(
        "--interval", type=non_negative, default=300.0, metavar="S", help="per canary step (default 300)"
    )
    p.add_argument(
        "--bake",
        type=non_negative,
        default=0.0,
        metavar="S",
        help="watch S seconds after the full shift (default 0)",
    )
    p.add_argument(
        "--poll", type=positive, default=10.0, metavar="S", help="alarm polling period (default 10)"
    )
    p.add_argument("--alarm", action="append", default=[], metavar="NAME", help="CloudWatch alarm to watch")
    p.add_argument("--alarm-prefix", metavar="P", help="watch every alarm whose name starts with P")
    p.add_argument("--smoke-url", help="run `ops smoke` against this URL at each step")
    p.add_argument("--smoke-warmup", type=non_negative, default=30.0, metavar="S")
    p.add_argument("--smoke-timeout", type=positive, default=10.0, metavar="S")
    p.add_argument("--smoke-skip", action="append", default=[], choices=check_names(), metavar="CHECK")
    p.set_defaults(run=cmd_release)

    p = commands.add_parser("rollback", help="point a Lambda alias back at the previous version")
    p.add_argument("--function", required=True)
    p.add_argument("--alias", default="live")
    p.add_argument("--to-version", help="this version instead of the previous one")
    p.set_defaults(run=cmd_rollback)

    p = commands.add_parser(
        "logs-check", help="verify the access log lines of request ids in CloudWatch Logs"
    )
    p.add_argument("--log-group", required=True)
    p.add_argument("--request-id", nargs="+", action="extend", default=[], metavar="ID")
    p.add_argument(
        "--smoke-json", type=Path, metavar="FILE", help="ids and expectations from `ops smoke --json`"
    )
    p.add_argument(
        "--timeout", type=non_negative, default=120.0, metavar="S", help="wait this long (default 120)"
    )
    p.add_argument("--poll", type=positive, default=5.0, metavar="S", help="search period (default 5)")
    p.add_argument("--since", type=positive, default=60.0, metavar="MINUTES", help="look back (default 60)")
    p.add_argument("--service", help="require this service name")
    p.add_argument(
        "--lambda-fields",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="require lambda_request_id and cold_start (lines from Lambda have them; default on)",
    )
    p.set_defaults(run=cmd_logs_check)

    p = commands.add_parser("tune", help="measure a function at several memory sizes and recommend one")
    p.add_argument("--function", required=True)
    p.add_argument(
        "--memory",
        default="128,256,512,1024,1769,3008",
        metavar="MB,MB,...",
        help="sizes to try, 128-10240 (default 128,256,512,1024,1769,3008)",
    )
    p.add_argument(
        "--invocations", default="10", metavar="N", help="per size; the first is a cold start (default 10)"
    )
    p.add_argument(
        "--strategy", choices=("cost", "speed", "balanced"), default="balanced", help="what to recommend for"
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write the measurements here")
    p.add_argument("--svg", type=Path, metavar="FILE", help="draw duration and cost against memory here")
    p.add_argument(
        "--pin", metavar="ENV", help="write the recommended size into live/ENV/env.hcl (lambda_memory_size)"
    )
    p.add_argument("--live-dir", type=Path, help=argparse.SUPPRESS)
    p.set_defaults(run=cmd_tune)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except OpsError as exc:
        print(f"ops {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ops {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Even a bug must not end a pipeline step in a traceback; OPS_DEBUG=1 shows it.
        if os.environ.get("OPS_DEBUG"):
            raise
        print(f"ops {args.command}: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
