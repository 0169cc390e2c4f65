"""Inputs and outputs tables of the module READMEs, rendered from variables.tf and outputs.tf.

Each README holds its tables between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` (the
markers terraform-docs uses). `test_readme_tables_match_code` fails when they drift;
`python -m tests.infra.readme_tables` rewrites them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def module_dirs() -> list[Path]:
    return sorted(path.parent for path in (ROOT / "modules").glob("*/variables.tf"))


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _expression(text: str) -> str:
    match = re.fullmatch(r"\$\{(.*)\}", text, flags=re.DOTALL)
    return match.group(1) if match else text


def render_value(value: Any) -> str:
    """A default value as HCL (python-hcl2 keeps string literals quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _expression(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        body = ", ".join(f"{_unquote(key)} = {render_value(item)}" for key, item in value.items())
        return "{" + (f" {body} " if body else "") + "}"
    return str(value)


def _cell(text: str) -> str:
    # Pipes would end the cell; a bare <name> would render as an HTML tag.
    return " ".join(text.split()).replace("|", "\\|").replace("<", "\\<")


def _code(text: str) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return [(_unquote(name), body) for block in parsed.get(kind, []) for name, body in block.items()]


def render(module: Path) -> str:
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in _blocks(module / "variables.tf", "variable"):
        required = "default" not in body
        default = "n/a" if required else _code(render_value(body["default"]))
        kind = _code(_expression(str(body.get("type", "any"))))
        description = _cell(_unquote(str(body.get("description", ""))))
        lines.append(f"| {name} | {description} | {kind} | {default} | {'yes' if required else 'no'} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in _blocks(module / "outputs.tf", "output"):
        lines.append(f"| {name} | {_cell(_unquote(str(body.get('description', ''))))} |")
    return "\n".join(lines)


def readme_tables(readme: Path) -> str:
    """The text between the markers, or a clear error when they are missing."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme} has no {BEGIN} ... {END} section")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write(module: Path) -> bool:
    """Rewrite the module README's tables; True when something changed."""
    readme = module / "README.md"
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    updated = f"{head}{BEGIN}\n{render(module)}\n{END}{tail}"
    if updated == text:
        return False
    readme.write_text(updated)
    return True


def main() -> int:
    for module in module_dirs():
        if write(module):
            print(f"updated {module.relative_to(ROOT)}/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
