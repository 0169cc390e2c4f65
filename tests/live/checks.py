"""The live tree's contract (issue 4), as checks that yield problems: none means it holds.

Each check takes a `Tree` (the repository's root.hcl, live/ and modules/, evaluated by
shared/terragrunt.py the way Terragrunt would) and names what is wrong in one line per problem.
tests/live/test_tree.py runs them on the repository and on broken copies.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from ops import preflight
from shared import terragrunt as tg
from shared.pins import PLAIN

ENVIRONMENTS = ("dev", "prod")
ROOT_INCLUDE = 'find_in_parent_folders("root.hcl")'
MOCK_COMMANDS = ["validate", "plan"]
DEFAULT_TAGS = {"project", "environment", "managed-by", "repository"}
PROVIDER_VERSION = "~> 5.100"  # the AWS provider line the environments run (root.hcl)
EMULATOR_PROVIDER_SETTINGS = ("skip_credentials_validation", "skip_metadata_api_check", "s3_use_path_style")
# The unit whose roles CI cannot manage (see live/_envcommon/github-oidc.hcl).
CI_ROLES_UNIT = "github-oidc"
# The one file that names the state bucket (read by root.hcl and the github-oidc unit).
STATE_FILE = "live/state.hcl"


@dataclass
class Tree:
    """The live tree evaluated for `plan` with mocks, on AWS and (lazily) with AWS_ENDPOINT_URL set."""

    root: Path
    terraform_env: Mapping[str, str]
    workdir: Path
    problems: list[str] = field(default_factory=list)  # what kept the tree from evaluating
    _evaluated: dict[bool, dict[Path, tg.Unit]] = field(default_factory=dict)

    def evaluate(self, emulated: bool) -> dict[Path, tg.Unit]:
        if emulated not in self._evaluated:
            env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"} if emulated else {}
            name = "emulated" if emulated else "aws"
            units = unit_dirs(self.root)
            try:
                result = tg.evaluate(self.root, units, self.terraform_env, self.workdir / name, env=env)
            except tg.EvalError as exc:
                self.problems.append(f"the tree does not evaluate ({name}): {_first_error(str(exc))}")
                # Again with the inputs that fail set to null, to check everything else.
                result = tg.evaluate(
                    self.root, units, self.terraform_env, self.workdir / f"{name}-safe", env=env, safe=True
                )
            self._evaluated[emulated] = result
        return self._evaluated[emulated]

    @property
    def units(self) -> dict[Path, tg.Unit]:
        return self.evaluate(emulated=False)

    @property
    def emulated(self) -> dict[Path, tg.Unit]:
        return self.evaluate(emulated=True)

    def name(self, path: Path) -> str:
        return str(path.relative_to(self.root))


def _first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    detail = [
        line for line in lines if not line.startswith(("Error:", "on ", "│", "╷", "╵", "terraform console"))
    ]
    return " ".join((errors[:1] or lines[:1]) + detail[-1:])


def unit_dirs(root: Path) -> list[Path]:
    return sorted(path.parent for path in (root / "live").glob("*/*/terragrunt.hcl"))


def hcl_files(root: Path) -> list[Path]:
    return [root / "root.hcl", *sorted((root / "live").rglob("*.hcl"))]


@cache
def module_interface(module: Path) -> tuple[dict[str, bool], frozenset[str]]:
    """A module's variables (name -> required) and output names."""
    variables: dict[str, bool] = {}
    outputs: set[str] = set()
    for path in sorted(module.glob("*.tf")):
        data = hcl2.loads(path.read_text())
        for block in data.get("variable", []):
            for label, body in block.items():
                if not label.startswith("__"):
                    variables[label.strip('"')] = "default" not in body
        for block in data.get("output", []):
            outputs.update(label.strip('"') for label in block if not label.startswith("__"))
    return variables, frozenset(outputs)


def module_dir(unit: tg.Unit) -> Path | None:
    """The module directory terraform.source names, when it is a local path."""
    source = unit.value.get("source")
    if not source or "::" in source or "?" in source:
        return None
    base, _, sub = source.partition("//")
    return (Path(base) / sub).resolve()


def _existing_module(unit: tg.Unit | None) -> Path | None:
    """The unit's local module directory, when there is one (sources_resolve says why not)."""
    module = module_dir(unit) if unit is not None else None
    return module if module is not None and module.is_dir() else None


