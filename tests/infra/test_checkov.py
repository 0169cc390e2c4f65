"""Checkov over modules/ and examples/: no failed check, and every skip is inline with a reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT, run_all

# Each skip and the reason it holds for this architecture; a new skip must be added here on purpose.
EXPECTED_SKIPS = {
    ("lambda", "CKV_AWS_272"),  # code signing: .zip only, not container images
    ("lambda", "CKV_AWS_116"),  # DLQ: asynchronous invocations only; API Gateway is synchronous
    ("lambda", "CKV_AWS_117"),  # VPC: the app reaches no private resources
    ("api-gateway", "CKV_AWS_309"),  # public API by default; authorization_type is an input
    # A key policy's Resource "*" is the key itself; Checkov reads it as an identity policy.
    ("kms-key", "CKV_AWS_109"),  # account root keeps key administration (PutKeyPolicy, CreateGrant)
    ("kms-key", "CKV_AWS_111"),  # write access: account root and the listed service principals only
    ("kms-key", "CKV_AWS_356"),  # "*" is the only valid resource in a key policy
}
SKIP = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def checkov_command(directory: Path) -> list[str]:
    checkov = shutil.which("checkov")
    if checkov is None:
        pytest.fail("checkov is not on PATH (make test puts .venv-checkov/bin there)")
    # --skip-download: offline, and no vendor API call.
    return [checkov, "-d", str(directory), "--framework", "terraform", "--skip-download", "--quiet", "--compact",
            "-o", "json"]  # fmt: skip


def failed_checks(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    start = result.stdout.find("{")
    assert start >= 0, f"no JSON from checkov:\n{result.stdout}"
    report = json.loads(result.stdout[start:])
    reports = report if isinstance(report, list) else [report]
    return [
        (check["check_id"], check["resource"], check["file_path"])
        for item in reports
        for check in item["results"].get("failed_checks", [])
    ]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    # A copy of the ECR module with encryption removed and tags made mutable: Checkov must object.
    broken = tmp_path_factory.mktemp("checkov-broken") / "ecr"
    shutil.copytree(ROOT / "modules" / "ecr", broken)
    main = broken / "main.tf"
    text = main.read_text()
    text = text.replace('image_tag_mutability = "IMMUTABLE"', 'image_tag_mutability = "MUTABLE"')
    text = re.sub(r"\n  encryption_configuration \{.*?\n  \}\n", "\n", text, flags=re.DOTALL)
    assert "encryption_configuration" not in text
    assert '"MUTABLE"' in text
    main.write_text(text)
    jobs = {
        "modules": (checkov_command(ROOT / "modules"), ROOT),
        "examples": (checkov_command(ROOT / "examples"), ROOT),
        "broken": (checkov_command(broken), ROOT),
    }
    return run_all(jobs, dict(os.environ))


@pytest.mark.parametrize("directory", ["modules", "examples"])
def test_no_failed_checks(scans: dict[str, subprocess.CompletedProcess[str]], directory: str) -> None:
    result = scans[directory]
    assert failed_checks(result) == [], result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]


def test_checkov_fails_an_unencrypted_mutable_repository(
    scans: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = scans["broken"]
    assert result.returncode != 0
    failed = {check for check, _, _ in failed_checks(result)}
    assert {"CKV_AWS_136", "CKV_AWS_51"} <= failed  # KMS encryption, immutable tags


def test_every_skip_is_inline_with_a_reason() -> None:
    found = set()
    for path in sorted((ROOT / "modules").rglob("*.tf")) + sorted((ROOT / "examples").rglob("*.tf")):
        for match in SKIP.finditer(path.read_text()):
            reason = (match.group("reason") or "").strip()
            assert len(reason) >= 40, f"{path}: {match.group('check')} skipped without a real reason"
            found.add((path.parent.name, match.group("check")))
    assert found == EXPECTED_SKIPS
