"""Each module README's inputs and outputs tables match variables.tf and outputs.tf."""

from __future__ import annotations

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
