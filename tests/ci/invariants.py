"""Rules for the workflows that their JSON schemas cannot express, each a function from the parsed
`.github` tree to a list of violations (empty when the rule holds).

The tree is read once into `Tree` (workflows, the composite actions, the raw text of each file),
so tests can run every rule on the real `.github` and on deliberately broken copies of it.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v(\d+)\.(\d+)\.(\d+)\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
MIN_TRIVY_ACTION = (0, 36, 0)  # every earlier tag was force-pushed to a credential stealer (March 2026)
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"


@dataclass
class File:
    path: Path
    data: dict[str, Any]
    text: str


@dataclass
class Tree:
    root: Path  # the repository root (holds .github, Makefile, ops/, ci/)
    workflows: dict[str, File]  # by file name
    actions: dict[str, File]  # composite actions, by directory relative to the root

    @classmethod
    def read(cls, root: Path) -> Tree:
        workflows = {
            path.name: File(path, yaml.safe_load(path.read_text()), path.read_text())
            for path in sorted((root / ".github" / "workflows").glob("*.y*ml"))
        }
        actions = {
            str(path.parent.relative_to(root)): File(path, yaml.safe_load(path.read_text()), path.read_text())
            for path in sorted((root / ".github" / "actions").glob("*/action.y*ml"))
        }
        return cls(root, workflows, actions)

    def files(self) -> Iterator[File]:
        yield from self.workflows.values()
        yield from self.actions.values()

    def jobs(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for name, workflow in self.workflows.items():
            for job_id, job in (workflow.data.get("jobs") or {}).items():
                yield name, job_id, job

    def steps(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(where, step) for every step of every job and composite action."""
        for name, job_id, job in self.jobs():
            for step in job.get("steps") or []:
                yield f"{name}:{job_id}", step
        for name, action in self.actions.items():
            for step in (action.data.get("runs") or {}).get("steps") or []:
                yield name, step

    def called(self, job: dict[str, Any]) -> File | None:
        """The reusable workflow a job calls, if it is one of this repository's."""
        uses = str(job.get("uses") or "")
        if uses.startswith("./.github/workflows/"):
            return self.workflows.get(uses.rsplit("/", 1)[-1])
        return None

    def local_action(self, step: dict[str, Any]) -> File | None:
        uses = str(step.get("uses") or "")
        return self.actions.get(uses.removeprefix("./").rstrip("/")) if uses.startswith("./") else None


