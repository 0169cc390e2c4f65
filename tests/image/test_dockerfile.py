"""The Dockerfile under hadolint and Checkov, and the properties of it the other checks rely on."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from shared.dockerfile import DockerfileError, dockerfile_cmd, instructions

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
# A Dockerfile that breaks the rules the real one follows; each linter must flag it.
BROKEN = """FROM python:latest
RUN pip install flask
ADD . /app
CMD python app.py
"""


def hadolint(path: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        ["hadolint", "--no-color", "--format", "json", str(path)], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip(), f"hadolint printed nothing: {result.stderr}"
    return json.loads(result.stdout)


def checkov(path: Path) -> dict[str, object]:
    result = subprocess.run(
        ["checkov", "-f", str(path), "--framework", "dockerfile", "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0, result.stdout
    return report


def stages(text: str) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, arguments))
    return result


def test_hadolint_has_no_findings_at_warning_or_above() -> None:
    findings = hadolint(DOCKERFILE)
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert serious == [], json.dumps(serious, indent=2)


def test_hadolint_flags_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(BROKEN)
    codes = {f["code"] for f in hadolint(broken) if f["level"] in ("error", "warning")}
    assert {"DL3007", "DL3013", "DL3020", "DL3025"} <= codes


def test_checkov_has_no_failures_and_only_the_documented_skips() -> None:
    report = checkov(DOCKERFILE)
    results = report["results"]
    assert results["failed_checks"] == [], json.dumps(results["failed_checks"], indent=2)
    assert report["summary"]["passed"] > 0
    skipped = {c["check_id"]: c["check_result"]["suppress_comment"] for c in results["skipped_checks"]}
    # USER and HEALTHCHECK only, each with the reason: Lambda ignores both.
    assert set(skipped) == {"CKV_DOCKER_2", "CKV_DOCKER_3"}
    assert all("Lambda ignores" in (reason or "") for reason in skipped.values()), skipped


def test_checkov_fails_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(BROKEN)
    failed = {c["check_id"] for c in checkov(broken)["results"]["failed_checks"]}
    assert {"CKV_DOCKER_7", "CKV_DOCKER_4", "CKV_DOCKER_2", "CKV_DOCKER_3"} <= failed


def test_final_stage_copies_only_the_builders_task_root_and_runs_nothing() -> None:
    # No RUN in the final stage: cross-architecture builds execute no target code (no QEMU), and
    # nothing but the builder's task root (dependencies + app/ + .pyc) lands on the base image.
    builder, final = stages(DOCKERFILE.read_text())
    assert "--platform=$BUILDPLATFORM" in builder[0][1]
    assert builder[0][1].endswith(" AS builder")
    keywords = {keyword for keyword, _ in final}
    assert keywords <= {"FROM", "ARG", "LABEL", "ENV", "COPY", "CMD"}, keywords
    copies = [arguments for keyword, arguments in final if keyword == "COPY"]
    assert copies == ["--from=builder ${LAMBDA_TASK_ROOT} ${LAMBDA_TASK_ROOT}"]
    assert builder[0][1].split()[1] == final[0][1], "both stages must use the same base reference"


def test_builder_installs_hash_checked_wheels_and_compiles_for_a_read_only_root() -> None:
    # bench.image.build_closure mirrors these flags; this keeps the two from drifting apart.
    builder = stages(DOCKERFILE.read_text())[0]
    runs = [arguments for keyword, arguments in builder if keyword == "RUN"]
    install = next(run for run in runs if "pip install" in run)
    flags = ("--require-hashes", "--only-binary=:all:", "--no-compile", "--no-cache-dir", "--target")
    assert all(flag in install for flag in flags), install
    assert "-r /tmp/requirements.txt" in install
    compile_step = next(run for run in runs if "compileall" in run)
    assert "--invalidation-mode unchecked-hash" in compile_step
    copied = [arguments for keyword, arguments in builder if keyword == "COPY"]
    assert copied == ["requirements.txt /tmp/requirements.txt", "app/ ${LAMBDA_TASK_ROOT}/app/"]
    assert ("WORKDIR", "${LAMBDA_TASK_ROOT}") in builder


def test_image_metadata_build_args() -> None:
    final = stages(DOCKERFILE.read_text())[-1]
    labels = " ".join(arguments for keyword, arguments in final if keyword == "LABEL")
    for key, arg in (("source", "SOURCE"), ("revision", "REVISION"), ("version", "APP_VERSION")):
        assert f'org.opencontainers.image.{key}="${{{arg}}}"' in labels
    assert ("ENV", "APP_VERSION=${APP_VERSION}") in final
    # The base is written out (Dependabot and Checkov read it); BASE_DIGEST only pins it.
    froms = [arguments for keyword, arguments in instructions(DOCKERFILE.read_text()) if keyword == "FROM"]
    assert [f.split()[-3 if " AS " in f else 0] for f in froms] == [
        "public.ecr.aws/lambda/python:3.13${BASE_DIGEST}"
    ] * 2
    assert instructions(DOCKERFILE.read_text())[0] == ("ARG", 'BASE_DIGEST=""')


def test_cmd_is_read_from_the_final_stage_in_exec_form(tmp_path: Path) -> None:
    assert dockerfile_cmd(DOCKERFILE) == "app.handler.handler"
    broken = tmp_path / "Dockerfile"
    for text, message in [
        ('FROM a:1 AS b\nCMD ["x.y"]\nFROM a:1\n', "no CMD"),
        ("FROM a:1\nCMD python -m app\n", "JSON form"),
        ('FROM a:1\nCMD ["app.handler.handler", "extra"]\n', "exactly one handler"),
        ('FROM a:1\nCMD ["handler"]\n', "module.function"),
    ]:
        broken.write_text(text)
        with pytest.raises(DockerfileError, match=re.escape(message)):
            dockerfile_cmd(broken)
