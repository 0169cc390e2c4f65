"""Just enough of Terragrunt's configuration evaluation to check the live tree where Terragrunt is absent.

What is done the way Terragrunt 1.x does it (pkg/config in gruntwork-io/terragrunt):
- `include` blocks (one level), merged shallowly: the unit overrides its last include, which overrides
  the one before; `inputs` merge key by key, blocks (`terraform`, `remote_state`, `generate` by name,
  `dependency` by name, `exclude`) are replaced whole.
- `find_in_parent_folders` searches from the unit's parent directory upwards, also when called from an
  included file; `read_terragrunt_config` evaluates the read file in its own directory;
  `path_relative_to_include()` in an included file is the unit's path relative to that file's directory;
  `get_env`, `get_terragrunt_dir`, `get_parent_terragrunt_dir`, `get_original_terragrunt_dir` and
  `get_repo_root` as documented.
- `dependency.X.outputs`: the dependency's state outputs, its `mock_outputs` when it has none and the
  command is in `mock_outputs_allowed_terraform_commands`, or both merged (`shallow`).

Everything else in an expression (operators, conditionals, for expressions, templates and heredocs,
built-in functions such as merge and jsonencode) is evaluated by Terraform itself: each file's locals,
inputs and blocks are written out as Terraform locals, with the Terragrunt-only functions above
replaced by their values, and read back through `terraform console`. Terraform and Terragrunt share
the HCL library and these built-in functions, so what evaluates here evaluates the same there.
Any other Terragrunt-only function (run_cmd, sops_decrypt_file, get_aws_account_id, ...) is not
evaluated: Terraform reports it as an unknown function, and the caller sees that error.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

OPTIONS = SerializationOptions(with_comments=False, wrap_objects=True, wrap_tuples=True)

# remote_state.config keys Terragrunt uses itself and never passes to the S3 backend
# (terragruntOnlyConfigs in internal/remotestate/backend/s3/remote_state_config.go).
S3_TERRAGRUNT_ONLY_KEYS = frozenset(
    {
        "s3_bucket_tags",
        "dynamodb_table_tags",
        "accesslogging_bucket_tags",
        "skip_bucket_versioning",
        "skip_bucket_ssencryption",
        "skip_bucket_accesslogging",
        "skip_bucket_root_access",
        "skip_bucket_enforced_tls",
        "skip_bucket_public_access_blocking",
        "disable_bucket_update",
        "enable_lock_table_ssencryption",
        "disable_aws_client_checksums",
        "accesslogging_bucket_name",
        "accesslogging_target_object_partition_date_source",
        "accesslogging_target_prefix",
        "skip_accesslogging_bucket_acl",
        "skip_accesslogging_bucket_enforced_tls",
        "skip_accesslogging_bucket_public_access_blocking",
        "skip_accesslogging_bucket_ssencryption",
        "bucket_sse_algorithm",
        "bucket_sse_kms_key_id",
    }
)

HANDLED = (
    "find_in_parent_folders",
    "read_terragrunt_config",
    "get_env",
    "path_relative_to_include",
    "get_terragrunt_dir",
    "get_parent_terragrunt_dir",
    "get_original_terragrunt_dir",
    "get_repo_root",
)
CALL = re.compile(r"(?<![\w.])(" + "|".join(HANDLED) + r")\s*\(")
LOCAL = re.compile(r"(?<![\w.])local\.(\w+)")
INCLUDE = re.compile(r"(?<![\w.])include\.(\w+)")
DEPENDENCY = re.compile(r"(?<![\w.])dependency\.(\w+)")
DEPENDENCY_OUTPUT = re.compile(r"(?<![\w.])dependency\.(\w+)\.outputs(?:\.(\w+)|\[\"(\w+)\"\])?")


class EvalError(Exception):
    """The configuration cannot be evaluated (or uses what this evaluator does not know)."""


# ---------------------------------------------------------------------------------------------------
# Parsing: every attribute as the text of its HCL expression
# ---------------------------------------------------------------------------------------------------


def expression(value: Any) -> str:
    """The HCL expression text of a value as python-hcl2 serialises it with wrapped objects and tuples."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if value.startswith('"<<'):  # heredoc, kept with surrounding quotes
            return value[1:-1]
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value  # a quoted template
    raise EvalError(f"unexpected value {value!r}")