def triggers(workflow: File) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean true.
    value = workflow.data.get("on", workflow.data.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return dict.fromkeys(value)
    return value or {}


# --- pinning -------------------------------------------------------------------------------------


def actions_pinned_by_sha(tree: Tree) -> list[str]:
    """Every `uses:` is local or owner/repo[/path]@<40-hex commit> with `# vX.Y.Z` beside it."""
    problems = []
    for file in tree.files():
        for number, line in enumerate(file.text.splitlines(), 1):
            match = USES_LINE.match(line)
            if not match:
                continue
            target, rest = match.groups()
            if target.startswith("./"):
                continue
            where = f"{file.path.name}:{number}"
            if not SHA_PIN.match(target):
                problems.append(f"{where}: {target} is not pinned to a full commit SHA")
            elif not VERSION_COMMENT.search(rest):
                problems.append(f"{where}: {target} has no `# vX.Y.Z` comment naming the pinned version")
    return problems


def trivy_action_is_recent(tree: Tree) -> list[str]:
    problems = []
    for file in tree.files():
        for number, line in enumerate(file.text.splitlines(), 1):
            match = USES_LINE.match(line)
            if match and match.group(1).startswith("aquasecurity/trivy-action@"):
                version = VERSION_COMMENT.search(match.group(2))
                if not version or tuple(int(v) for v in version.groups()) < MIN_TRIVY_ACTION:
                    problems.append(f"{file.path.name}:{number}: trivy-action must be v0.36.0 or later")
    return problems


# --- permissions, credentials, timeouts ----------------------------------------------------------


def permissions_are_minimal_and_explicit(tree: Tree) -> list[str]:
    """`permissions: {}` for the workflow; every job states its own grants."""
    problems = []
    for name, workflow in tree.workflows.items():
        if workflow.data.get("permissions") != {}:
            problems.append(f"{name}: the workflow must set `permissions: {{}}` and grant per job")
    for name, job_id, job in tree.jobs():
        if "permissions" not in job:
            problems.append(f"{name}:{job_id}: no `permissions:` block")
        elif job["permissions"] in ("write-all", "read-all"):
            problems.append(f"{name}:{job_id}: `permissions: {job['permissions']}` is not minimal")
    return problems


def checkout_without_credentials(tree: Tree) -> list[str]:
    return [
        f"{where}: actions/checkout without `persist-credentials: false`"
        for where, step in tree.steps()
        if str(step.get("uses", "")).startswith("actions/checkout@")
        and (step.get("with") or {}).get("persist-credentials") is not False
    ]


def reaches_aws(tree: Tree, job: dict[str, Any]) -> bool:
    def step_reaches(step: dict[str, Any]) -> bool:
        if str(step.get("uses", "")).startswith(f"{AWS_CREDENTIALS}@"):
            return True
        action = tree.local_action(step)
        return bool(action) and any(step_reaches(s) for s in action.data["runs"].get("steps") or [])

    called = tree.called(job)
    if called:
        return any(reaches_aws(tree, j) for j in (called.data.get("jobs") or {}).values())
    return any(step_reaches(step) for step in job.get("steps") or [])


def oidc_only_where_aws_is_reached(tree: Tree) -> list[str]:
    problems = []
    for name, job_id, job in tree.jobs():
        grants = (job.get("permissions") or {}) if isinstance(job.get("permissions"), dict) else {}
        oidc = grants.get("id-token") == "write"
        aws = reaches_aws(tree, job)
        if oidc and not aws:
            problems.append(f"{name}:{job_id}: `id-token: write` but the job never reaches AWS")
        if aws and not oidc:
            problems.append(
                f"{name}:{job_id}: reaches AWS without `id-token: write` (OIDC is the only way in)"
            )
    return problems


def runs(tree: Tree, job: dict[str, Any], found: Callable[[str], bool]) -> bool:
    """Whether a step of the job, or of the reusable workflow it calls, runs a script `found` finds."""
    called = tree.called(job)
    if called:
        return any(runs(tree, j, found) for j in (called.data.get("jobs") or {}).values())
    return any(found(str(step.get("run", ""))) for step in job.get("steps") or [])


def pushes_pins(tree: Tree, job: dict[str, Any]) -> bool:
    return runs(
        tree, job, lambda script: any(module == "ci.commit_pin" for module, *_ in python_modules(script))
    )


def write_access_only_to_push_pins(tree: Tree) -> list[str]:
    """`contents: write` only where the pin commit is pushed; no job may write and reach AWS."""
    problems = []
    for name, job_id, job in tree.jobs():
        grants = job.get("permissions") if isinstance(job.get("permissions"), dict) else {}
        if grants.get("contents") == "write" and not pushes_pins(tree, job):
            problems.append(f"{name}:{job_id}: `contents: write` without pushing a pin")
        if not tree.called(job) and grants.get("contents") == "write" and reaches_aws(tree, job):
            problems.append(f"{name}:{job_id}: writes to the repository and reaches AWS in one job")
    return problems


def timeouts_everywhere(tree: Tree) -> list[str]:
    return [
        f"{name}:{job_id}: no timeout-minutes"
        for name, job_id, job in tree.jobs()
        if "runs-on" in job and "timeout-minutes" not in job
    ]


def no_dangerous_triggers_or_inherited_secrets(tree: Tree) -> list[str]:
    problems = []
    for name, workflow in tree.workflows.items():
        for trigger in ("pull_request_target", "workflow_run"):
            if trigger in triggers(workflow):
                problems.append(f"{name}: runs on {trigger}, which hands untrusted code a privileged token")
    for name, job_id, job in tree.jobs():
        if job.get("secrets") == "inherit":
            problems.append(f"{name}:{job_id}: `secrets: inherit` passes every secret; name the ones needed")
    return problems


# --- scripts ---------------------------------------------------------------------------------------


def run_scripts(tree: Tree) -> Iterator[tuple[str, str]]:
    for where, step in tree.steps():
        if "run" in step:
            yield where, str(step["run"])


def no_expressions_in_run(tree: Tree) -> list[str]:
    """`${{ }}` is pasted into the script before the shell sees it: inputs go through `env:`."""
    return [f"{where}: `${{{{ }}}}` inside run:" for where, script in run_scripts(tree) if "${{" in script]


SEPARATORS = {";", "&&", "||", "|", "|&", "(", ")", "&", ";;", "{", "}"}
PREFIXES = {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec", "command"}
PIPES = {"|", "|&"}
# shlex returns a run of these characters as one token (`);`, `()`, `>&`): split it into operators.
OPERATOR_CHARS = set("();<>|&")
OPERATOR = re.compile(r"&&|\|\||;;|\|&|&>>?|[<>]+[&|]?|[();|&]")


@dataclass
class Command:
    words: list[str]  # assignments and leading keywords dropped
    prefixes: list[str]  # the keywords dropped in front of it: `exec`, `if`, `!`, ...
    own_shell: bool  # run by the script's shell itself, not in a pipeline, a `( )`/`$( )` or with `&`


def shell_commands(script: str) -> Iterator[Command]:
    """Simple commands of a shell script, comments ignored."""
    depth, before = 0, ";"  # open `(` around the command; the separator in front of it
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # an unbalanced quote spanning lines (heredocs and the like)
            continue
        tokens = [
            operator
            for token in tokens
            for operator in (OPERATOR.findall(token) if set(token) <= OPERATOR_CHARS else [token])
        ]
        current: list[str] = []
        for part in [*tokens, "\n"]:  # "\n": the end of the line, never a token
            if part not in SEPARATORS and part != "\n":
                current.append(part)
                continue
            after = ";" if part == "\n" else part
            words = [w for w in current if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)]
            prefixes: list[str] = []
            while words and words[0] in PREFIXES:
                prefixes.append(words.pop(0))
            if words:
                own = depth == 0 and before not in PIPES and after not in PIPES | {"&"}
                yield Command(words, prefixes, own)
            if part == "(":
                depth += 1
            elif part == ")":  # also ends a `case` pattern, hence the floor
                depth = max(0, depth - 1)
            if current or part != "\n":  # a line ending in `|` pipes into the next one
                before = after
            current = []


def commands(script: str) -> Iterator[list[str]]:
    """Simple commands of a shell script, each as its words (assignments and keywords dropped)."""
    return (command.words for command in shell_commands(script))


def makefile_targets(root: Path) -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):", (root / "Makefile").read_text(), re.M))


