"""Each module README's inputs and outputs tables match variables.tf and outputs.tf."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.infra import readme_tables
from tests.infra.conftest import MODULES, ROOT


@pytest.mark.parametrize("module", MODULES)
def test_readme_tables_match_code(module: str) -> None:
    directory = ROOT / "modules" / module
    assert readme_tables.readme_tables(directory / "README.md") == readme_tables.render(directory), (
        f"modules/{module}/README.md is out of date: run `python -m tests.infra.readme_tables`"
    )


def test_readme_check_notices_a_new_variable(tmp_path: Path) -> None:
    module = tmp_path / "ecr"
    shutil.copytree(ROOT / "modules" / "ecr", module)
    assert readme_tables.readme_tables(module / "README.md") == readme_tables.render(module)

    with (module / "variables.tf").open("a") as handle:
        handle.write(
            '\nvariable "extra" {\n  description = "Added without documenting it."\n  type = bool\n}\n'
        )
    assert readme_tables.readme_tables(module / "README.md") != readme_tables.render(module)

    assert readme_tables.write(module)
    assert (
        "| extra | Added without documenting it. | `bool` | n/a | yes |" in (module / "README.md").read_text()
    )
    assert not readme_tables.write(module), "a second rewrite must change nothing"


def test_readme_without_markers_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# no tables\n")
    with pytest.raises(ValueError, match="BEGIN_TF_DOCS"):
        readme_tables.readme_tables(tmp_path / "README.md")


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (None, "null"),
        (True, "true"),
        (365, "365"),
        ('"live"', '"live"'),
        (['"a"', '"b"'], '["a", "b"]'),
        ({}, "{}"),
        ({'"key"': '"v"'}, '{ key = "v" }'),
        ("${list(string)}", "list(string)"),
    ],
)
def test_render_value(value: object, rendered: str) -> None:
    assert readme_tables.render_value(value) == rendered


DEPLOYERS = sorted(path.parents[2].name for path in (ROOT / "modules").glob("*/modules/deployer/main.tf"))


def undocumented_statements(module: Path) -> list[str]:
    """Statements of the module's deployer its README's "Deployer permissions" table does not name."""
    sids = re.findall(r'\bsid\s*=\s*"(\w+)"', (module / "modules" / "deployer" / "main.tf").read_text())
    readme = (module / "README.md").read_text()
    if "## Deployer permissions" not in readme:
        return sids
    section = readme.split("## Deployer permissions", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(\w+)\*?`", section)
    return [
        sid
        for sid in sids
        if not any(sid == name or (f"`{name}*`" in section and sid.startswith(name)) for name in named)
    ]


def test_every_module_says_what_deploying_it_takes() -> None:
    """Each module of the stack has a deployer (modules/github-oidc builds the CI roles from them)."""
    assert DEPLOYERS == ["api-gateway", "ecr", "kms-key", "lambda", "log-group", "monitoring"]


@pytest.mark.parametrize("module", DEPLOYERS)
def test_readme_names_every_deployer_statement(module: str) -> None:
    assert undocumented_statements(ROOT / "modules" / module) == [], (
        f"modules/{module}/README.md: add these statements of modules/deployer to its Deployer permissions table"
    )


def test_readme_check_notices_a_new_deployer_statement(tmp_path: Path) -> None:
    module = tmp_path / "lambda"
    shutil.copytree(ROOT / "modules" / "lambda", module)
    main = module / "modules" / "deployer" / "main.tf"
    main.write_text(main.read_text().replace('sid = "LambdaFunction"', 'sid = "QueueWrites"', 1))
    assert undocumented_statements(module) == ["QueueWrites"]
