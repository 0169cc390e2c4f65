"""`python -m ci.scan_report`: one summary of the Checkov and Trivy results, and the build's verdict.

Reads Checkov's JSON report and Trivy's JSON reports (the repository's misconfigurations and
secrets, the image's vulnerabilities), as `python -m ci.scan` writes them, writes a Markdown summary
(passed / failed / skipped per tool, every failed check with its file and line) for the sticky PR
comment and the job summary, and with --gate exits 1 when a finding blocks the build:

- any Checkov failure that is not skipped (skips carry their reason inline, next to the code);
- a Trivy misconfiguration of HIGH or CRITICAL severity;
- any secret Trivy finds, whatever its severity;
- a Trivy vulnerability of HIGH or CRITICAL severity that has a fixed version.

Accepted Trivy findings are in .trivyignore.yaml, each with its reason. Only the reports named on
the command line are read (`make scan` has no image to scan); a named report file that does not
exist is shown as "not run" (the step that makes it failed or was skipped) and blocks under --gate:
a scan that did not happen is not a clean scan.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci.markdown import GITHUB_BODY_LIMIT, code, document, escape_cell, marker, run_url

BLOCKING_SEVERITIES = ("CRITICAL", "HIGH")
SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "UNKNOWN": 4, "": 5}
MAX_TABLE_ROWS = 100


class ReportError(ValueError):
    """A report file is not what its tool writes."""


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    severity: str
    where: str
    blocking: bool


@dataclass
class ToolResult:
    name: str
    passed: int | None = 0
    failed: int = 0
    skipped: int = 0
    findings: list[Finding] = field(default_factory=list)
    ran: bool = True

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]


def load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None


def checkov(report: Any) -> ToolResult:
    """Checkov's --output json: one object per framework, or a list of them."""
    result = ToolResult("Checkov")
    for framework in report if isinstance(report, list) else [report]:
        if not isinstance(framework, dict) or "summary" not in framework:
            raise ReportError("not a Checkov JSON report (no summary)")
        summary = framework["summary"]
        result.passed = (result.passed or 0) + int(summary.get("passed", 0))
        result.failed += int(summary.get("failed", 0))
        result.skipped += int(summary.get("skipped", 0))
        for check in framework.get("results", {}).get("failed_checks", []):
            path = str(check.get("repo_file_path") or check.get("file_path") or "?").lstrip("/")
            lines = check.get("file_line_range") or [0]
            result.findings.append(
                Finding(
                    rule=str(check.get("check_id")),
                    title=str(check.get("check_name") or ""),
                    severity=str(check.get("severity") or "").upper(),
                    where=f"{path}:{lines[0]}",
                    blocking=True,
                )
            )
    return result


def suppressed(target: dict[str, Any], kind: str) -> int:
    """Findings Trivy was told to ignore (shown with --show-suppressed), by type."""
    modified = target.get("ModifiedFindings") or target.get("ExperimentalModifiedFindings") or []
    return sum(1 for entry in modified if str(entry.get("Type", "")).lower() == kind)


def trivy_results(report: Any) -> list[dict[str, Any]]:
    if not isinstance(report, dict) or "SchemaVersion" not in report:
        raise ReportError("not a Trivy JSON report (no SchemaVersion)")
    return report.get("Results") or []


def trivy_config(report: Any) -> ToolResult:
    """Trivy over the repository: misconfigurations, and secrets (every secret blocks)."""
    result = ToolResult("Trivy config")
    for target in trivy_results(report):
        summary = target.get("MisconfSummary") or {}
        result.passed = (result.passed or 0) + int(summary.get("Successes", 0))
        result.skipped += suppressed(target, "misconfiguration") + suppressed(target, "secret")
        for secret in target.get("Secrets") or []:
            result.failed += 1
            result.findings.append(
                Finding(
                    rule=str(secret.get("RuleID")),
                    title=f"secret: {secret.get('Title') or secret.get('Category') or ''}".rstrip(": "),
                    severity=str(secret.get("Severity", "")).upper(),
                    where=f"{target.get('Target')}:{secret.get('StartLine') or 0}",
                    blocking=True,
                )
            )
        for misconfiguration in target.get("Misconfigurations") or []:
            if misconfiguration.get("Status", "FAIL") != "FAIL":
                continue
            severity = str(misconfiguration.get("Severity", "")).upper()
            line = (misconfiguration.get("CauseMetadata") or {}).get("StartLine") or 0
            result.failed += 1
            result.findings.append(
                Finding(
                    rule=str(misconfiguration.get("ID") or misconfiguration.get("AVDID")),
                    title=str(misconfiguration.get("Title") or misconfiguration.get("Message") or ""),
                    severity=severity,
                    where=f"{target.get('Target')}:{line}",
                    blocking=severity in BLOCKING_SEVERITIES,
                )
            )
    return result