def makefile_patterns(root: Path) -> list[re.Pattern[str]]:
    """Pattern rules (`.venv-%/.installed: ...`) as expressions over target names."""
    rules = re.findall(r"^(\S*%\S*):(?!=)", (root / "Makefile").read_text(), re.M)
    return [re.compile(".+".join(re.escape(part) for part in rule.split("%"))) for rule in rules]


def make_targets_exist(tree: Tree) -> list[str]:
    targets = makefile_targets(tree.root)
    patterns = makefile_patterns(tree.root)
    problems = []
    for where, script in run_scripts(tree):
        for words in commands(script):
            if words[0] == "make":
                for target in (w for w in words[1:] if not w.startswith("-") and "=" not in w):
                    if target not in targets and not any(p.fullmatch(target) for p in patterns):
                        problems.append(f"{where}: `make {target}`: no such target in the Makefile")
    return problems


def python_modules(script: str) -> Iterator[tuple[str, list[str], Command]]:
    """(module, arguments, command) for every `python[3[.N]] -m module ...` in a script, any path."""
    for command in shell_commands(script):
        words = command.words
        if re.fullmatch(r"(?:\S*/)?python3?(?:\.\d+)?", words[0]) and len(words) > 2 and words[1] == "-m":
            yield words[2], words[3:], command


