"""`python -m ci.plan_report`: summarise a `terragrunt run --all plan` for a PR comment or an issue.

Terragrunt writes each unit's plan as JSON (`--out-dir D --json-out-dir D` gives
D/<unit>/tfplan.json); those give exact counts per unit (add, change, replace, destroy), the
addresses that will be destroyed or replaced, and what changed outside Terraform (drift). The
command's log is the full text, shown collapsed after the summary and cut to fit GitHub's
65,536-character limit, with a link to the run for the rest.

Exit status follows `plan -detailed-exitcode` as `terragrunt run --all` merges it (0 no changes,
2 changes, anything else an error): `--status-file` records which, for the drift workflow, and
the command exits 1 when the plan failed so the step fails after the report is written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci.markdown import ANSI, GITHUB_BODY_LIMIT, code, document, fence_for, marker, run_url

MAX_LISTED = 60
TIMESTAMP = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} ")
ERROR_LINE = re.compile(r"\b(ERROR|Error:)")


@dataclass
class UnitPlan:
    unit: str
    add: list[str] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    replace: list[str] = field(default_factory=list)
    destroy: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    outputs: int = 0

    @property
    def changes(self) -> int:
        return len(self.add) + len(self.change) + len(self.replace) + len(self.destroy)


def unit_plan(unit: str, plan: dict[str, Any]) -> UnitPlan:
    """Counts from a plan's JSON representation (`terraform show -json`)."""
    result = UnitPlan(unit)
    for change in plan.get("resource_changes") or []:
        if change.get("mode") == "data":
            continue
        actions = tuple(change.get("change", {}).get("actions") or ())
        address = str(change.get("address"))
        if actions == ("create",):
            result.add.append(address)
        elif actions == ("update",):
            result.change.append(address)
        elif actions == ("delete",):
            result.destroy.append(address)
        elif set(actions) == {"create", "delete"}:
            result.replace.append(address)
    for drifted in plan.get("resource_drift") or []:
        if drifted.get("mode") != "data":
            drift_actions = "/".join(drifted.get("change", {}).get("actions") or ())
            result.drift.append(f"{drifted.get('address')} ({drift_actions})")
    result.outputs = sum(
        1
        for change in (plan.get("output_changes") or {}).values()
        if change.get("actions") not in (["no-op"], None)
    )
    return result


def read_plans(directory: Path | None) -> list[UnitPlan]:
    if directory is None or not directory.is_dir():
        return []
    plans = []
    for path in sorted(directory.rglob("tfplan.json")):
        unit = str(path.parent.relative_to(directory)) or "."
        try:
            plans.append(unit_plan(unit, json.loads(path.read_text())))
        except ValueError:
            plans.append(UnitPlan(f"{unit} (unreadable tfplan.json)"))
    return plans


def clean_log(text: str) -> str:
    return "\n".join(TIMESTAMP.sub("", ANSI.sub("", line)).rstrip() for line in text.splitlines())


def state_of(exit_code: int) -> str:
    return {0: "clean", 2: "changes"}.get(exit_code, "error")


def headline(env: str, title: str, plans: list[UnitPlan], state: str) -> str:
    if state == "error":
        return f"### ❌ {title} · {code(env)} · failed"
    add, change, replace, destroy = (
        sum(len(getattr(p, k)) for p in plans) for k in ("add", "change", "replace", "destroy")
    )
    drift = sum(len(p.drift) for p in plans)
    if not (add or change or replace or destroy):
        extra = f", {drift} changed outside Terraform" if drift else ""
        return f"### ✅ {title} · {code(env)} · no changes{extra}"
    icon = "⚠️" if destroy or replace else "📝"
    return (
        f"### {icon} {title} · {code(env)} · {add} to add, {change} to change, "
        f"{replace} to replace, {destroy} to destroy"
    )


