"""The Markdown the workflows post: summary first, cut to GitHub's limit, verdicts from real reports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ci import deploy_summary, plan_report, scan_report, tool_versions
from ci.markdown import GITHUB_BODY_LIMIT, code, document, marker, run_url


@pytest.fixture(autouse=True)
def actions_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "example-org/lambda-api")
    monkeypatch.setenv("GITHUB_RUN_ID", "77")


RUN = "https://github.com/example-org/lambda-api/actions/runs/77"

# --- markdown ------------------------------------------------------------------------------------------


def test_document_keeps_everything_when_it_fits() -> None:
    body = document("## head", "[run](x)", "Details", "line 1\nline 2")
    assert body.index("## head") < body.index("line 1") < body.index("[run](x)")
    assert "cut to fit" not in body


# No time limits: on a busy machine generating 200 kB texts can be slow, which says nothing of the code.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.text(min_size=1, max_size=3000),
    detail=st.text(max_size=200_000),
    limit=st.integers(min_value=2000, max_value=GITHUB_BODY_LIMIT),
)
def test_document_never_exceeds_the_limit_and_keeps_summary_and_link(
    head: str, detail: str, limit: int
) -> None:
    body = document(head, "[Workflow run](https://example.test/run)", "Full output", detail, limit)
    assert len(body) <= limit
    assert body.startswith(head.rstrip()[:100])
    assert body.rstrip().endswith("[Workflow run](https://example.test/run)")


def test_document_cuts_the_detail_at_a_line_and_says_so() -> None:
    detail = "\n".join(f"line {n:06d}" for n in range(20_000))
    body = document("## summary", "[run](x)", "Full output", detail)
    assert len(body) <= GITHUB_BODY_LIMIT
    assert len(body) > GITHUB_BODY_LIMIT - 200  # it uses the room it has
    assert "more characters cut to fit GitHub's limit" in body
    kept = body.split("```text\n", 1)[1].split("\n…", 1)[0]
    assert all(line.startswith("line ") and len(line) == 11 for line in kept.splitlines())


def test_backticks_in_the_detail_cannot_close_the_block() -> None:
    body = document("h", "t", "d", "before\n```\nafter ````")
    fence = body.split("<summary>d</summary>\n\n", 1)[1].split("text\n", 1)[0]
    assert fence == "`````"
    assert code("a`b") == "``a`b``"


def test_markers_and_run_url() -> None:
    assert marker("plan-dev") == "<!-- lambda-api:plan-dev -->"
    with pytest.raises(ValueError, match="marker names"):
        marker("Plan Dev")
    assert run_url() == RUN
    assert run_url({}) is None


# --- scan report -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Checkov JSON report: a Dockerfile with one skip and a failure, a Terraform failure."""
    project = tmp_path_factory.mktemp("checkov-project")
    (project / "Dockerfile").write_text(
        "FROM public.ecr.aws/lambda/python:3.13\n"
        "# checkov:skip=CKV_DOCKER_3: Lambda ignores USER\n"
        "ADD app.py /var/task/\n"
        'CMD ["app.handler"]\n'
    )
    (project / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "example"\n}\n')
    out = project / "out"
    # As the workflow runs it: from the repository root, over `.`.
    subprocess.run(
        ["checkov", "--directory", ".", "--framework", "dockerfile", "terraform", "--skip-download",
         "--soft-fail", "--quiet", "--output", "json", "--output-file-path", str(out)],
        capture_output=True, check=True, cwd=project,
    )  # fmt: skip
    return out / "results_json.json"


def trivy(results: list[dict[str, Any]]) -> dict[str, Any]:
    """A Trivy JSON report (schema version 2) around the given results."""
    return {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "repository", "Results": results}