def check_options(
    where: str, command: str, parser: argparse.ArgumentParser, arguments: list[str]
) -> list[str]:
    known = {option for action in parser._actions for option in action.option_strings}
    given = {argument.split("=", 1)[0] for argument in arguments if argument.startswith("-")}
    problems = [f"{where}: `{command}` has no option {option}" for option in sorted(given - known)]
    expands = any(argument.startswith(('"$', "$")) and "[@]" in argument for argument in arguments)
    for action in parser._actions:
        if (
            action.required
            and action.option_strings
            and not given & set(action.option_strings)
            and not expands
        ):
            problems.append(f"{where}: `{command}` misses required {action.option_strings[0]}")
    return problems


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def python_commands_exist(
    tree: Tree, ops_parser: Callable[[], argparse.ArgumentParser] | None = None
) -> list[str]:
    """`python -m ops SUB --opts` against ops.cli's parser; `python -m ci.X --opts` against ci.X's."""
    if ops_parser is None:
        from ops.cli import parser as ops_parser
    problems = []
    for where, script in run_scripts(tree):
        for module, arguments, _ in python_modules(script):
            if module == "ops":
                choices = subcommands(ops_parser())
                sub = arguments[0] if arguments else ""
                if sub not in choices:
                    problems.append(
                        f"{where}: `python -m ops {sub}`: no such subcommand ({', '.join(choices)})"
                    )
                else:
                    problems += check_options(where, f"ops {sub}", choices[sub], arguments[1:])
            elif module.startswith("ci."):
                if not (tree.root / "ci" / f"{module.removeprefix('ci.')}.py").is_file():
                    problems.append(f"{where}: `python -m {module}`: no such module")
                    continue
                cli = importlib.import_module(module).parser()
                problems += check_options(where, module, cli, arguments)
    return problems


# --- deployment ------------------------------------------------------------------------------------


def applies(tree: Tree, job: dict[str, Any]) -> bool:
    """The job (or the reusable workflow it calls) runs a terragrunt/terraform apply."""
    return runs(
        tree,
        job,
        lambda script: any(w[0] in ("terragrunt", "terraform") and "apply" in w for w in commands(script)),
    )


def applies_are_never_cancelled(tree: Tree) -> list[str]:
    """Every job that applies sits in a per-environment concurrency group that never cancels."""
    problems = []
    for name, workflow in tree.workflows.items():
        top = workflow.data.get("concurrency")
        cancels = isinstance(top, dict) and top.get("cancel-in-progress") not in (False, None)
        if cancels and any(applies(tree, job) for job in (workflow.data.get("jobs") or {}).values()):
            problems.append(f"{name}: workflow concurrency may cancel a run that applies")
    for name, job_id, job in tree.jobs():
        if tree.called(job) or not applies(tree, job):
            continue
        concurrency = job.get("concurrency")
        if not isinstance(concurrency, dict) or concurrency.get("cancel-in-progress") is not False:
            problems.append(f"{name}:{job_id}: applies without `concurrency: {{cancel-in-progress: false}}`")
            continue
        environment = job.get("environment")
        env_name = environment.get("name") if isinstance(environment, dict) else environment
        if not env_name or str(env_name) not in str(concurrency.get("group", "")):
            problems.append(f"{name}:{job_id}: the concurrency group must be per environment ({env_name})")
    return problems


def kept_group(job: dict[str, Any]) -> str | None:
    """The concurrency group of a job whose run must not be lost (cancel-in-progress false or unset)."""
    concurrency = job.get("concurrency")
    if isinstance(concurrency, str):
        return concurrency
    if isinstance(concurrency, dict) and concurrency.get("cancel-in-progress") in (False, None):
        return str(concurrency.get("group", ""))
    return None


def with_inputs(text: str, inputs: dict[str, Any]) -> str:
    """`${{ inputs.NAME }}` replaced by what a caller passes (the rest of the expression kept)."""
    return re.sub(
        r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", lambda m: str(inputs.get(m.group(1), m.group(0))), text
    )


