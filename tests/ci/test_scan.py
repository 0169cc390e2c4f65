"""`make scan`: Checkov and Trivy over the repository with the pipeline's flags, then its gate.

The scanners run once per session for each tree (side by side): this checkout as it is, a copy with
encryption removed from two modules, a copy with credentials planted in the app's source. The
checkout must pass the gate (`ci.scan_report --gate`, as the workflow runs it) and each broken copy
must fail it, for the finding planted there. The workflow and the Makefile must reach the scanners
only through ci/scan.py, so the flags tested here are the flags the pipeline uses.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import string
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci import scan, scan_report

ROOT = Path(__file__).resolve().parents[2]
# What a checkout grows locally, and the tests (which the scan skips anyway): not copied.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv*", ".local", "results", "tests", ".terraform", ".terragrunt-cache", "__pycache__",
    ".*_cache", ".hypothesis", ".coverage*", "*.tfstate*",
)  # fmt: skip


@dataclass(frozen=True)
class Scan:
    """One tree's reports and the gate's verdict over them."""

    tree: Path
    reports: Path
    scan: subprocess.CompletedProcess[str]
    gate: subprocess.CompletedProcess[str]

    @property
    def checkov(self) -> Path:
        return self.reports / "checkov" / "results_json.json"

    @property
    def trivy(self) -> Path:
        return self.reports / "trivy-config.json"

    def gate_alone(self, option: str, report: Path) -> int:
        """The gate over one tool's report only."""
        return scan_report.main([option, str(report), "--gate"])


def run_scan(tree: Path, reports: Path) -> Scan:
    """The two commands of `make scan`, with the scanners `make test` puts on PATH."""
    found = {tool: shutil.which(tool) for tool in ("checkov", "trivy")}
    missing = [tool for tool, path in found.items() if path is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not on PATH (make test puts .venv-checkov/bin and .venv-trivy/bin there)"
        )
    command = [sys.executable, "-m", "ci.scan", "--output", str(reports), str(tree)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    gate = subprocess.run(
        [sys.executable, "-m", "ci.scan_report", "--checkov", str(reports / "checkov" / "results_json.json"),
         "--trivy-config", str(reports / "trivy-config.json"), "--gate"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return Scan(tree, reports, result, gate)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} is gone; update this test's mutation"
    path.write_text(text.replace(old, new))


def remove_encryption(tree: Path) -> None:
    """ECR without its KMS key and with mutable tags; the alarm topic without encryption."""
    ecr = tree / "modules" / "ecr" / "main.tf"
    text = re.sub(r"\n  encryption_configuration \{.*?\n  \}\n", "\n", ecr.read_text(), flags=re.DOTALL)
    assert "encryption_configuration" not in text
    ecr.write_text(text)
    edit(ecr, 'image_tag_mutability = "IMMUTABLE"', 'image_tag_mutability = "MUTABLE"')
    edit(tree / "modules" / "monitoring" / "main.tf", "  kms_master_key_id = local.kms_key_arn\n", "")


def plant_secret(tree: Path) -> None:
    """An AWS key pair in the app's source, made up now (no real or sample key sits in this file)."""
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))
    (tree / "app" / "deploy_settings.py").write_text(
        f'"""Settings for the deploy."""\n\naws_access_key_id = "{key_id}"\naws_secret_access_key = "{secret}"\n'
    )


MUTATIONS: dict[str, Callable[[Path], None] | None] = {
    "checkout": None,  # this checkout itself, as `make scan` sees it
    "no-encryption": remove_encryption,
    "secret": plant_secret,
}


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scan]:
    def prepare(name: str) -> Path:
        mutate = MUTATIONS[name]
        if mutate is None:
            return ROOT
        tree = tmp_path_factory.mktemp(name) / "repo"
        shutil.copytree(ROOT, tree, ignore=NOT_COPIED, symlinks=True)
        mutate(tree)
        return tree

    trees = {name: prepare(name) for name in MUTATIONS}
    reports = tmp_path_factory.mktemp("reports")
    with ThreadPoolExecutor(len(trees)) as pool:
        futures = {name: pool.submit(run_scan, tree, reports / name) for name, tree in trees.items()}
        return {name: future.result() for name, future in futures.items()}


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def test_the_checkout_passes_the_gate(scans: dict[str, Scan]) -> None:
    result = scans["checkout"]
    assert result.scan.returncode == 0, result.scan.stdout + result.scan.stderr
    assert result.gate.returncode == 0, result.gate.stdout + result.gate.stderr
    assert "0 blocking finding(s), 0 missing report(s)" in result.gate.stdout
    # Each of Checkov's frameworks actually read something (a scan of nothing would pass too).
    frameworks = {report["check_type"]: report["summary"] for report in load(result.checkov)}
    for framework in ("terraform", "dockerfile", "github_actions"):
        assert frameworks[framework]["passed"] > 0, frameworks
        assert frameworks[framework]["failed"] == 0, frameworks
    # Trivy read the Dockerfile and the Terraform (examples/complete pulls in every module).
    targets = {target["Type"] for target in load(result.trivy)["Results"]}
    assert {"dockerfile", "terraform"} <= targets