def trivy_image(report: Any) -> ToolResult:
    result = ToolResult("Trivy image", passed=None)
    for target in trivy_results(report):
        result.skipped += suppressed(target, "vulnerability")
        for vulnerability in target.get("Vulnerabilities") or []:
            severity = str(vulnerability.get("Severity", "")).upper()
            fixed = str(vulnerability.get("FixedVersion") or "")
            package = f"{vulnerability.get('PkgName')} {vulnerability.get('InstalledVersion')}"
            result.failed += 1
            result.findings.append(
                Finding(
                    rule=str(vulnerability.get("VulnerabilityID")),
                    title=f"{package} (fixed in {fixed})" if fixed else f"{package} (no fix yet)",
                    severity=severity,
                    where=str(target.get("Target")),
                    blocking=severity in BLOCKING_SEVERITIES and bool(fixed),
                )
            )
    return result


def read(path: Path, name: str, parse: Callable[[Any], ToolResult]) -> ToolResult:
    if not path.exists():
        return ToolResult(name, passed=None, ran=False)
    return parse(load(path))


def table(results: list[ToolResult]) -> str:
    rows = ["| Tool | Passed | Failed | Skipped | Blocking |", "| --- | ---: | ---: | ---: | ---: |"]
    for result in results:
        if not result.ran:
            rows.append(f"| {result.name} | not run | | | ⛔ |")
            continue
        passed = "-" if result.passed is None else f"{result.passed:,}"
        rows.append(
            f"| {result.name} | {passed} | {result.failed:,} | {result.skipped:,} | {len(result.blocking):,} |"
        )
    return "\n".join(rows)


def ordered(findings: list[tuple[str, Finding]]) -> list[tuple[str, Finding]]:
    return sorted(findings, key=lambda pair: (not pair[1].blocking, SEVERITY_ORDER.get(pair[1].severity, 9)))


def render(results: list[ToolResult], limit: int = GITHUB_BODY_LIMIT) -> str:
    blocking = sum(len(r.blocking) for r in results) + sum(1 for r in results if not r.ran)
    verdict = "✅ no blocking findings" if not blocking else f"❌ {blocking} blocking"
    findings = ordered([(r.name, f) for r in results for f in r.findings])
    head = [
        marker("scan"),
        f"### Security scan: {verdict}",
        "",
        table(results),
        "",
        "Blocking: any Checkov failure that is not skipped; Trivy misconfigurations of HIGH or CRITICAL "
        "severity; any secret; HIGH or CRITICAL vulnerabilities that have a fix. A scan that did not run "
        "blocks too. Accepted Trivy findings are in `.trivyignore.yaml`, each with its reason.",
    ]
    if findings:
        head += ["", "| | Tool | Rule | Severity | Where | What |", "| --- | --- | --- | --- | --- | --- |"]
        for tool, finding in findings[:MAX_TABLE_ROWS]:
            head.append(
                f"| {'⛔' if finding.blocking else '⚠️'} | {tool} | {code(finding.rule)} | "
                f"{finding.severity or '-'} | {code(finding.where)} | {escape_cell(finding.title)} |"
            )
        if len(findings) > MAX_TABLE_ROWS:
            head.append(f"\n{len(findings) - MAX_TABLE_ROWS} more findings are listed below.")
    detail = "\n".join(
        f"{'BLOCKING' if f.blocking else 'info'}\t{tool}\t{f.rule}\t{f.severity or '-'}\t{f.where}\t{f.title}"
        for tool, f in findings
    )
    url = run_url()
    tail = f"[Workflow run]({url}) · SARIF for each tool is in the Security tab." if url else ""
    return document("\n".join(head), tail, f"All findings ({len(findings)})", detail, limit)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ci.scan_report", description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", type=Path, help="Checkov --output json report")
    parser.add_argument("--trivy-config", type=Path, help="Trivy config scan, --format json")
    parser.add_argument("--trivy-image", type=Path, help="Trivy image scan, --format json")
    parser.add_argument("--output", type=Path, help="write the Markdown summary here")
    parser.add_argument("--summary", type=Path, help="append it here too (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--gate", action="store_true", help="exit 1 when a finding blocks the build")
    return parser


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    reports = [
        (args.checkov, "Checkov", checkov),
        (args.trivy_config, "Trivy config", trivy_config),
        (args.trivy_image, "Trivy image", trivy_image),
    ]
    if not any(path for path, _, _ in reports):
        cli.error("name at least one report: --checkov, --trivy-config or --trivy-image")
    try:
        results = [read(path, name, parse) for path, name, parse in reports if path is not None]
    except (ReportError, OSError) as exc:
        print(f"scan_report: {exc}", file=sys.stderr)
        return 2
    markdown = render(results)
    if args.output:
        args.output.write_text(markdown)
    if args.summary:
        with args.summary.open("a") as summary:
            summary.write(markdown + "\n")
    blocking = [(r.name, f) for r in results for f in r.blocking]
    missing = [r.name for r in results if not r.ran]
    for tool, finding in blocking:
        print(f"{tool}: {finding.rule} {finding.severity or ''} {finding.where} {finding.title}".rstrip())
    for name in missing:
        print(f"{name}: no report (the scan did not run)")
    counts = Counter(f.severity or "-" for _, f in blocking)
    by_severity = f" {dict(counts)}" if counts else ""
    print(f"scan_report: {len(blocking)} blocking finding(s){by_severity}, {len(missing)} missing report(s)")
    return 1 if args.gate and (blocking or missing) else 0


if __name__ == "__main__":
    sys.exit(main())