TRIVY_CONFIG = trivy(
    [
        {
            "Target": "modules/lambda/main.tf",
            "Class": "config",
            "Type": "terraform",
            "MisconfSummary": {"Successes": 40, "Failures": 2},
            "Misconfigurations": [
                {"ID": "AWS-0066", "Title": "Lambda functions should have X-Ray tracing enabled", "Severity": "LOW",
                 "Status": "FAIL", "CauseMetadata": {"StartLine": 12, "EndLine": 30}},
                {"ID": "AWS-0057", "Title": "IAM policy should avoid use of wildcards", "Severity": "HIGH",
                 "Status": "FAIL", "CauseMetadata": {"StartLine": 44, "EndLine": 50}},
            ],
        },
        {"Target": "Dockerfile", "Class": "config", "Type": "dockerfile", "MisconfSummary": {"Successes": 20, "Failures": 0},
         "ModifiedFindings": [{"Type": "misconfiguration", "Status": "ignored", "Finding": {"ID": "DS-0002"}}]},
    ]
)  # fmt: skip
TRIVY_IMAGE = trivy(
    [
        {
            "Target": "lambda-api:ci (amazon 2023)",
            "Class": "os-pkgs",
            "Type": "amazon",
            "Vulnerabilities": [
                {"VulnerabilityID": "CVE-2026-0001", "PkgName": "openssl-libs", "InstalledVersion": "3.0.8-1",
                 "FixedVersion": "3.0.8-2", "Severity": "CRITICAL"},
                {"VulnerabilityID": "CVE-2026-0002", "PkgName": "glibc", "InstalledVersion": "2.34-1",
                 "FixedVersion": "", "Severity": "HIGH"},
                {"VulnerabilityID": "CVE-2026-0003", "PkgName": "curl", "InstalledVersion": "8.0-1",
                 "FixedVersion": "8.0-2", "Severity": "MEDIUM"},
            ],
        }
    ]
)  # fmt: skip


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_checkov_counts_and_failures_come_from_its_report(checkov_report: Path) -> None:
    result = scan_report.checkov(json.loads(checkov_report.read_text()))
    assert result.skipped == 1
    assert result.failed == len(result.findings) > 1
    assert result.passed
    assert result.passed > 0
    rules = {f.rule: f for f in result.findings}
    assert rules["CKV_DOCKER_4"].where == "Dockerfile:3"  # ADD instead of COPY, on its line
    assert any(f.where.startswith("main.tf:1") for f in result.findings)
    assert all(f.blocking for f in result.findings)


def test_trivy_config_and_image_findings() -> None:
    config = scan_report.trivy_config(TRIVY_CONFIG)
    assert (config.passed, config.failed, config.skipped) == (60, 2, 1)
    assert [f.rule for f in config.blocking] == ["AWS-0057"]
    assert config.blocking[0].where == "modules/lambda/main.tf:44"
    image = scan_report.trivy_image(TRIVY_IMAGE)
    # HIGH without a fix and MEDIUM with one are reported but do not block.
    assert [f.rule for f in image.blocking] == ["CVE-2026-0001"]
    assert image.failed == 3
    assert "(fixed in 3.0.8-2)" in image.blocking[0].title


def test_scan_summary_and_gate(
    checkov_report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "trivy-config.json", TRIVY_CONFIG)
    image = write(tmp_path / "trivy-image.json", TRIVY_IMAGE)
    output, summary = tmp_path / "scan.md", tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    args = ["--checkov", str(checkov_report), "--trivy-config", str(config), "--trivy-image", str(image)]
    assert scan_report.main([*args, "--output", str(output), "--summary", str(summary)]) == 0
    assert scan_report.main([*args, "--gate"]) == 1
    markdown = output.read_text()
    assert markdown.startswith(marker("scan"))
    assert summary.read_text() == "earlier step\n" + markdown + "\n"
    lines = markdown.splitlines()
    assert lines[1].startswith("### Security scan: ❌")
    table = [line for line in lines if line.startswith(("| Checkov |", "| Trivy"))]
    assert table[1] == "| Trivy config | 60 | 2 | 1 | 1 |"
    assert table[2] == "| Trivy image | - | 3 | 0 | 1 |"
    # Findings: blocking first, each with file and line; the full list below, then the run link.
    first_finding = next(i for i, line in enumerate(lines) if line.startswith("| ⛔ |"))
    assert all(not line.startswith("| ⚠️ |") for line in lines[:first_finding])
    assert "`modules/lambda/main.tf:44`" in markdown
    assert "`Dockerfile:3`" in markdown
    assert markdown.rstrip().endswith(f"[Workflow run]({RUN}) · SARIF for each tool is in the Security tab.")
    assert "CVE-2026-0001" in capsys.readouterr().out