def _label(key: str) -> str:
    return key[1:-1] if key.startswith('"') and key.endswith('"') else key


def _attributes(body: Mapping[str, Any]) -> dict[str, str]:
    return {key: expression(value) for key, value in body.items() if not key.startswith("__")}


@dataclass
class HclFile:
    path: Path
    locals: dict[str, str] = field(default_factory=dict)
    includes: dict[str, dict[str, str]] = field(default_factory=dict)
    dependencies: dict[str, dict[str, str]] = field(default_factory=dict)
    dependency_paths: str | None = None
    terraform: dict[str, str] = field(default_factory=dict)
    generate: dict[str, dict[str, str]] = field(default_factory=dict)
    remote_state: dict[str, str] | None = None
    exclude: dict[str, str] | None = None
    inputs: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def texts(self) -> list[str]:
        """Every expression in the file (for reference scans)."""
        found = [*self.locals.values(), *self.terraform.values(), *self.attributes.values()]
        for group in (self.includes, self.dependencies, self.generate):
            for block in group.values():
                found.extend(block.values())
        for optional in (self.remote_state, self.exclude):
            found.extend((optional or {}).values())
        found.extend(text for text in (self.inputs, self.dependency_paths) if text)
        return found


@functools.lru_cache(maxsize=256)
def _load(text: str) -> dict[str, Any]:
    return hcl2.loads(text, serialization_options=OPTIONS)


def parse(path: Path) -> HclFile:
    try:
        data = _load(path.read_text())
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        raise EvalError(f"{path}: does not parse: {str(exc).splitlines()[0]}") from None
    parsed = HclFile(path)
    for key, value in data.items():
        if key.startswith("__"):
            continue
        blocks = value if isinstance(value, list) and value and isinstance(value[0], dict) else None
        if key == "inputs" and not blocks:
            parsed.inputs = expression(value)
        elif key == "locals":
            for block in blocks or []:
                parsed.locals.update(_attributes(block))
        elif key in ("include", "dependency", "generate"):
            target = {
                "include": parsed.includes,
                "dependency": parsed.dependencies,
                "generate": parsed.generate,
            }
            for block in blocks or []:
                for label, body in block.items():
                    if not label.startswith("__"):
                        target[key][_label(label)] = _attributes(body)
        elif key == "dependencies":
            parsed.dependency_paths = _attributes(blocks[0])["paths"] if blocks else None
        elif key == "terraform":
            parsed.terraform = _attributes(blocks[0]) if blocks else {}
        elif key == "remote_state":
            parsed.remote_state = _attributes(blocks[0]) if blocks else None
        elif key == "exclude":
            parsed.exclude = _attributes(blocks[0]) if blocks else None
        elif blocks:
            raise EvalError(f"{path}: block {key!r} is not supported by this evaluator")
        else:
            parsed.attributes[key] = expression(value)
    return parsed


# ---------------------------------------------------------------------------------------------------
# Small scanners over HCL expression text
# ---------------------------------------------------------------------------------------------------


