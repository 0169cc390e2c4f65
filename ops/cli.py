"""Command line: `python -m ops smoke|load|release|rollback|logs-check|preflight|tune ...`.

Exit codes: 0 success; 1 a check failed (smoke, load thresholds, rolled-back or refused release,
missing or malformed log lines, a failed preflight check); 2 bad input or environment (unreachable URL, unknown function or
alias, no credentials), reported as one line on stderr; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from ops import OpsError

# Past a day a time value is a typo (or inf); some would overflow the clock or the socket calls.
MAX_SECONDS = 86400
# CloudWatch Logs keeps events at most ten years (3653 days); --since looks back no further.
MAX_SINCE_MINUTES = 3653 * 24 * 60


def finite(value: str, unit: str = "") -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"must be a finite number{unit}, got {value}")
    return number


def amount(
    unit: str = "", limit: tuple[int, str] | None = None, zero: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number (of `unit`), positive or with `zero` also 0, and at most
    `limit` (a number and what it is) when there is one."""

    def parse(value: str) -> float:
        number = finite(value, f" of {unit}" if unit else "")
        if not (number >= 0 if zero else number > 0):
            raise argparse.ArgumentTypeError(f"must be {'zero or more' if zero else 'positive'}, got {value}")
        if limit is not None and number > limit[0]:
            raise argparse.ArgumentTypeError(f"must be at most {limit[0]} ({limit[1]}), got {value}")
        return number

    return parse


positive = amount()
seconds = amount("seconds", (MAX_SECONDS, "a day"))  # a positive number of seconds, up to a day
seconds_or_zero = amount("seconds", (MAX_SECONDS, "a day"), zero=True)
minutes = amount("minutes", (MAX_SINCE_MINUTES, "ten years"))


def percent(value: str) -> float:
    number = finite(value)
    if not 0 < number < 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100 (exclusive), got {value}")
    return number