def test_a_clean_scan_passes_the_gate(tmp_path: Path) -> None:
    checkov = write(tmp_path / "c.json", {"check_type": "dockerfile", "results": {"failed_checks": []},
                                          "summary": {"passed": 10, "failed": 0, "skipped": 2}})  # fmt: skip
    config = write(
        tmp_path / "tc.json", trivy([{"Target": "x.tf", "MisconfSummary": {"Successes": 5, "Failures": 0}}])
    )
    image = write(tmp_path / "ti.json", trivy([{"Target": "img", "Vulnerabilities": None}]))
    output = tmp_path / "scan.md"
    args = ["--checkov", str(checkov), "--trivy-config", str(config), "--trivy-image", str(image)]
    assert scan_report.main([*args, "--gate", "--output", str(output)]) == 0
    assert "### Security scan: ✅ no blocking findings" in output.read_text()


def test_a_missing_report_blocks_and_a_foreign_one_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "tc.json", trivy([]))
    args = ["--checkov", str(tmp_path / "nope.json"), "--trivy-config", str(config)]
    assert scan_report.main([*args, "--gate"]) == 1
    assert "Checkov: no report" in capsys.readouterr().out
    wrong = write(tmp_path / "wrong.json", {"something": "else"})
    assert scan_report.main(["--checkov", str(wrong)]) == 2
    assert "not a Checkov JSON report" in capsys.readouterr().err


def test_every_secret_blocks_and_an_accepted_one_counts_as_skipped(tmp_path: Path) -> None:
    report = trivy(
        [
            {"Target": "app/settings.py", "Class": "secret", "Secrets": [
                {"RuleID": "github-pat", "Category": "GitHub", "Title": "GitHub Personal Access Token",
                 "Severity": "CRITICAL", "StartLine": 3, "Match": "TOKEN = \"****\""},
                {"RuleID": "jwt-token", "Category": "JWT", "Title": "JWT token", "Severity": "MEDIUM",
                 "StartLine": 9},
            ]},
            {"Target": "docs/example.md", "Class": "secret",
             "ExperimentalModifiedFindings": [{"Type": "secret", "Status": "ignored", "Finding": {}}]},
        ]
    )  # fmt: skip
    config = scan_report.trivy_config(report)
    assert [(f.rule, f.where, f.severity) for f in config.blocking] == [
        ("github-pat", "app/settings.py:3", "CRITICAL"),
        ("jwt-token", "app/settings.py:9", "MEDIUM"),  # a secret blocks whatever its severity
    ]
    assert config.blocking[0].title == "secret: GitHub Personal Access Token"
    assert (config.failed, config.skipped) == (2, 1)
    path = write(tmp_path / "tc.json", report)
    assert scan_report.main(["--trivy-config", str(path), "--gate"]) == 1


def test_only_the_named_reports_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`make scan` has no image to scan: it names two reports, and the image's is not missing."""
    config = write(tmp_path / "tc.json", trivy([{"Target": "x.tf", "MisconfSummary": {"Successes": 5}}]))
    output = tmp_path / "scan.md"
    assert scan_report.main(["--trivy-config", str(config), "--gate", "--output", str(output)]) == 0
    assert "Trivy image" not in output.read_text()
    assert "0 missing report(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        scan_report.main(["--gate"])
    assert exit_info.value.code == 2
    assert "name at least one report" in capsys.readouterr().err


def test_a_long_scan_summary_is_cut_to_the_limit(tmp_path: Path) -> None:
    many = trivy([{"Target": "img", "Vulnerabilities": [
        {"VulnerabilityID": f"CVE-2026-{n:05d}", "PkgName": "p" * 50, "InstalledVersion": "1", "FixedVersion": "2",
         "Severity": "HIGH"} for n in range(3000)]}])  # fmt: skip
    output = tmp_path / "scan.md"
    assert (
        scan_report.main(["--trivy-image", str(write(tmp_path / "ti.json", many)), "--output", str(output)])
        == 0
    )
    markdown = output.read_text()
    assert len(markdown) <= GITHUB_BODY_LIMIT
    assert "2900 more findings are listed below" in markdown
    assert markdown.rstrip().endswith("Security tab.")


# --- plan report ------------------------------------------------------------------------------------------