def _skip_string(text: str, i: int) -> int:
    """Index after the quoted template starting at text[i] (interpolations may nest strings)."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text.startswith(("${", "%{"), i) and not text.startswith(("$${", "%%{"), i - 1):
            i = _skip_until(text, i + 2, "}")
        else:
            i += 1
    raise EvalError(f"unterminated string in {text!r}")


def _scan(text: str, i: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth before it) of text[i:], each quoted string skipped whole."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _skip_string(text, i)
            continue
        yield i, char, depth
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        i += 1


def _skip_until(text: str, i: int, closer: str) -> int:
    """Index after the `closer` that ends the expression starting at text[i]."""
    for index, char, depth in _scan(text, i):
        if depth == 0 and char in ")]}":
            if char != closer:
                raise EvalError(f"unbalanced {char!r} in {text!r}")
            return index + 1
    raise EvalError(f"missing {closer!r} in {text!r}")


def _arguments(text: str, start: int) -> tuple[list[str], int]:
    """The arguments of the call whose '(' is at text[start - 1], and the index after its ')'."""
    end = _skip_until(text, start, ")")
    inner = text[start : end - 1]
    commas = [index for index, char, depth in _scan(inner) if char == "," and depth == 0]
    pieces = [
        inner[begin + 1 : stop].strip()
        for begin, stop in zip([-1, *commas], [*commas, len(inner)], strict=True)
    ]
    # A trailing comma leaves an empty last piece, which is no argument.
    return (pieces[:-1] if pieces and not pieces[-1] else pieces), end


STATIC_FUNCTIONS = {"dirname": os.path.dirname, "basename": os.path.basename}


def static_string(text: str) -> str:
    """The value of a string known before anything is evaluated: a quoted template of literal text and
    interpolated static strings, or dirname()/basename() of one (paths of includes and dependencies)."""
    text = text.strip()
    call = re.fullmatch(r"(\w+)\s*\((.*)\)", text, re.DOTALL)
    if call and call.group(1) in STATIC_FUNCTIONS:
        return STATIC_FUNCTIONS[call.group(1)](static_string(call.group(2)))
    if not (text.startswith('"') and _skip_string(text, 0) == len(text)):
        raise EvalError(f"not a static string: {text}")
    out, i = [], 1
    while i < len(text) - 1:
        if text.startswith("${", i):
            end = _skip_until(text, i + 2, "}")
            out.append(static_string(text[i + 2 : end - 1]))
            i = end
        elif text[i] == "\\":
            out.append(json.loads(f'"{text[i : i + 2]}"'))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def literal(value: Any) -> str:
    """HCL text for a JSON-like value (strings escaped so nothing in them is interpolated)."""
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)} = {literal(item)}" for key, item in value.items()) + "}"
    raise EvalError(f"cannot write {value!r} as HCL")


# ---------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------

Outputs = Callable[[Path], dict[str, Any] | None]


@dataclass
class Unit:
    """A unit as Terragrunt would see it, with the files it reads and the evaluated result."""

    path: Path
    files: list[HclFile]
    includes: dict[str, Path]
    dependency_dirs: dict[str, Path]
    value: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> HclFile:
        return self.files[0]

    def texts(self) -> list[str]:
        return [text for parsed in self.files for text in parsed.texts()]


class _Program:
    """The Terraform locals that evaluate one unit (`prefix` keeps units apart in one program)."""

    def __init__(self, root: Path, unit_dir: Path, prefix: str, env: Mapping[str, str], safe: bool) -> None:
        self.root, self.unit_dir, self.prefix, self.env, self.safe = root, unit_dir, prefix, env, safe
        self.lines: list[str] = []
        self.files: list[HclFile] = []
        self.index: dict[Path, int] = {}
        self.include_paths: dict[str, Path] = {}
        self.emitted: set[int] = set()

    def add_file(self, path: Path) -> int:
        path = path.resolve()
        if path not in self.index:
            if not path.is_file():
                raise EvalError(f"{path} does not exist")
            self.index[path] = len(self.files)
            self.files.append(parse(path))
        return self.index[path]

    def name(self, index: int, suffix: str) -> str:
        return f"{self.prefix}_f{index}_{suffix}"

    # Terragrunt-only functions, evaluated in the context of `context` (the unit's config for the unit
    # and its includes, the read file itself for read_terragrunt_config).
    def call(self, function: str, args: list[str], context: Path, included: Path | None) -> str:
        def string_arg(position: int) -> str:
            try:
                return static_string(args[position])
            except IndexError:
                raise EvalError(f"{function}() needs argument {position + 1}") from None

        if function == "find_in_parent_folders":
            wanted = string_arg(0)
            directory = context.parent.parent
            while True:
                candidate = directory / wanted
                if candidate.exists():
                    return literal(str(candidate))
                if directory == directory.parent:
                    if len(args) > 1:
                        return args[1]
                    raise EvalError(f"find_in_parent_folders: no {wanted} above {context}")
                directory = directory.parent
        if function == "read_terragrunt_config":
            path = Path(string_arg(0))
            path = path if path.is_absolute() else context.parent / path
            index = self.add_file(path)
            self.emit_file(index, path.resolve(), None)
            return f"local.{self.name(index, 'read')}"
        if function == "get_env":
            variable = string_arg(0)
            if variable in self.env:
                return literal(self.env[variable])
            if len(args) > 1:
                return f"({args[1]})"
            raise EvalError(f"get_env: {variable} is not set and has no default")
        if function == "path_relative_to_include":
            if included is not None:
                return literal(os.path.relpath(self.unit_dir, included.parent))
            if args:
                label = string_arg(0)
                target = self.include_paths.get(label)
                if target is None:
                    raise EvalError(f"path_relative_to_include: no include {label!r}")
                return literal(os.path.relpath(self.unit_dir, target.parent))
            return literal(".")
        if function == "get_terragrunt_dir":
            return literal(str(context.parent))
        if function == "get_parent_terragrunt_dir":
            return literal(str((included or context).parent))
        if function == "get_original_terragrunt_dir":
            return literal(str(self.unit_dir))
        return literal(str(self.root))  # get_repo_root

    def rewrite(self, text: str, index: int, context: Path, included: Path | None) -> str:
        """Terragrunt-only functions replaced by values; locals, includes, dependencies renamed.

        Locals are renamed first, so the references the replacements bring in stay as they are."""
        text = LOCAL.sub(lambda m: f"local.{self.name(index, 'local')}__{m.group(1)}", text)
        text = INCLUDE.sub(lambda m: f"local.{self.prefix}_include_{m.group(1)}", text)
        text = DEPENDENCY.sub(lambda m: f"local.{self.prefix}_dependency_{m.group(1)}", text)
        while True:
            calls = list(CALL.finditer(text))
            if not calls:
                break
            match = calls[-1]  # the last call to start has no handled call nested in it
            args, end = _arguments(text, match.end())
            value = self.call(match.group(1), args, context, included)
            text = text[: match.start()] + value + text[end:]
        return text

    def assign(self, name: str, text: str) -> None:
        self.lines.append(f"  {name} = {text}\n")

    def value(self, text: str) -> str:
        """A reference to `text` held in a local of its own (a heredoc must end its own line)."""
        name = f"{self.prefix}_v{len(self.lines)}"
        self.assign(name, text)
        return f"local.{name}"

    def emit_file(self, index: int, context: Path, included: Path | None) -> None:
        """Locals of a file, once, and its `read_terragrunt_config` value."""
        if index in self.emitted:
            return
        self.emitted.add(index)
        parsed = self.files[index]
        for key, text in parsed.locals.items():
            self.assign(f"{self.name(index, 'local')}__{key}", self.rewrite(text, index, context, included))
        members = ", ".join(f"{key} = local.{self.name(index, 'local')}__{key}" for key in parsed.locals)
        self.assign(self.name(index, "locals"), "{" + members + "}")
        inputs = self.rewrite(parsed.inputs, index, context, included) if parsed.inputs else "{}"
        # safe: inputs that do not evaluate become null, so the rest of the unit can still be checked.
        self.assign(self.name(index, "inputs"), f"try({inputs}, null)" if self.safe else inputs)
        self.assign(
            self.name(index, "read"),
            f"{{locals = local.{self.name(index, 'locals')}, inputs = local.{self.name(index, 'inputs')}}}",
        )


def load_unit(
    root: Path,
    unit_dir: Path,
    prefix: str,
    env: Mapping[str, str],
    outputs: Outputs,
    command: str,
    safe: bool = False,
) -> tuple[Unit, _Program]:
    """Build the Terraform locals that evaluate `unit_dir`; the result is `local.<prefix>`."""
    program = _Program(root.resolve(), unit_dir.resolve(), prefix, env, safe)
    config_path = program.unit_dir / "terragrunt.hcl"
    program.add_file(config_path)
    config = program.files[0]

    # Includes: one level, each evaluated in the unit's context.
    order: list[tuple[int, Path | None]] = []
    for label, block in config.includes.items():
        path_text = program.rewrite(block["path"], 0, config_path, None)
        path = Path(static_string(path_text)).resolve()
        program.include_paths[label] = path
        index = program.add_file(path)
        if program.files[index].includes:
            raise EvalError(f"{path}: an included file may not include another (one level only)")
        order.append((index, path))
    order.append((0, None))  # the unit itself, merged last

    for index, included in order:
        program.emit_file(index, config_path, included)
    for label, path in program.include_paths.items():
        index = program.index[path]
        program.assign(
            f"{prefix}_include_{label}",
            f"{{locals = local.{program.name(index, 'locals')}, inputs = local.{program.name(index, 'inputs')}}}",
        )

    # Blocks, merged as Terragrunt merges includes: later in `order` overrides earlier.
    def owner_rewrite(index: int, included: Path | None, text: str) -> str:
        return program.value(program.rewrite(text, index, config_path, included))

    source: str | None = None
    remote_state: str | None = None
    exclude: str | None = None
    dependency_paths: list[str] = []
    generate: dict[str, str] = {}
    dependencies: dict[str, tuple[int, Path | None, dict[str, str]]] = {}
    attributes: dict[str, str] = {}
    for index, included in order:
        parsed = program.files[index]
        if "source" in parsed.terraform:
            source = owner_rewrite(index, included, parsed.terraform["source"])
        if parsed.remote_state is not None:
            remote_state = _object(parsed.remote_state, functools.partial(owner_rewrite, index, included))
        if parsed.exclude is not None:
            exclude = _object(parsed.exclude, functools.partial(owner_rewrite, index, included))
        if parsed.dependency_paths is not None:  # `dependencies` paths concatenate across includes
            dependency_paths.append(owner_rewrite(index, included, parsed.dependency_paths))
        for label, block in parsed.generate.items():
            generate[label] = _object(block, functools.partial(owner_rewrite, index, included))
        for label, block in parsed.dependencies.items():
            dependencies[label] = (index, included, block)
        for key, text in parsed.attributes.items():
            attributes[key] = owner_rewrite(index, included, text)

    dependency_dirs: dict[str, Path] = {}
    dependency_values: dict[str, str] = {}
    for label, (index, included, block) in dependencies.items():
        if "config_path" not in block:
            raise EvalError(f"{config_path}: dependency {label!r} has no config_path")
        target = Path(static_string(program.rewrite(block["config_path"], index, config_path, included)))
        target = (target if target.is_absolute() else program.unit_dir / target).resolve()
        dependency_dirs[label] = target
        mocks = owner_rewrite(index, included, block.get("mock_outputs", "{}"))
        allowed_text = program.rewrite(
            block.get("mock_outputs_allowed_terraform_commands", "[]"), index, config_path, included
        )
        allowed = [static_string(item) for item in _tuple_items(allowed_text)]
        strategy = static_string(block.get("mock_outputs_merge_strategy_with_state", '"no_merge"'))
        state = outputs(target)
        mocks_allowed = command in allowed
        if state is None:
            if not mocks_allowed:
                raise EvalError(
                    f"{config_path}: dependency {label!r} has no outputs and mocks are not allowed for {command}"
                )
            value = mocks
        elif mocks_allowed and strategy == "shallow":
            value = f"merge({mocks}, {literal(state)})"
        else:
            value = literal(state)
        dependency_values[label] = value
        program.assign(f"{prefix}_dependency_{label}", f"{{outputs = {value}}}")
        program.assign(
            f"{prefix}_dependency_{label}_block",
            "{"
            + f"config_path = {literal(str(target))}, mock_outputs = {mocks}, "
            + f"mock_outputs_allowed_terraform_commands = {literal(allowed)}, "
            + f"mock_outputs_merge_strategy_with_state = {literal(strategy)}"
            + "}",
        )

    inputs = ", ".join(f"local.{program.name(index, 'inputs')}" for index, _ in order)
    members = {
        "inputs": f"try(merge({inputs}), null)" if safe else f"merge({inputs})",
        "source": source or "null",
        "remote_state": remote_state or "null",
        "exclude": exclude or "null",
        "dependency_paths": f"concat({', '.join(dependency_paths)})" if dependency_paths else "[]",
        "generate": "{" + ", ".join(f"{json.dumps(k)} = {v}" for k, v in generate.items()) + "}",
        "dependencies": "{"
        + ", ".join(
            f"{json.dumps(label)} = local.{prefix}_dependency_{label}_block" for label in dependency_values
        )
        + "}",
        "attributes": "{" + ", ".join(f"{json.dumps(k)} = {v}" for k, v in attributes.items()) + "}",
    }
    program.assign(prefix, "{" + ", ".join(f"{key} = {value}" for key, value in members.items()) + "}")
    unit = Unit(program.unit_dir, program.files, program.include_paths, dependency_dirs)
    return unit, program


def _object(attributes: Mapping[str, str], rewrite: Callable[[str], str]) -> str:
    return "{" + ", ".join(f"{key} = {rewrite(text)}" for key, text in attributes.items()) + "}"


def _tuple_items(text: str) -> list[str]:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise EvalError(f"not a list: {text}")
    items, _ = _arguments("(" + text[1:-1] + ")", 1)
    return items


def evaluate(
    root: Path,
    unit_dirs: list[Path],
    terraform_env: Mapping[str, str],
    workdir: Path,
    env: Mapping[str, str] | None = None,
    outputs: Outputs | None = None,
    command: str = "plan",
    safe: bool = False,
) -> dict[Path, Unit]:
    """Evaluate units the way Terragrunt would for `command`, in one `terraform console` run.

    `env` is what get_env sees (default: the process environment); `outputs(unit_dir)` returns a
    dependency's state outputs, or None when it has none (default: none, so mocks are used).
    """
    env = dict(os.environ if env is None else env)
    outputs = outputs or (lambda _path: None)
    units: dict[Path, Unit] = {}
    lines: list[str] = []
    for number, unit_dir in enumerate(unit_dirs):
        unit, program = load_unit(root, unit_dir, f"u{number}", env, outputs, command, safe)
        units[unit.path] = unit
        lines.extend(program.lines)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf").write_text("locals {\n" + "".join(lines) + "}\n")
    expression_text = "jsonencode({" + ", ".join(f"u{n} = local.u{n}" for n in range(len(unit_dirs))) + "})"
    result = subprocess.run(
        ["terraform", "console", "-no-color"],
        input=expression_text,
        cwd=workdir,
        env=dict(terraform_env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise EvalError(f"terraform console failed:\n{result.stderr.strip()}")
    values = json.loads(json.loads(result.stdout))
    for number, unit in enumerate(units.values()):
        unit.value = values[f"u{number}"]
    return units


def dependency_reads(unit: Unit) -> set[tuple[str, str | None]]:
    """(dependency, output) pairs the unit's files read; output None when the whole map is read."""
    reads = set()
    for text in unit.texts():
        for match in DEPENDENCY_OUTPUT.finditer(text):
            reads.add((match.group(1), match.group(2) or match.group(3)))
    return reads


def backend_config(unit: Unit) -> dict[str, Any]:
    """The S3 backend settings Terragrunt writes into backend.tf (its own keys removed)."""
    config = unit.value["remote_state"]["config"]
    return {key: value for key, value in config.items() if key not in S3_TERRAGRUNT_ONLY_KEYS}


def backend_tf(unit: Unit) -> str:
    """backend.tf as `remote_state { generate = ... }` writes it."""
    backend = unit.value["remote_state"]["backend"]
    body = "".join(f"    {key} = {literal(value)}\n" for key, value in sorted(backend_config(unit).items()))
    return f'terraform {{\n  backend "{backend}" {{\n{body}  }}\n}}\n'


def tf_var_env(inputs: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, None]]:
    """TF_VAR_* variables as Terragrunt sets them (strings verbatim, others JSON), and the null inputs
    it writes to a .auto.tfvars.json file instead (ToTerraformEnvVars in internal/runner/run)."""
    variables: dict[str, str] = {}
    nulls: dict[str, None] = {}
    for name, value in inputs.items():
        if value is None:
            nulls[name] = None
        else:
            variables[f"TF_VAR_{name}"] = value if isinstance(value, str) else json.dumps(value)
    return variables, nulls