def no_step_lost_to_concurrency(tree: Tree) -> list[str]:
    """GitHub keeps one running and one pending job per concurrency group, and a newer pending job
    cancels the older pending one whatever cancel-in-progress says. A group may therefore only ever
    hold one job for one environment: then whatever replaces a pending job does the same with newer
    input (a later deploy, the pin of the later deploy). Two different jobs, or one job for two
    environments, in one group lose a step when both are pending: a pin, a deploy, a promotion."""
    holders: dict[str, set[str]] = {}
    for name, workflow in tree.workflows.items():
        if set(triggers(workflow)) == {"workflow_call"}:
            continue  # its jobs are counted once per caller, with the caller's inputs
        for job_id, job in (workflow.data.get("jobs") or {}).items():
            called = tree.called(job)
            if called is None:
                group = kept_group(job)
                if group is not None:
                    holders.setdefault(group, set()).add(f"{name}:{job_id}")
                continue
            inputs = dict(job.get("with") or {})
            for inner_id, inner in (called.data.get("jobs") or {}).items():
                group = kept_group(inner)
                if group is not None:
                    label = f"{called.path.name}:{inner_id} for {inputs.get('environment', job_id)}"
                    holders.setdefault(with_inputs(group, inputs), set()).add(label)
    return [
        f"concurrency group {group!r} holds {' and '.join(sorted(jobs))}: when both are pending, the newer "
        "cancels the older and its step is lost"
        for group, jobs in sorted(holders.items())
        if len(jobs) > 1
    ]


def pins_written_on_the_branch_head(tree: Tree) -> list[str]:
    """A pin is written on the branch as it is when the pin job runs, not on the run's own commit:
    on that, every pin pushed since (another environment's, a newer deploy's) conflicts, and the pin
    is refused: the deploy ran, its pin is lost."""
    problems = []
    for name, job_id, job in tree.jobs():
        if tree.called(job) or not pushes_pins(tree, job):
            continue
        for step in job.get("steps") or []:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                ref = str((step.get("with") or {}).get("ref", ""))
                if "github.ref" not in ref:
                    problems.append(
                        f"{name}:{job_id}: pushes a pin from the run's own commit; check out the branch "
                        "head (`ref: ${{ github.ref }}`)"
                    )
    return problems