def plan(*changes: tuple[str, list[str]], drift: list[tuple[str, list[str]]] = ()) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": address, "mode": "managed", "change": {"actions": actions}}
            for address, actions in changes
        ]
        + [{"address": "data.aws_region.current", "mode": "data", "change": {"actions": ["read"]}}],
        "resource_drift": [
            {"address": address, "mode": "managed", "change": {"actions": actions}}
            for address, actions in drift
        ],
        "output_changes": {"api_endpoint": {"actions": ["no-op"]}, "version": {"actions": ["update"]}},
    }


def plans_dir(tmp_path: Path, plans: dict[str, dict[str, Any]]) -> Path:
    directory = tmp_path / "plans"
    for unit, data in plans.items():
        (directory / unit).mkdir(parents=True)
        (directory / unit / "tfplan.json").write_text(json.dumps(data))
    return directory


LOG = """\
12:00:00.000 INFO   [lambda] Running command: terraform plan -input=false
12:00:01.000 STDOUT [lambda] terraform: \x1b[1m# aws_lambda_function.this\x1b[0m will be updated in-place
12:00:01.100 STDOUT [lambda] terraform: Plan: 0 to add, 1 to change, 0 to destroy.
"""


def test_plan_summary_first_with_counts_per_unit(tmp_path: Path) -> None:
    directory = plans_dir(
        tmp_path,
        {
            "lambda": plan(
                ("aws_lambda_function.this", ["update"]),
                ("aws_lambda_alias.live", ["no-op"]),
                ("aws_iam_role.this", ["delete", "create"]),
            ),
            "monitoring": plan(("aws_cloudwatch_metric_alarm.errors", ["create"])),
            "ecr": plan(drift=[("aws_ecr_repository.this", ["update"])]),
        },
    )
    log = tmp_path / "plan.log"
    log.write_text(LOG)
    output, status = tmp_path / "plan.md", tmp_path / "dev.json"
    argv = ["--env", "dev", "--plans", str(directory), "--log", str(log), "--exit-code", "2",
            "--output", str(output), "--status-file", str(status)]  # fmt: skip
    assert plan_report.main(argv) == 0
    markdown = output.read_text()
    lines = markdown.splitlines()
    assert lines[0] == marker("plan-dev")
    assert lines[1] == "### ⚠️ Plan · `dev` · 1 to add, 1 to change, 1 to replace, 0 to destroy"
    assert "- replace `aws_iam_role.this` in `lambda`" in markdown
    assert "| `lambda` | 0 | 1 | 1 | 0 | 1 |" in markdown
    assert "| `ecr` | 0 | 0 | 0 | 0 | 1 |" in markdown
    assert "`aws_ecr_repository.this (update)` in `ecr`" in markdown  # changed outside Terraform
    # The full log comes after the summary, without colours or timestamps, then the link.
    assert markdown.index("| `lambda` |") < markdown.index("<details><summary>Full output")
    assert "STDOUT [lambda] terraform: # aws_lambda_function.this will be updated" in markdown
    assert "\x1b" not in markdown
    assert "12:00:01.000" not in markdown
    assert markdown.rstrip().endswith(f"Full output: [workflow run]({RUN}).")
    assert json.loads(status.read_text()) == {
        "env": "dev", "state": "changes",
        "counts": {"add": 1, "change": 1, "replace": 1, "destroy": 0, "drift": 1},
    }  # fmt: skip


def test_no_changes_and_drift_titles(tmp_path: Path) -> None:
    directory = plans_dir(tmp_path, {"lambda": plan(("aws_lambda_function.this", ["no-op"]))})
    log = tmp_path / "plan.log"
    log.write_text("")
    output = tmp_path / "plan.md"
    argv = [
        "--env",
        "prod",
        "--plans",
        str(directory),
        "--log",
        str(log),
        "--exit-code",
        "0",
        "--output",
        str(output),
    ]
    assert plan_report.main([*argv, "--title", "Drift"]) == 0
    assert output.read_text().splitlines()[:2] == [marker("drift-prod"), "### ✅ Drift · `prod` · no changes"]