def fraction(value: str) -> float:
    number = finite(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line like every other error of the CLI (argparse would print the usage first).
        name = self.prog.removeprefix("python -m ")
        self.exit(2, f"{name}: error: {message} (see {self.prog} --help)\n")


@contextmanager
def json_output(path: Path | None) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Where --json goes, opened before the run: an unwritable path fails now, not after the run."""
    if path is None:
        yield lambda data: None
        return
    try:
        handle = path.open("w")
    except OSError as exc:
        raise OpsError(f"cannot write {path}: {exc.strerror}") from None

    def write(data: dict[str, Any]) -> None:
        try:
            handle.write(json.dumps(data, indent=2) + "\n")
            handle.flush()
        except OSError as exc:
            raise OpsError(f"cannot write {path}: {exc.strerror}") from None

    with handle:
        yield write


@contextmanager
def reporting(args: argparse.Namespace) -> Iterator[Callable[[dict[str, Any]], None]]:
    """--base-url checked (a bad URL is reported before the --json file is touched), then --json."""
    from ops.smoke import base_url

    base_url(args.base_url)
    with json_output(args.json) as write:
        yield write


def named(args: argparse.Namespace, *options: str) -> dict[str, Any]:
    """The options, as keyword arguments of the function whose parameters they are named after."""
    return {option: getattr(args, option) for option in options}


def say(line: str) -> None:
    print(line, flush=True)


def cmd_smoke(args: argparse.Namespace) -> int:
    from ops import smoke

    options = named(args, "origin", "timeout", "warmup", "expect_version", "protected_route")
    with reporting(args) as write_json:
        report = smoke.run(args.base_url, skip=tuple(args.skip), token=bearer_token(args), **options)
        print(report.text())
        write_json(report.to_json())
    return 0 if report.ok else 1


def bearer_token(args: argparse.Namespace) -> str | None:
    """--token, else SMOKE_TOKEN (preferred: a command line shows in process lists and CI logs)."""
    return getattr(args, "token", None) or os.environ.get("SMOKE_TOKEN") or None


def cmd_load(args: argparse.Namespace) -> int:
    from ops import load

    load.check(args.requests, args.concurrency, args.duration, args.path)
    with reporting(args) as write_json:
        result = load.run(
            args.base_url, **named(args, "path", "requests", "concurrency", "duration", "timeout")
        )
        print(result.text())
        breaches = load.verdict(result, args.max_error_rate, args.max_p99_ms)
        for breach in breaches:
            print(f"  FAIL        {breach}")
        if not breaches and (args.max_error_rate is not None or args.max_p99_ms is not None):
            print("  thresholds  met")
        write_json({**result.to_json(), "ok": not breaches, "breaches": breaches})
    return 1 if breaches else 0


def smoke_probe(args: argparse.Namespace, out: Callable[[str], None] = say) -> Callable[[], str | None]:
    """The smoke checks as a release check, sent to the new version itself (Lambda Invoke, HTTP API
    2.0 events) and never retried: any failure, even no answer at all, is a reason to stop."""
    from ops import aws, invoke, smoke

    transport = invoke.VersionTransport(aws.client("lambda", attempts=1), args.function, args.version)

    def probe() -> str | None:
        out(f"smoke: version {args.version} of {args.function!r}, invoked directly")
        try:
            report = smoke.run(
                invoke.BASE_URL,
                warmup=0,
                timeout=args.smoke_timeout,
                skip=tuple(args.smoke_skip),
                transport=transport,
                retry_server_errors=False,
                token=bearer_token(args),  # SMOKE_TOKEN, for a deployment with protected routes
            )
        except OpsError as exc:
            # "cannot reach <placeholder URL>" says nothing here: the function's own error does.
            return f"smoke failed: {str(exc).replace(f'cannot reach {invoke.BASE_URL}: ', '')}"
        out(report.text())
        failed = [o.name for o in report.outcomes if not o.ok]
        return f"smoke failed: {', '.join(failed)}" if failed else None

    return probe


def cmd_release(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ops import aws, release, signal
    from ops.interrupt import terminate_as_interrupt

    canary = args.canary or []
    if canary != sorted(set(canary)):
        raise OpsError(f"--canary steps must increase, got {' '.join(f'{c:g}' for c in canary)}")
    spec = signal.Spec(
        args.metrics_namespace,
        args.service or "",
        args.max_error_rate,
        args.max_p99_ms,
        args.signal_period,
        args.signal_delay,
    )
    interval = spec.needs() if args.interval is None else args.interval
    bake = spec.needs() if args.bake is None else args.bake
    if args.service:
        # A step shorter than this ends before its traffic can be judged.
        for option, seconds in (("--interval", interval if canary else None), ("--bake", bake)):
            if seconds is not None and seconds < spec.needs():
                raise OpsError(
                    f"{option} {seconds:g} is shorter than the signal needs: {spec.needs():g} s "
                    f"(a {max(spec.period, signal.LAMBDA_PERIOD)} s period and {spec.delay:g} s of delivery)"
                )
        if len(canary) * interval + bake > signal.HIGH_RESOLUTION_SECONDS:
            raise OpsError("the release must end within 3 hours: one-second metrics are kept no longer")
    plan = release.Plan(args.version, canary, interval, args.poll, bake)
    fn = release.Function(aws.client("lambda"), args.function, args.alias)
    journal = release.Journal(args.function, args.alias, plan)
    alarms = release.Alarms(aws.client("cloudwatch"), args.alarm, args.alarm_prefix)
    watch = release.Watch()
    if args.alarm or args.alarm_prefix:
        count = len(alarms.validate())
        say(f"watching {count} alarm(s)")
        watch.alarms = release.alarm_probe(alarms)
        journal.watching.append(f"{count} alarm(s)")
    if args.smoke:
        watch.smoke = smoke_probe(args)
        journal.watching.append("the smoke checks, sent to the new version itself")
    if args.service:
        watch.signal = signal.VersionSignal(
            aws.client("cloudwatch"), spec, args.function, args.alias, args.version, datetime.now(UTC)
        )
        say(f"judging version {args.version} on its own metrics: {spec.describe()}")
        journal.watching.append(f"its own metrics: {spec.describe()}")
    if not (args.smoke or args.service):
        say("warning: no --smoke and no --service: nothing judges the new version itself")
    try:
        with terminate_as_interrupt():  # a cancelled CI job rolls back as Ctrl-C does
            return release.release(fn, plan, watch, say, journal=journal)
    finally:
        if args.summary:
            append(args.summary, journal.markdown())


def append(path: Path, text: str) -> None:
    try:
        with path.open("a") as file:
            file.write(text)
    except OSError as exc:
        raise OpsError(f"cannot write {path}: {exc.strerror}") from None


class Gone(argparse.Action):
    """An option that was removed: say what replaces it instead of a bare "unrecognized arguments"."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error(f"{self.option_strings[0]} is gone: {self.help}")


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
    with json_output(args.json) as write_json:
        tuning = tune.run(aws.client("lambda"), args.function, sizes, count, say)
        print(tuning.table(args.strategy))
        write_json(tuning.to_json(args.strategy))
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


def cmd_preflight(args: argparse.Namespace) -> int:
    from ops import preflight

    checks = preflight.run(args.env, args.live_dir)
    say(f"preflight {args.env}:")
    for check in checks:
        say(check.line())
    return 0 if all(check.ok for check in checks) else 1


def signal_periods() -> tuple[int, ...]:
    from ops.signal import PERIODS

    return PERIODS


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="python -m ops", description=__doc__.split("\n")[0])
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("smoke", help="check every route of the API contract")
    p.add_argument("--base-url", required=True, help="the API's base URL, e.g. https://abc.execute-api.../")
    p.add_argument("--origin", help="also check CORS (preflight and simple request) for this Origin")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the report (with request ids) here")
    p.add_argument("--timeout", type=seconds, default=10.0, metavar="S", help="per request (default 10)")
    p.add_argument(
        "--warmup",
        type=seconds_or_zero,
        default=60.0,
        metavar="S",
        help="retry connection errors, 5xx and 429 with backoff for this long from the start (default 60)",
    )
    p.add_argument("--max-body-bytes", action=Gone, help="the limit is read from the API's /openapi.json")
    p.add_argument("--expect-version", help="require /health to report this version")
    p.add_argument(
        "--token",
        metavar="JWT",
        help="bearer token for protected routes (default: $SMOKE_TOKEN, which keeps it out of process "
        "lists); adds checks that the protected route refuses requests without a valid one",
    )
    p.add_argument(
        "--protected-route",
        metavar="ROUTE",
        help="route that must refuse requests without a token, e.g. 'GET /hello' (default: the first "
        "operation /openapi.json marks as protected)",
    )
    p.add_argument("--skip", action="append", default=[], metavar="CHECK", help="skip a check (by its name)")
    p.set_defaults(run=cmd_smoke)

    p = commands.add_parser("load", help="concurrent GET requests with latency percentiles")
    p.add_argument("--base-url", required=True)
    p.add_argument("--path", default="/hello", help="path under the base URL (default /hello)")
    p.add_argument("--requests", type=int, metavar="N", help="stop after N requests")
    p.add_argument("--concurrency", type=int, default=10, metavar="C", help="requests in flight (default 10)")
    p.add_argument("--duration", type=seconds, metavar="S", help="stop after S seconds")
    p.add_argument("--timeout", type=seconds, default=10.0, metavar="S", help="per request (default 10)")
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
        "--interval",
        type=seconds_or_zero,
        metavar="S",
        help="per canary step (default: what the signal needs, --signal-delay + 60)",
    )
    p.add_argument(
        "--bake",
        type=seconds_or_zero,
        metavar="S",
        help="watch S seconds after the full shift (default: what the signal needs)",
    )
    p.add_argument(
        "--poll", type=seconds, default=10.0, metavar="S", help="checks every S seconds (default 10)"
    )
    p.add_argument("--alarm", action="append", default=[], metavar="NAME", help="CloudWatch alarm to watch")
    p.add_argument("--alarm-prefix", metavar="P", help="watch every alarm whose name starts with P")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="run the smoke checks against the new version itself before and at each step (no retries)",
    )
    p.add_argument("--smoke-timeout", type=seconds, default=10.0, metavar="S")
    p.add_argument("--smoke-skip", action="append", default=[], metavar="CHECK", help="skip a smoke check")
    p.add_argument(
        "--service",
        metavar="NAME",
        help="judge the new version on its own metrics: the app's (Service=NAME, Version=V) and Lambda's",
    )
    p.add_argument(
        "--metrics-namespace", default="LambdaApi", metavar="NS", help="the app's METRICS_NAMESPACE"
    )
    p.add_argument(
        "--max-error-rate",
        type=percent,
        default=1.0,
        metavar="PERCENT",
        help="roll back when a period's 5xx or failed invocations reach this share (default 1)",
    )
    p.add_argument(
        "--max-p99-ms", type=positive, metavar="MS", help="roll back when a period's p99 latency reaches MS"
    )
    p.add_argument(
        "--signal-period",
        type=int,
        default=10,
        choices=signal_periods(),
        metavar="S",
        help="10, 20, 30 or 60",
    )
    p.add_argument(
        "--signal-delay",
        type=seconds_or_zero,
        default=60.0,
        metavar="S",
        help="seconds CloudWatch may take to deliver a datapoint (default 60)",
    )
    p.add_argument("--summary", type=Path, metavar="FILE", help="append a Markdown report here")
    p.add_argument("--smoke-url", action=Gone, help="smoke checks now invoke the new version: use --smoke")
    p.add_argument("--smoke-warmup", action=Gone, help="the smoke checks of a release are never retried")
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
        "--timeout", type=seconds_or_zero, default=120.0, metavar="S", help="wait this long (default 120)"
    )
    p.add_argument("--poll", type=seconds, default=5.0, metavar="S", help="search period (default 5)")
    p.add_argument("--since", type=minutes, default=60.0, metavar="MINUTES", help="look back (default 60)")
    p.add_argument("--service", help="require this service name")
    p.add_argument(
        "--lambda-fields",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="require lambda_request_id and cold_start (lines from Lambda have them; default on)",
    )
    p.set_defaults(run=cmd_logs_check)

    p = commands.add_parser(
        "preflight", help="read-only checks before an environment's first deploy and before each apply"
    )
    p.add_argument("--env", required=True, help="the environment: a directory under live/ (dev, prod)")
    p.add_argument("--live-dir", type=Path, default=None, help=argparse.SUPPRESS)
    p.set_defaults(run=cmd_preflight)

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

    def stop(message: str, code: int) -> int:
        print(f"ops {args.command}: {message}", file=sys.stderr)
        return code

    try:
        return int(args.run(args))
    except OpsError as exc:
        return stop(f"error: {exc}", 2)
    except KeyboardInterrupt:
        return stop("interrupted", 130)
    except Exception as exc:
        # Even a bug must not end a pipeline step in a traceback; OPS_DEBUG=1 shows it.
        if os.environ.get("OPS_DEBUG"):
            raise
        return stop(f"unexpected error: {type(exc).__name__}: {exc}", 2)