def _dependencies(tree: Tree) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """Every dependency block of every unit: the unit's path, the block's label, the block."""
    for path, unit in tree.units.items():
        for label, block in unit.value.get("dependencies", {}).items():
            yield path, label, block


# ---------------------------------------------------------------------------------------------------


def evaluation(tree: Tree) -> Iterator[str]:
    tree.evaluate(emulated=False)
    tree.evaluate(emulated=True)
    yield from tree.problems


def parsed_and_formatted(tree: Tree) -> Iterator[str]:
    """Every .hcl parses, and `terraform fmt` would change nothing (it reads HCL on stdin)."""
    for path in hcl_files(tree.root):
        text = path.read_text()
        try:
            hcl2.loads(text)
        except Exception as exc:  # lark raises several error types
            yield f"{tree.name(path)}: does not parse: {str(exc).splitlines()[0]}"
            continue
        result = subprocess.run(
            ["terraform", "fmt", "-no-color", "-"],
            input=text,
            capture_output=True,
            text=True,
            env=dict(tree.terraform_env),
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            yield f"{tree.name(path)}: terraform fmt failed: {result.stderr.strip()[:200]}"
        elif result.stdout != text:
            yield f"{tree.name(path)}: not formatted (terraform fmt - < {tree.name(path)})"


def units_include_root(tree: Tree) -> Iterator[str]:
    for stray in [tree.root / "terragrunt.hcl", tree.root / "live" / "terragrunt.hcl"]:
        if stray.exists():
            yield f"{tree.name(stray)}: a root config named terragrunt.hcl is deprecated; use root.hcl"
    for path, unit in tree.units.items():
        block = unit.config.includes.get("root")
        if block is None or re.sub(r"\s", "", block.get("path", "")) != ROOT_INCLUDE.replace(" ", ""):
            yield f'{tree.name(path)}: no include "root" {{ path = {ROOT_INCLUDE} }}'
        elif unit.includes["root"] != (tree.root / "root.hcl").resolve():
            yield f"{tree.name(path)}: include root resolves to {unit.includes['root']}"


def sources_resolve(tree: Tree) -> Iterator[str]:
    for path, unit in tree.units.items():
        module = module_dir(unit)
        source = unit.value.get("source")
        if module is None:
            yield f"{tree.name(path)}: terraform.source {source!r} is not a module in this repository"
        elif not module.is_dir() or not any(module.glob("*.tf")):
            yield f"{tree.name(path)}: terraform.source {source!r} is no module (no {module})"
        elif not module.is_relative_to((tree.root / "modules").resolve()):
            yield f"{tree.name(path)}: terraform.source {source!r} is outside modules/"


def inputs_match_variables(tree: Tree) -> Iterator[str]:
    for path, unit in tree.units.items():
        module = _existing_module(unit)
        if module is None:
            continue
        variables, _ = module_interface(module)
        inputs = unit.value.get("inputs")
        if inputs is None:
            yield f"{tree.name(path)}: inputs do not evaluate"
            continue
        for name in sorted(set(inputs) - set(variables)):
            yield f"{tree.name(path)}: input {name!r} is not a variable of {tree.name(module)}"
        for name in sorted(name for name, required in variables.items() if required and name not in inputs):
            yield f"{tree.name(path)}: required variable {name!r} of {tree.name(module)} is not set"


def dependency_outputs(tree: Tree) -> Iterator[str]:
    for path, label, block in _dependencies(tree):
        target = Path(block["config_path"])
        if target not in tree.units:
            yield f"{tree.name(path)}: dependency {label!r} is no unit ({block['config_path']})"
        elif target.parent != path.parent:
            yield f"{tree.name(path)}: dependency {label!r} is in another environment"
        module = _existing_module(tree.units.get(target))
        extra = set(block["mock_outputs"]) - module_interface(module)[1] if module else set()
        for name in sorted(extra):
            yield f"{tree.name(path)}: mock output {label}.{name} is not an output of the module"
    for path, unit in tree.units.items():
        declared = unit.value.get("dependencies", {})
        for label, output in sorted(tg.dependency_reads(unit), key=str):
            where = f"{tree.name(path)}: dependency.{label}.outputs"
            if label not in declared:
                yield f"{where}: no dependency {label!r} is declared"
                continue
            if output is None:
                yield f"{where} is read whole: read named outputs so they can be checked"
                continue
            module = _existing_module(tree.units.get(Path(declared[label]["config_path"])))
            if module is not None and output not in module_interface(module)[1]:
                yield f"{where}.{output}: not an output of {tree.name(module)}"
            if output not in declared[label]["mock_outputs"]:
                yield f"{where}.{output}: missing from its mock_outputs"


def mocks_restricted(tree: Tree) -> Iterator[str]:
    for path, label, block in _dependencies(tree):
        allowed = block["mock_outputs_allowed_terraform_commands"]
        if sorted(allowed) != sorted(MOCK_COMMANDS):
            yield f"{tree.name(path)}: dependency {label!r} allows mocks for {allowed}, not {MOCK_COMMANDS}"
        if block["mock_outputs_merge_strategy_with_state"] != "shallow":
            yield f"{tree.name(path)}: dependency {label!r} does not merge mocks with state shallowly"


def environments_match(tree: Tree) -> Iterator[str]:
    """dev and prod: the same units, byte for byte, and env.hcl files setting the same documented keys."""
    live = tree.root / "live"
    names = {
        env: sorted(p.name for p in unit_dirs(tree.root) if p.parent.name == env) for env in ENVIRONMENTS
    }
    if names["dev"] != names["prod"]:
        yield f"live/dev has units {names['dev']}, live/prod has {names['prod']}"
    for name in sorted(set(names["dev"]) & set(names["prod"])):
        files = {
            env: sorted(p.name for p in (live / env / name).iterdir() if p.is_file()) for env in ENVIRONMENTS
        }
        if files["dev"] != files["prod"]:
            yield f"{name}: live/dev/{name} holds {files['dev']}, live/prod/{name} {files['prod']}"
            continue
        for file in files["dev"]:
            if (live / "dev" / name / file).read_bytes() != (live / "prod" / name / file).read_bytes():
                yield f"live/prod/{name}/{file} differs from live/dev/{name}/{file}"
    keys = {env: set(tg.parse(live / env / "env.hcl").locals) for env in ENVIRONMENTS}
    for extra in sorted(keys["prod"] - keys["dev"]):
        yield f"live/prod/env.hcl sets {extra!r}, which live/dev/env.hcl does not"
    for extra in sorted(keys["dev"] - keys["prod"]):
        yield f"live/dev/env.hcl sets {extra!r}, which live/prod/env.hcl does not"
    readme = (live / "README.md").read_text() if (live / "README.md").exists() else ""
    for key in sorted(keys["dev"] | keys["prod"]):
        if f"| `{key}` |" not in readme:
            yield f"env.hcl value {key!r} is not documented in live/README.md"


def _provider(contents: str) -> dict[str, Any]:
    """The one aws provider block of a generated provider.tf, as plain values."""
    data = hcl2.loads(contents, serialization_options=PLAIN)
    providers = [block["aws"] for block in data.get("provider", []) if "aws" in block]
    return providers[0] if len(providers) == 1 else {}


def state_and_provider(tree: Tree) -> Iterator[str]:
    """remote_state and the generated provider, with and without the emulator."""
    for emulated, units in ((False, tree.units), (True, tree.emulated)):
        mode = "with AWS_ENDPOINT_URL" if emulated else "on AWS"
        for path, unit in units.items():
            name = tree.name(path)
            env = tg.parse(path.parent / "env.hcl").locals
            account, region = tg.static_string(env["account_id"]), tg.static_string(env["region"])
            state = unit.value.get("remote_state") or {}
            config = state.get("config", {})
            expected = {
                "encrypt": True,
                "use_lockfile": True,
                "key": f"{name}/terraform.tfstate",
                "region": region,
            }
            for key, value in expected.items():
                if config.get(key) != value:
                    yield f"{name} ({mode}): remote_state {key} = {config.get(key)!r}, not {value!r}"
            if state.get("backend") != "s3" or state.get("generate", {}).get("path") != "backend.tf":
                yield f"{name} ({mode}): remote_state is not an S3 backend generated into backend.tf"
            if account not in config.get("bucket", "") or region not in config.get("bucket", ""):
                yield (
                    f"{name} ({mode}): state bucket {config.get('bucket')!r} is not per account and region"
                )
            if bool(config.get("force_path_style")) != emulated:
                yield f"{name} ({mode}): force_path_style is {config.get('force_path_style')!r}"
            provider_block = unit.value.get("generate", {}).get("provider", {})
            if provider_block.get("path") != "provider.tf":
                yield f"{name} ({mode}): no generate provider writing provider.tf"
                continue
            provider = _provider(provider_block["contents"])
            if provider.get("region") != region:
                yield f"{name} ({mode}): provider region is {provider.get('region')!r}"
            if provider.get("allowed_account_ids") != [account]:
                yield (
                    f"{name} ({mode}): provider allowed_account_ids is {provider.get('allowed_account_ids')}"
                )
            tags = (provider.get("default_tags") or [{}])[0].get("tags", {})
            if set(tags) != DEFAULT_TAGS:
                yield (
                    f"{name} ({mode}): provider default_tags are {sorted(tags)}, not {sorted(DEFAULT_TAGS)}"
                )
            pinned = unit.value.get("generate", {}).get("provider_version", {})
            versions = hcl2.loads(pinned.get("contents", ""), serialization_options=PLAIN) if pinned else {}
            aws = [
                block.get("aws", {})
                for t in versions.get("terraform", [])
                for block in t.get("required_providers", [])
            ]
            if not pinned.get("path", "").endswith("_override.tf") or [a.get("version") for a in aws] != [
                PROVIDER_VERSION
            ]:
                yield (
                    f"{name} ({mode}): the AWS provider is not pinned to {PROVIDER_VERSION} by an override file"
                )
            for setting in EMULATOR_PROVIDER_SETTINGS:
                if (setting in provider) != emulated:
                    yield f"{name} ({mode}): provider setting {setting} {'missing' if emulated else 'set'}"


def ci_roles(tree: Tree) -> Iterator[str]:
    """github-oidc: left out of `run --all apply/destroy` only, its state access matching remote_state."""
    for path, unit in tree.units.items():
        exclude = unit.value.get("exclude")
        if path.name == CI_ROLES_UNIT:
            if (
                not exclude
                or exclude.get("if") is not True
                or sorted(exclude.get("actions", [])) != ["apply", "destroy"]
                or exclude.get("exclude_dependencies") is not False
            ):
                yield (
                    f"{tree.name(path)}: must be excluded from run --all apply and destroy only, got {exclude}"
                )
            inputs = unit.value.get("inputs") or {}
            bucket = unit.value["remote_state"]["config"]["bucket"]
            if inputs.get("state_bucket_name") != bucket:
                yield (
                    f"{tree.name(path)}: state_bucket_name {inputs.get('state_bucket_name')!r} is not {bucket!r}"
                )
            prefix = inputs.get("state_key_prefix", "")
            for other in tree.units.values():
                key = other.value["remote_state"]["config"]["key"]
                if other.path.parent == path.parent and not key.startswith(prefix):
                    yield f"{tree.name(path)}: state_key_prefix {prefix!r} does not cover {key}"
        elif path.name == "lambda" and exclude:
            # Left out of plans only, and only while nothing is pinned (live/_envcommon/lambda.hcl).
            empty_pin = (unit.value.get("inputs") or {}).get("image_uri") == ""
            if exclude.get("actions") != ["plan"] or exclude.get("if") is not empty_pin:
                yield (
                    f"{tree.name(path)}: may be excluded from plans only while its pin is empty, got {exclude}"
                )
        elif exclude:
            yield f"{tree.name(path)}: excluded from run --all ({exclude})"


def state_bucket_named_once(tree: Tree) -> Iterator[str]:
    """The state bucket's name is spelt in live/state.hcl only; root.hcl and the CI roles read it there."""
    for path in hcl_files(tree.root):
        name = str(path.relative_to(tree.root))
        if name != STATE_FILE and "-tfstate-" in path.read_text():
            yield f"{name} spells the state bucket's name: read it from {STATE_FILE}"
    # ops preflight runs without Terragrunt, so it builds the name from env.hcl and project.hcl: held
    # here to what every unit's remote_state evaluates to.
    for path, unit in tree.units.items():
        bucket = (unit.value.get("remote_state") or {}).get("config", {}).get("bucket")
        checked = preflight.read(path.parent.name, tree.root / "live").state_bucket
        if bucket != checked:
            yield f"{tree.name(path)}: state bucket {bucket!r}, but ops preflight checks {checked!r}"


CHECKS: dict[str, Callable[[Tree], Iterator[str]]] = {
    "parsed_and_formatted": parsed_and_formatted,
    "evaluation": evaluation,
    "units_include_root": units_include_root,
    "sources_resolve": sources_resolve,
    "inputs_match_variables": inputs_match_variables,
    "dependency_outputs": dependency_outputs,
    "mocks_restricted": mocks_restricted,
    "environments_match": environments_match,
    "state_and_provider": state_and_provider,
    "ci_roles": ci_roles,
    "state_bucket_named_once": state_bucket_named_once,
}