def test_a_failed_plan_shows_its_errors_first_and_exits_1(tmp_path: Path) -> None:
    log = tmp_path / "plan.log"
    log.write_text("12:00:00.000 ERROR  [lambda] terraform: Error: No valid credential sources found\nmore\n")
    output, status = tmp_path / "plan.md", tmp_path / "s.json"
    argv = [
        "--env",
        "dev",
        "--log",
        str(log),
        "--exit-code",
        "1",
        "--output",
        str(output),
        "--status-file",
        str(status),
    ]
    assert plan_report.main(argv) == 1
    markdown = output.read_text()
    assert "### ❌ Plan · `dev` · failed" in markdown
    assert markdown.index("Error: No valid credential sources found") < markdown.index("<details>")
    assert json.loads(status.read_text())["state"] == "error"


def test_a_huge_plan_is_cut_to_the_limit_keeping_the_summary(tmp_path: Path) -> None:
    changes = [(f"aws_cloudwatch_metric_alarm.a{n}", ["create"]) for n in range(500)]
    directory = plans_dir(tmp_path, {"monitoring": plan(*changes)})
    log = tmp_path / "plan.log"
    log.write_text(
        "\n".join(
            f'STDOUT [monitoring] terraform:   + resource "x" "a{n}" {{ {"y" * 200} }}' for n in range(2000)
        )
    )
    output = tmp_path / "plan.md"
    argv = [
        "--env",
        "dev",
        "--plans",
        str(directory),
        "--log",
        str(log),
        "--exit-code",
        "2",
        "--output",
        str(output),
    ]
    assert plan_report.main(argv) == 0
    markdown = output.read_text()
    assert len(markdown) <= GITHUB_BODY_LIMIT
    assert (
        markdown.splitlines()[1]
        == "### 📝 Plan · `dev` · 500 to add, 0 to change, 0 to replace, 0 to destroy"
    )
    assert "- … and 440 more" in markdown
    assert "more characters cut to fit GitHub's limit: see the run log." in markdown
    assert markdown.rstrip().endswith(f"Full output: [workflow run]({RUN}).")
    smaller = tmp_path / "small.md"
    assert plan_report.main([*argv[:-2], "--output", str(smaller), "--limit", "20000"]) == 0
    assert len(smaller.read_text()) <= 20_000


# --- deploy summary, tool versions ----------------------------------------------------------------------


def test_deploy_summary_verdict_first(tmp_path: Path) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/lambda-api@sha256:" + "a" * 64
    argv = ["--environment", "prod", "--image", image, "--api-url", "https://abc.execute-api.us-east-1.amazonaws.com",
            "--function", "lambda-api-prod", "--version", "7", "--step", "apply=success", "--step", "release=success",
            "--step", "smoke=failure", "--step", "logs=skipped", "--step", "rollback=success",
            "--output", str(tmp_path / "d.md")]  # fmt: skip
    assert deploy_summary.main(argv) == 0
    markdown = (tmp_path / "d.md").read_text()
    assert markdown.splitlines()[0] == "### ❌ Deploy to `prod` failed at smoke; the alias was rolled back"
    assert f"`{image}`" in markdown
    assert "`lambda-api-prod` version `7`" in markdown
    assert "✅ apply · ✅ release · ❌ smoke · ⏭️ logs · ✅ rollback" in markdown
    ok = [
        "--environment",
        "dev",
        "--step",
        "apply=success",
        "--step",
        "rollback=",
        "--output",
        str(tmp_path / "ok.md"),
    ]
    assert deploy_summary.main(ok) == 0
    assert (tmp_path / "ok.md").read_text().startswith("### ✅ Deployed to `dev`")
    with pytest.raises(SystemExit):
        deploy_summary.main(["--environment", "dev", "--step", "apply"])


def test_tool_versions_from_mise_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mise = tmp_path / "mise.toml"
    mise.write_text('[tools]\nterraform = "1.11.4"\nterragrunt = { version = "v1.1.3" }\npython = "3.13"\n')
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert tool_versions.main(["--file", str(mise)]) == 0
    assert output.read_text() == "terraform=1.11.4\nterragrunt=1.1.3\n"
    mise.write_text('[tools]\nterraform = "latest"\nterragrunt = "1.1.3"\n')
    assert tool_versions.main(["--file", str(mise)]) == 1
    mise.write_text("[tools\n")
    assert tool_versions.main(["--file", str(mise)]) == 1


def test_the_repository_pins_both_tools() -> None:
    root = Path(__file__).resolve().parents[2]
    versions = tool_versions.versions(root / "mise.toml")
    assert set(versions) == {"terraform", "terragrunt"}
