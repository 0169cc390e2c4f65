"""The workflows and the Dependabot file: their JSON schemas, zizmor, and the rules no schema can
express (tests/ci/invariants.py), each also shown to catch a deliberately broken copy.

GitHub cannot be reached from these machines: check-jsonschema uses its built-in (vendored)
schemas and zizmor runs with --offline.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ci import invariants
from tests.ci.invariants import Tree

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["check-jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["zizmor", "--offline", "--no-progress", "--color", "never", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        cwd=directory,
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the repository's .github (and what the rules read beside it) to break."""
    shutil.copytree(GITHUB, tmp_path / ".github")
    for name in ("Makefile", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "ci").symlink_to(ROOT / "ci")
    (tmp_path / ".git").mkdir()  # zizmor stops looking for configuration at a repository root
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}: the broken copy would test nothing"
    path.write_text(text.replace(old, new, count))


def test_there_are_workflows_for_every_stage() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "plan.yml", "deploy.yml", "drift.yml"}


@pytest.mark.parametrize("schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"])
def test_workflows_match_their_schemas(schema: str) -> None:
    result = check_jsonschema(schema, *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_composite_actions_and_dependabot_match_their_schemas() -> None:
    actions = sorted((GITHUB / "actions").glob("*/action.yml"))
    assert actions
    result = check_jsonschema("vendor.github-actions", *actions)
    assert result.returncode == 0, result.stdout + result.stderr
    result = check_jsonschema("vendor.dependabot", GITHUB / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_schemas_reject_broken_copies(broken: Path) -> None:
    ci = broken / ".github" / "workflows" / "ci.yml"
    edit(ci, "    timeout-minutes: 15\n", "")
    result = check_jsonschema("custom.github-workflows-require-timeout", ci)
    assert result.returncode != 0
    assert "timeout-minutes" in result.stdout
    dependabot = broken / ".github" / "dependabot.yml"
    edit(dependabot, "interval: weekly", "interval: fortnightly")
    result = check_jsonschema("vendor.dependabot", dependabot)
    assert result.returncode != 0


def test_dependabot_covers_every_ecosystem_with_a_cooldown() -> None:
    import yaml

    updates = yaml.safe_load((GITHUB / "dependabot.yml").read_text())["updates"]
    assert {u["package-ecosystem"] for u in updates} == {"pip", "docker", "github-actions", "terraform"}
    assert all(u["cooldown"]["default-days"] >= 7 for u in updates)


def test_zizmor_finds_nothing() -> None:
    result = zizmor(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_catches_a_broken_copy(broken: Path) -> None:
    ci = broken / ".github" / "workflows" / "ci.yml"
    edit(ci, "        with:\n          persist-credentials: false\n", "\n")
    edit(ci, "        run: make check", '        run: echo "${{ github.event.pull_request.title }}"')
    edit(broken / ".github" / "dependabot.yml", "default-days: 7", "default-days: 1")
    result = zizmor(broken)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for audit in ("artipacked", "template-injection", "dependabot-cooldown"):
        assert audit in output, output


# --- invariants --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", invariants.RULES, ids=lambda rule: rule.__name__)
def test_invariant_holds(rule: Callable[[Tree], list[str]]) -> None:
    assert rule(Tree.read(ROOT)) == []


# (rule, file, old text, new text, expected words in the violation): each breaks exactly one rule.
BREAKAGES = [
    (
        invariants.actions_pinned_by_sha,
        "ci.yml",
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "actions/checkout@v7",
        "not pinned",
    ),
    (
        invariants.actions_pinned_by_sha,
        "ci.yml",
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
        "no `# vX.Y.Z`",
    ),
    (
        invariants.trivy_action_is_recent,
        "deploy.yml",
        "aquasecurity/trivy-action@ed142fd0673e97e23eac54620cfb913e5ce36c25 # v0.36.0",
        "aquasecurity/trivy-action@57a97c7e7821a5776cebc9bb87c984fa69cba8f1 # v0.35.0",
        "v0.36.0 or later",
    ),
    (invariants.permissions_are_minimal_and_explicit, "plan.yml", "permissions: {}\n", "", "permissions: {}"),
    (
        invariants.permissions_are_minimal_and_explicit,
        "drift.yml",
        "    permissions:\n      contents: read\n      issues: write\n",
        "    permissions: write-all\n",
        "not minimal",
    ),
    (
        invariants.checkout_without_credentials,
        "deploy.yml",
        "persist-credentials: false",
        "persist-credentials: true",
        "persist-credentials",
    ),
    (
        invariants.oidc_only_where_aws_is_reached,
        "ci.yml",
        "      contents: read\n      security-events: write # SARIF upload\n      actions: read # upload-sarif reads",
        "      contents: read\n      id-token: write\n      security-events: write # SARIF upload\n      actions: read # upload-sarif reads",
        "never reaches AWS",
    ),
    (
        invariants.oidc_only_where_aws_is_reached,
        "_deploy.yml",
        "      id-token: write # OIDC: the environment's deploy role\n",
        "",
        "without `id-token: write`",
    ),
    (
        invariants.write_access_only_to_push_pins,
        "ci.yml",
        "    permissions:\n      contents: read\n    strategy:",
        "    permissions:\n      contents: write\n    strategy:",
        "without pushing a pin",
    ),
    (
        invariants.write_access_only_to_push_pins,
        "_deploy.yml",
        "    permissions:\n      contents: read\n      id-token: write # OIDC",
        "    permissions:\n      contents: write\n      id-token: write # OIDC",
        "reaches AWS in one job",
    ),
    (invariants.timeouts_everywhere, "drift.yml", "    timeout-minutes: 10\n", "", "timeout"),
    (
        invariants.no_dangerous_triggers_or_inherited_secrets,
        "plan.yml",
        "on:\n  pull_request:\n",
        "on:\n  pull_request_target:\n",
        "pull_request_target",
    ),
    (
        invariants.no_dangerous_triggers_or_inherited_secrets,
        "deploy.yml",
        "    secrets:\n      NOTIFY_WEBHOOK_URL: ${{ secrets.NOTIFY_WEBHOOK_URL }}\n"
        "      SMOKE_TOKEN: ${{ secrets.SMOKE_TOKEN_DEV }}\n\n  # Promotion",
        "    secrets: inherit\n\n  # Promotion",
        "secrets: inherit",
    ),
    (
        invariants.no_expressions_in_run,
        "plan.yml",
        'python3 -m ci.sticky_comment --marker "plan-$environment"',
        'python3 -m ci.sticky_comment --marker "plan-${{ github.sha }}"',
        "inside run",
    ),
    (
        invariants.pull_request_write_only_to_comment,
        "drift.yml",
        "    permissions:\n      contents: read\n      id-token: write\n    with:\n      environment: dev",
        "    permissions:\n      contents: read\n      id-token: write\n      pull-requests: write\n    with:\n      environment: dev",
        "`pull-requests: write` without posting a comment",
    ),
    (
        invariants.notify_topic_per_environment,
        "deploy.yml",
        "        env:\n          NOTIFY_WEBHOOK_URL: ${{ secrets.NOTIFY_WEBHOOK_URL }}\n        run: python3 -m ci.notify",
        "        env:\n          NOTIFY_WEBHOOK_URL: ${{ secrets.NOTIFY_WEBHOOK_URL }}\n          NOTIFY_SNS_TOPIC_ARN: ${{ vars.NOTIFY_SNS_TOPIC_ARN }}\n        run: python3 -m ci.notify",
        "without an environment",
    ),
    (
        invariants.aws_jobs_install_only_hash_locked_ops,
        "_deploy.yml",
        "python -m pip install --quiet --require-hashes -r requirements-ops.txt",
        "python -m pip install --quiet -r requirements-dev.txt",
        "must be `pip install --require-hashes -r requirements-ops.txt`",
    ),
    (
        invariants.preflight_before_apply,
        "_deploy.yml",
        'run: python -m ops preflight --env "$ENVIRONMENT"',
        'run: echo "no preflight"',
        "applies without `python -m ops preflight`",
    ),
    (
        invariants.released_images_are_tagged,
        "deploy.yml",
        '--image-tag "release-$GITHUB_SHA"',
        '--image-tag "keep-$GITHUB_SHA"',
        "without tagging it release-*",
    ),
    (
        invariants.deploys_only_from_main,
        "deploy.yml",
        "on:\n  push:\n    branches: [main]\n",
        'on:\n  push:\n    branches: [main, "release/**"]\n',
        "not pushes to main only",
    ),
    (invariants.make_targets_exist, "ci.yml", "run: make check", "run: make check-all", "make check-all"),
    (
        invariants.make_targets_exist,
        "ci.yml",
        "run: make .venv-checkov/.installed .venv-trivy/.installed",
        "run: make .venv-checkov/.installed .vnv-trivy/.installed",
        "make .vnv-trivy/.installed",
    ),
    (
        invariants.python_commands_exist,
        "_deploy.yml",
        "python -m ops release --function",
        "python -m ops relase --function",
        "no such subcommand",
    ),
    (
        invariants.python_commands_exist,
        "_deploy.yml",
        '--bake "$BAKE"',
        '--bake-seconds "$BAKE"',
        "no option --bake-seconds",
    ),
    (
        invariants.python_commands_exist,
        "_deploy.yml",
        'python -m ops smoke --base-url "$API_URL"',
        'python -m ops smoke --url "$API_URL"',
        "misses required --base-url",
    ),
    (
        invariants.python_commands_exist,
        "drift.yml",
        "python3 -m ci.drift_issue --reports reports",
        "python3 -m ci.drift_issues --reports reports",
        "no such module",
    ),
    (
        invariants.applies_are_never_cancelled,
        "_deploy.yml",
        "      group: deploy-${{ inputs.environment }}\n      cancel-in-progress: false",
        "      group: deploy-${{ inputs.environment }}\n      cancel-in-progress: true",
        "cancel-in-progress: false",
    ),
    (
        invariants.applies_are_never_cancelled,
        "_deploy.yml",
        "      group: deploy-${{ inputs.environment }}\n",
        "      group: deploy\n",
        "per environment",
    ),
    # The lost-job shapes: one group for the pins of every environment (a pending prod pin is
    # cancelled when a dev pin queues), a pin queued behind deploys, a pin on the run's own commit.
    (
        invariants.no_step_lost_to_concurrency,
        "_deploy.yml",
        "      group: pin-${{ inputs.environment }}\n",
        "      group: live-pins\n",
        "'live-pins' holds _deploy.yml:pin for dev and _deploy.yml:pin for prod",
    ),
    (
        invariants.no_step_lost_to_concurrency,
        "_deploy.yml",
        "      group: pin-${{ inputs.environment }}\n",
        "      group: deploy-${{ inputs.environment }}\n",
        "'deploy-prod' holds _deploy.yml:deploy for prod and _deploy.yml:pin for prod",
    ),
    (
        invariants.pins_written_on_the_branch_head,
        "_deploy.yml",
        "          ref: ${{ github.ref }}\n",
        "",
        "_deploy.yml:pin: pushes a pin from the run's own commit",
    ),
    (
        invariants.prod_is_gated_and_promoted,
        "_deploy.yml",
        "    environment:\n      name: ${{ inputs.environment }}\n",
        "    environment:\n      name: dev\n",
        "environment: ${{ inputs.environment }}",
    ),
    (
        invariants.prod_is_gated_and_promoted,
        "deploy.yml",
        "needs: [build, dev]",
        "needs: [build]",
        "first deploying dev",
    ),
    (
        invariants.prod_is_gated_and_promoted,
        "deploy.yml",
        "      environment: prod\n      image: ${{ needs.build.outputs.image }}",
        "      environment: prod\n      image: ${{ needs.build.outputs.image }}-rebuilt",
        "the image dev got",
    ),
    (
        invariants.image_built_once,
        "ci.yml",
        "          load: true\n          push: false",
        "          load: true\n          push: true",
        "exactly one build step",
    ),
    (invariants.image_built_once, "deploy.yml", "          provenance: false\n", "", "provenance: false"),
    (
        invariants.terragrunt_usage,
        "_deploy.yml",
        'terragrunt run --all --working-dir "live/$ENVIRONMENT" -- apply',
        'terragrunt run-all apply --terragrunt-working-dir "live/$ENVIRONMENT"',
        "run-all",
    ),
    (
        invariants.stopped_cleanly_on_cancel,
        "_deploy.yml",
        "exec python -m ops release",
        "python -m ops release",
        "`ops release` without exec",
    ),
]


@pytest.mark.parametrize(
    ("rule", "file", "old", "new", "expected"),
    BREAKAGES,
    ids=[f"{rule.__name__}-{index}" for index, (rule, *_rest) in enumerate(BREAKAGES)],
)
def test_invariant_catches_a_broken_copy(
    broken: Path, rule: Callable[[Tree], list[str]], file: str, old: str, new: str, expected: str
) -> None:
    path = broken / ".github" / "workflows" / file
    if not path.exists():
        path = broken / ".github" / "actions" / file
    edit(path, old, new)
    problems = rule(Tree.read(broken))
    assert problems, f"{rule.__name__} did not notice: {old!r} -> {new!r}"
    assert any(expected in problem for problem in problems), problems


def test_setup_terraform_without_wrapper_off_is_caught(broken: Path) -> None:
    edit(
        broken / ".github" / "actions" / "terragrunt" / "action.yml",
        "terraform_wrapper: false",
        "terraform_wrapper: true",
    )
    assert any("terraform_wrapper" in p for p in invariants.terragrunt_usage(Tree.read(broken)))


def test_every_uses_line_is_seen() -> None:
    # The pinning rule reads `uses:` lines from the text; make sure it sees every step that uses one.
    tree = Tree.read(ROOT)
    parsed = sum(1 for _, step in tree.steps() if "uses" in step) + sum(
        1 for *_, job in tree.jobs() if "uses" in job
    )
    seen = sum(
        1 for file in tree.files() for line in file.text.splitlines() if invariants.USES_LINE.match(line)
    )
    assert seen == parsed > 20


# The release step's command, as _deploy.yml spells it, and the end of that command.
RELEASE = "exec python -m ops release"
RELEASE_END = '--signal-delay "$SIGNAL_DELAY" \\\n            --summary "$GITHUB_STEP_SUMMARY"'


@pytest.mark.parametrize(
    "edits",
    [
        [(RELEASE, "exec python3 -m ops release")],
        [(RELEASE, "exec python3.12 -m ops release")],
        [(RELEASE, "exec .venv/bin/python -m ops release")],
        [(RELEASE, 'exec "$RUNNER_TEMP/venv/bin/python3" -m ops release')],
        [(RELEASE, "PYTHONUNBUFFERED=1 exec python3 -m ops release")],
        [(RELEASE, "# python -m ops release --dry-run\n          " + RELEASE)],
        [(RELEASE, "echo start  # python -m ops release\n          " + RELEASE)],
        [(RELEASE, "echo start  # log first; python -m ops release next\n          " + RELEASE)],
        [(RELEASE, "if true; then exec python3 -m ops release"), (RELEASE_END, RELEASE_END + "; fi")],
        [(RELEASE, "{ exec python3 -m ops release"), (RELEASE_END, RELEASE_END + "; }")],
    ],
    ids=[
        "python3",
        "python3.12",
        "venv",
        "quoted-path",
        "assignment",
        "comment",
        "inline-comment",
        "separator-in-comment",
        "if",
        "group",
    ],
)
def test_release_exec_accepted_in_every_spelling(broken: Path, edits: list[tuple[str, str]]) -> None:
    for old, new in edits:
        edit(broken / ".github" / "workflows" / "_deploy.yml", old, new)
    assert invariants.stopped_cleanly_on_cancel(Tree.read(broken)) == []


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([(RELEASE, "python3 -m ops release")], "`ops release` without exec"),
        ([(RELEASE, "python3.12 -m ops release")], "`ops release` without exec"),
        ([(RELEASE, ".venv/bin/python -m ops release")], "`ops release` without exec"),
        ([(RELEASE, "time python -m ops release")], "`ops release` without exec"),
        ([(RELEASE, "true && python3 -m ops release")], "`ops release` without exec"),
        ([(RELEASE, "exec true; python3 -m ops release")], "`ops release` without exec"),
        ([(RELEASE, "python -m ops tune")], "`ops tune` without exec"),
        ([(RELEASE_END, RELEASE_END + ' | tee "$RUNNER_TEMP/release.log"')], "pipeline"),
        ([(RELEASE_END, RELEASE_END + " &\n          wait")], "background"),
        ([(RELEASE, "(" + RELEASE), (RELEASE_END, RELEASE_END + ")")], "subshell"),
        ([(RELEASE, "out=$(" + RELEASE), (RELEASE_END, RELEASE_END + ")")], "subshell"),
        ([(RELEASE, "cat config |\n          " + RELEASE)], "pipeline"),
    ],
    ids=[
        "python3",
        "python3.12",
        "venv",
        "time",
        "after-and",
        "exec-of-another",
        "tune",
        "piped",
        "background",
        "subshell",
        "substitution",
        "piped-from-line-above",
    ],
)
def test_release_without_exec_by_the_step_shell_is_flagged(
    broken: Path, edits: list[tuple[str, str]], expected: str
) -> None:
    for old, new in edits:
        edit(broken / ".github" / "workflows" / "_deploy.yml", old, new)
    problems = invariants.stopped_cleanly_on_cancel(Tree.read(broken))
    assert len(problems) == 1, problems
    assert expected in problems[0], problems
    assert problems[0].startswith("_deploy.yml:"), problems