def test_the_reports_include_valid_sarif_for_code_scanning(scans: dict[str, Scan]) -> None:
    reports = scans["checkout"].reports
    for path, tool in (
        (reports / "checkov" / "results_sarif.sarif", "Checkov"),
        (reports / "trivy-config.sarif", "Trivy"),
    ):
        sarif = load(path)
        assert sarif["version"] == "2.1.0"
        assert [run["tool"]["driver"]["name"] for run in sarif["runs"]] == [tool]


def test_every_accepted_trivy_finding_is_in_the_ignore_file_with_its_reason(scans: dict[str, Scan]) -> None:
    ignored = yaml.safe_load((ROOT / scan.TRIVY_IGNORE_FILE).read_text())
    entries = {entry["id"]: entry for entry in ignored["misconfigurations"]}
    assert set(ignored) == {"misconfigurations"}
    for entry in entries.values():
        assert len(entry.get("statement", "").strip()) >= 60, f"{entry['id']}: no real reason"
        assert entry.get("paths"), f"{entry['id']}: ignored everywhere instead of where it holds"
    # USER and HEALTHCHECK: Lambda ignores both (the file cites AWS), and they are the only ones.
    assert set(entries) == {"DS-0002", "DS-0026"}
    assert "images-create.html#images-parms" in (ROOT / scan.TRIVY_IGNORE_FILE).read_text()
    # Each entry is in use: Trivy reports it as ignored, from that file, on this checkout.
    suppressed = [
        (finding["Finding"]["ID"], finding["Source"])
        for target in load(scans["checkout"].trivy)["Results"]
        for finding in target.get("ExperimentalModifiedFindings") or target.get("ModifiedFindings") or []
    ]
    assert sorted(suppressed) == [("DS-0002", ".trivyignore.yaml"), ("DS-0026", ".trivyignore.yaml")]


def test_removing_encryption_fails_the_gate_in_both_scanners(scans: dict[str, Scan]) -> None:
    result = scans["no-encryption"]
    assert result.scan.returncode == 0, result.scan.stderr
    assert result.gate.returncode == 1, result.gate.stdout
    checkov = {f.rule: f.where for f in scan_report.checkov(load(result.checkov)).blocking}
    assert checkov["CKV_AWS_136"].startswith("modules/ecr/main.tf:")  # ECR without KMS
    assert checkov["CKV_AWS_51"].startswith("modules/ecr/main.tf:")  # mutable tags
    assert checkov["CKV_AWS_26"].startswith("modules/monitoring/main.tf:")  # SNS without encryption
    trivy = {f.rule: f for f in scan_report.trivy_config(load(result.trivy)).findings}
    assert trivy["AWS-0095"].blocking  # unencrypted SNS topic: HIGH
    assert trivy["AWS-0095"].where.startswith("modules/monitoring/main.tf:")
    assert not trivy["AWS-0033"].blocking  # ECR without a customer-managed key: LOW, reported only
    # Either scanner alone would have stopped it.
    assert result.gate_alone("--checkov", result.checkov) == 1
    assert result.gate_alone("--trivy-config", result.trivy) == 1


def test_a_planted_secret_fails_the_gate(scans: dict[str, Scan]) -> None:
    result = scans["secret"]
    assert result.gate.returncode == 1, result.gate.stdout
    secrets_found = {(f.rule, f.where) for f in scan_report.trivy_config(load(result.trivy)).blocking}
    assert secrets_found == {
        ("aws-access-key-id", "app/deploy_settings.py:3"),
        ("aws-secret-access-key", "app/deploy_settings.py:4"),
    }
    assert "app/deploy_settings.py" in result.gate.stdout
    # The reports (uploaded as SARIF, posted as a comment) name the rule, never the value.
    planted = re.findall(r'= "(.+)"$', (result.tree / "app" / "deploy_settings.py").read_text(), re.MULTILINE)
    assert len(planted) == 2
    for path in (result.trivy, result.trivy.with_suffix(".sarif")):
        text = path.read_text()
        assert not any(value in text for value in planted), path
    assert not any(value in result.gate.stdout for value in planted)