def summary_lines(plans: list[UnitPlan], state: str, log: str) -> list[str]:
    lines: list[str] = []
    if state == "error":
        errors = [line for line in log.splitlines() if ERROR_LINE.search(line)][:30] or [
            "(no error line found)"
        ]
        fence = fence_for("\n".join(errors))
        lines += ["The plan failed. First error lines:", "", f"{fence}text", *errors, fence, ""]
    dangerous = [(p.unit, a, "replace") for p in plans for a in p.replace] + [
        (p.unit, a, "destroy") for p in plans for a in p.destroy
    ]
    if dangerous:
        lines.append("**Destroyed or replaced:**")
        lines += [
            f"- {verb} {code(address)} in {code(unit)}" for unit, address, verb in dangerous[:MAX_LISTED]
        ]
        lines.append("")
    if plans:
        lines += [
            "| Unit | Add | Change | Replace | Destroy | Outputs |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {code(p.unit)} | {len(p.add)} | {len(p.change)} | {len(p.replace)} | {len(p.destroy)} | {p.outputs} |"
            for p in plans
        ]
        lines.append("")
    elif state != "error":
        lines += ["No unit wrote a plan (is the directory right?).", ""]
    drifted = [(p.unit, d) for p in plans for d in p.drift]
    if drifted:
        lines.append("**Changed outside Terraform since the last apply:**")
        lines += [f"- {code(d)} in {code(unit)}" for unit, d in drifted[:MAX_LISTED]]
        lines.append("")
    changed = [
        (p.unit, sign, a) for p in plans for sign, items in (("+", p.add), ("~", p.change)) for a in items
    ]
    if changed:
        lines.append("<details><summary>Created or changed</summary>\n")
        lines += [
            f"- `{sign}` {code(address)} in {code(unit)}" for unit, sign, address in changed[:MAX_LISTED]
        ]
        if len(changed) > MAX_LISTED:
            lines.append(f"- … and {len(changed) - MAX_LISTED} more")
        lines.append("\n</details>\n")
    return lines


def render(
    env: str, title: str, plans: list[UnitPlan], exit_code: int, log: str, limit: int = GITHUB_BODY_LIMIT
) -> str:
    state = state_of(exit_code)
    log = clean_log(log)
    head = "\n".join(
        [marker(f"{'drift' if title == 'Drift' else 'plan'}-{env}"), headline(env, title, plans, state), "",
         *summary_lines(plans, state, log)]
    )  # fmt: skip
    url = run_url()
    tail = f"Full output: [workflow run]({url})." if url else ""
    return document(head, tail, "Full output", log, limit)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.plan_report", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, help="environment name, e.g. dev")
    parser.add_argument("--plans", type=Path, help="terragrunt --json-out-dir (holds <unit>/tfplan.json)")
    parser.add_argument("--log", type=Path, required=True, help="the command's combined output")
    parser.add_argument("--exit-code", type=int, required=True, help="terragrunt's exit code")
    parser.add_argument("--title", default="Plan", choices=["Plan", "Drift"])
    parser.add_argument("--output", type=Path, required=True, help="write the Markdown here")
    parser.add_argument("--summary", type=Path, help="append it here too (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--status-file", type=Path, help="write {env, state, counts} as JSON here")
    parser.add_argument("--limit", type=int, default=GITHUB_BODY_LIMIT, help="maximum characters of Markdown")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        log = args.log.read_text(errors="replace") if args.log.exists() else ""
        plans = read_plans(args.plans)
        markdown = render(args.env, args.title, plans, args.exit_code, log, args.limit)
        args.output.write_text(markdown)
        if args.summary:
            with args.summary.open("a") as summary:
                summary.write(markdown + "\n")
        state = state_of(args.exit_code)
        if args.status_file:
            counts = {
                k: sum(len(getattr(p, k)) for p in plans)
                for k in ("add", "change", "replace", "destroy", "drift")
            }
            args.status_file.write_text(json.dumps({"env": args.env, "state": state, "counts": counts}))
    except OSError as exc:
        print(f"plan_report: {exc}", file=sys.stderr)
        return 2
    print(f"plan_report: {args.env}: {state}")
    return 1 if state == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