def environment_of(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return (
        str(environment.get("name") if isinstance(environment, dict) else environment)
        if environment
        else None
    )


def deploy_targets(tree: Tree, job: dict[str, Any]) -> set[str]:
    """Environments a job deploys: its own environment when it applies, or what it asks a reusable one for."""
    called = tree.called(job)
    if called:
        inner = [j for j in (called.data.get("jobs") or {}).values() if applies(tree, j)]
        if not inner:
            return set()
        given = (job.get("with") or {}).get("environment")
        return {str(given)} if given else {"<unknown>"}
    env = environment_of(job)
    return {env or "<none>"} if applies(tree, job) else set()


def prod_is_gated_and_promoted(tree: Tree) -> list[str]:
    """Prod is applied only by a job bound to the `prod` environment, after dev, with dev's image."""
    problems = []
    for name, workflow in tree.workflows.items():
        jobs = workflow.data.get("jobs") or {}
        for job_id, job in jobs.items():
            called = tree.called(job)
            if called:
                for inner_id, inner in (called.data.get("jobs") or {}).items():
                    if applies(tree, inner) and environment_of(inner) != "${{ inputs.environment }}":
                        problems.append(
                            f"{called.path.name}:{inner_id}: applies without `environment: ${{{{ inputs.environment }}}}`"
                        )
            if "prod" not in deploy_targets(tree, job):
                continue
            if not called and environment_of(job) != "prod":
                problems.append(f"{name}:{job_id}: applies prod without `environment: prod`")
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else needs
            dev_jobs = [j for j in needs if "dev" in deploy_targets(tree, jobs.get(j, {}))]
            if not dev_jobs:
                problems.append(f"{name}:{job_id}: prod is applied without first deploying dev (needs)")
            image = str((job.get("with") or {}).get("image", ""))
            dev_images = {str((jobs[j].get("with") or {}).get("image", "")) for j in dev_jobs}
            if dev_jobs and dev_images != {image}:
                problems.append(f"{name}:{job_id}: prod must get the image dev got ({image} vs {dev_images})")
    return problems


def image_built_once(tree: Tree) -> list[str]:
    """One pushing build in the whole pipeline; every build without attestations (Lambda refuses an index)."""
    problems = []
    pushes = []
    for where, step in tree.steps():
        if str(step.get("uses", "")).startswith("docker/build-push-action@"):
            options = step.get("with") or {}
            if (
                str(options.get("provenance")).lower() != "false"
                or str(options.get("sbom")).lower() != "false"
            ):
                problems.append(f"{where}: build-push-action without `provenance: false` and `sbom: false`")
            if str(options.get("push")).lower() == "true":
                pushes.append(where)
    if len(pushes) != 1:
        problems.append(f"the image must be pushed by exactly one build step, found {pushes}")
    return problems


def terragrunt_usage(tree: Tree) -> list[str]:
    """`terragrunt run --all`, never the removed run-all; setup-terraform without its wrapper."""
    problems = []
    for where, script in run_scripts(tree):
        for words in commands(script):
            if words[0] == "terragrunt" and "run-all" in words:
                problems.append(f"{where}: `terragrunt run-all` was removed; use `terragrunt run --all`")
    for where, step in tree.steps():
        setup_terraform = str(step.get("uses", "")).startswith("hashicorp/setup-terraform@")
        if setup_terraform and (step.get("with") or {}).get("terraform_wrapper") is not False:
            problems.append(f"{where}: setup-terraform needs `terraform_wrapper: false` for Terragrunt")
    return problems


def runs_module(tree: Tree, job: dict[str, Any], wanted: str) -> bool:
    """The job (or a job of the reusable workflow it calls) runs `python -m <wanted>`."""
    called = tree.called(job)
    if called:
        return any(runs_module(tree, j, wanted) for j in (called.data.get("jobs") or {}).values())
    return any(
        module == wanted or (arguments[:1] == [wanted] and module == "ops")
        for step in job.get("steps") or []
        for module, arguments, _ in python_modules(str(step.get("run", "")))
    )


def pull_request_write_only_to_comment(tree: Tree) -> list[str]:
    """`pull-requests: write` only where a sticky comment is posted (the drift check posts none)."""
    return [
        f"{name}:{job_id}: `pull-requests: write` without posting a comment"
        for name, job_id, job in tree.jobs()
        if isinstance(job.get("permissions"), dict)
        and job["permissions"].get("pull-requests") == "write"
        and not runs_module(tree, job, "ci.sticky_comment")
    ]


def notify_topic_per_environment(tree: Tree) -> list[str]:
    """NOTIFY_SNS_TOPIC_ARN is read only in jobs bound to an environment: each account has its own
    topic (and its deploy role may publish only there), so it is an environment variable."""
    problems = []
    for name, job_id, job in tree.jobs():
        uses = "vars.NOTIFY_SNS_TOPIC_ARN" in yaml.safe_dump(job.get("steps") or [])
        if uses and not environment_of(job):
            problems.append(f"{name}:{job_id}: reads vars.NOTIFY_SNS_TOPIC_ARN without an environment")
    return problems


def aws_jobs_install_only_hash_locked_ops(tree: Tree) -> list[str]:
    """A job holding AWS credentials installs Python packages only from requirements-ops.txt, with
    --require-hashes: nothing else runs next to the deploy role."""
    problems = []
    for name, job_id, job in tree.jobs():
        if tree.called(job) or not reaches_aws(tree, job):
            continue
        for step in job.get("steps") or []:
            for words in commands(str(step.get("run", ""))):
                if "pip" in words and "install" in words:
                    files = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-r", "--requirement")]
                    if "--require-hashes" not in words or files != ["requirements-ops.txt"]:
                        problems.append(
                            f"{name}:{job_id}: `{' '.join(words)}` must be "
                            "`pip install --require-hashes -r requirements-ops.txt`"
                        )
    return problems


def preflight_before_apply(tree: Tree) -> list[str]:
    """Every job that applies runs `python -m ops preflight` first."""
    problems = []
    for name, job_id, job in tree.jobs():
        if tree.called(job) or not applies(tree, job):
            continue
        seen = False
        for step in job.get("steps") or []:
            script = str(step.get("run", ""))
            if any(
                module == "ops" and arguments[:1] == ["preflight"]
                for module, arguments, _ in python_modules(script)
            ):
                seen = True
            if any(
                words[0] in ("terragrunt", "terraform") and "apply" in words for words in commands(script)
            ):
                if not seen:
                    problems.append(f"{name}:{job_id}: applies without `python -m ops preflight` before it")
                break
    return problems


def deploys_only_from_main(tree: Tree) -> list[str]:
    """Workflows that deploy run on pushes to main only: the deploy roles trust refs/heads/main alone."""
    problems = []
    for name, workflow in tree.workflows.items():
        jobs = (workflow.data.get("jobs") or {}).values()
        if not any(deploy_targets(tree, job) for job in jobs) or "workflow_call" in triggers(workflow):
            continue
        on = triggers(workflow)
        branches = ((on.get("push") or {}) if isinstance(on.get("push"), dict) else {}).get("branches")
        if set(on) != {"push"} or branches != ["main"]:
            problems.append(
                f"{name}: deploys but runs on {sorted(on)} (branches {branches}), not pushes to main only"
            )
    return problems


def released_images_are_tagged(tree: Tree) -> list[str]:
    """The job that pushes the image tags it `release-...` after its last check: modules/ecr's
    lifecycle policy keeps exactly those images, so pinned and rollback-able digests never expire."""
    problems = []
    for name, job_id, job in tree.jobs():
        steps = job.get("steps") or []
        pushes = [
            i
            for i, step in enumerate(steps)
            if str(step.get("uses", "")).startswith("docker/build-push-action@")
            and str((step.get("with") or {}).get("push")).lower() == "true"
        ]
        if not pushes:
            continue
        checks = [i for i, step in enumerate(steps) if "trivy-action@" in str(step.get("uses", ""))]
        tags = [
            i
            for i, step in enumerate(steps)
            for words in commands(str(step.get("run", "")))
            if words[:3] == ["aws", "ecr", "put-image"] and any(w.startswith("release-") for w in words)
        ]
        if not tags or (checks and min(tags) < max(checks)):
            problems.append(
                f"{name}:{job_id}: pushes the image without tagging it release-* after its checks"
            )
    return problems


# Commands that change the deployment step by step and undo it when stopped.
UNDONE_ON_SIGNAL = (["ops", "release"], ["ops", "tune"])


def stopped_cleanly_on_cancel(tree: Tree) -> list[str]:
    """A cancelled job's step gets SIGINT, then SIGTERM, sent to its entry process, the shell of a
    `run:` ("Workflow cancellation reference", GitHub Actions docs); a shell waiting on a command does
    not pass them on, and the tree is killed 10 s later. `ops release` rolls back on either signal, so
    its step `exec`s it: the command becomes the entry process. An `exec` in a pipeline, a subshell or
    the background replaces only a child of that shell, so it does not count."""
    problems = []
    for where, script in run_scripts(tree):
        for module, arguments, command in python_modules(script):
            undone = [module, *arguments[:1]]
            if undone not in UNDONE_ON_SIGNAL:
                continue
            if "exec" not in command.prefixes:
                problems.append(f"{where}: `{' '.join(undone)}` without exec")
            elif not command.own_shell:
                problems.append(
                    f"{where}: `{' '.join(undone)}` exec'd in a pipeline, subshell or background, "
                    "not by the step's shell"
                )
    return problems


RULES: list[Callable[[Tree], list[str]]] = [
    actions_pinned_by_sha,
    trivy_action_is_recent,
    permissions_are_minimal_and_explicit,
    checkout_without_credentials,
    oidc_only_where_aws_is_reached,
    write_access_only_to_push_pins,
    timeouts_everywhere,
    no_dangerous_triggers_or_inherited_secrets,
    no_expressions_in_run,
    make_targets_exist,
    python_commands_exist,
    applies_are_never_cancelled,
    no_step_lost_to_concurrency,
    pins_written_on_the_branch_head,
    prod_is_gated_and_promoted,
    image_built_once,
    terragrunt_usage,
    pull_request_write_only_to_comment,
    notify_topic_per_environment,
    aws_jobs_install_only_hash_locked_ops,
    preflight_before_apply,
    deploys_only_from_main,
    released_images_are_tagged,
    stopped_cleanly_on_cancel,
]