def test_a_scanner_that_cannot_run_fails_the_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = tmp_path / "trivy"
    failing.write_text("#!/bin/sh\necho 'trivy: broken' >&2\nexit 3\n")
    failing.chmod(0o755)
    quiet = tmp_path / "checkov"
    quiet.write_text("#!/bin/sh\nexit 0\n")  # exits 0 but writes no report
    quiet.chmod(0o755)
    (tmp_path / "repo").mkdir()
    code = scan.main(["--output", str(tmp_path / "out"), "--checkov", str(quiet), "--trivy", str(failing),
                      str(tmp_path / "repo")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "trivy exited 3" in err
    assert "checkov wrote no report" in err
    assert "trivy: broken" in (tmp_path / "out" / "trivy-config.log").read_text()
    with pytest.raises(SystemExit, match="not-a-scanner not found"):
        scan.main(["--output", str(tmp_path / "out"), "--checkov", "not-a-scanner", str(tmp_path / "repo")])


def test_the_image_scan_asks_trivy_for_vulnerabilities_and_sarif_from_the_same_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--image` (CI only: it needs Trivy's vulnerability database), with a recording stand-in."""
    calls = tmp_path / "calls"
    fake = tmp_path / "trivy"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{calls}"\n'
        'out=""; prev=""; for arg in "$@"; do [ "$prev" = "--output" ] && out="$arg"; prev="$arg"; done\n'
        """echo '{"SchemaVersion": 2, "Results": []}' > "$out"\n"""
    )
    fake.chmod(0o755)
    out = tmp_path / "results"
    assert (
        scan.main(["--output", str(out), "--trivy", str(fake), "--image", "lambda-api:ci", str(tmp_path)])
        == 0
    )
    image, convert = calls.read_text().splitlines()
    assert image.startswith("image --scanners vuln ")
    assert f"--format json --output {out / 'trivy-image.json'} lambda-api:ci" in image
    assert "--ignorefile .trivyignore.yaml" in image
    assert (
        convert == f"convert --format sarif --output {out / 'trivy-image.sarif'} {out / 'trivy-image.json'}"
    )
    assert "reports in" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        scan.main(["--output", str(out), str(tmp_path / "no-such-directory")])
    assert usage.value.code == 2


# --- one list of flags --------------------------------------------------------------------------------


def recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line.strip())
    return body


def test_make_scan_runs_ci_scan_then_the_gate() -> None:
    commands = " ".join(recipe("scan")).replace("\\ ", "")
    assert re.search(r"-m ci\.scan --output results ", commands)
    assert re.search(r"-m ci\.scan_report --checkov results/checkov/results_json\.json .*--gate", commands)
    # No scanner is called directly, with flags of its own.
    for line in recipe("scan"):
        assert not re.match(r"\S*(checkov|trivy)\s", line), line


def test_the_workflow_reaches_the_scanners_only_through_ci_scan() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = workflow["jobs"]["scan"]["steps"]
    runs = [step.get("run", "") for step in steps]
    uses = [step.get("uses", "") for step in steps]
    assert not any(use.startswith("aquasecurity/trivy-action") for use in uses)
    # Only ci.scan names a scanner's executable; installing them is `make .venv-<tool>/.installed`.
    direct = [line for run in runs for line in run.splitlines()
              if re.search(r"(^|[\s/])(checkov|trivy)(\s|$)", line) and "-m ci.scan " not in line]  # fmt: skip
    assert direct == []
    repository = [
        run for run in runs if re.search(r"-m ci\.scan --output results\b", run) and "--image" not in run
    ]
    image = [run for run in runs if "-m ci.scan --output results" in run and "--image" in run]
    assert len(repository) == 1, runs
    assert len(image) == 1, runs
    gate = [run for run in runs if "ci.scan_report" in run and "--gate" in run]
    assert len(gate) == 1
    for report in (
        "results/checkov/results_json.json",
        "results/trivy-config.json",
        "results/trivy-image.json",
    ):
        assert report in gate[0]
    uploads = {step["with"]["sarif_file"] for step in steps if "upload-sarif" in step.get("uses", "")}
    assert uploads == {
        "results/checkov/results_sarif.sarif",
        "results/trivy-config.sarif",
        "results/trivy-image.sarif",
    }
