"""One entry point, named three times: the Dockerfile's CMD, the Lambda module's image_config command
(set explicitly so the function does not drift from the image) and `app.handler.handler` itself."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import hcl2

from shared.dockerfile import dockerfile_cmd

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "modules" / "lambda"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"x"'); expressions come as '${...}'."""
    if isinstance(value, list):
        return [unquote(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    return value


def block(blocks: list[dict[str, Any]] | dict[str, Any], name: str) -> dict[str, Any]:
    for entry in blocks if isinstance(blocks, list) else [blocks]:
        for key, body in entry.items():
            if unquote(key) == name:
                return body
    raise AssertionError(f"no block named {name!r}")


def module_command() -> list[str]:
    """The command the module gives the function: image_config.command and, through it, its default."""
    with (MODULE / "main.tf").open() as stream:
        main = hcl2.load(stream)
    function = block(block(main["resource"], "aws_lambda_function"), "this")
    (image_config,) = function["image_config"]
    expression = image_config["command"]
    assert expression == "${var.image_command}", f"image_config.command is {expression!r}"
    with (MODULE / "variables.tf").open() as stream:
        variables = hcl2.load(stream)
    return unquote(block(variables["variable"], "image_command")["default"])


def test_dockerfile_module_and_code_name_the_same_handler() -> None:
    cmd = dockerfile_cmd()
    assert module_command() == [cmd]
    module_name, _, attribute = cmd.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    assert callable(handler)
    assert f"{handler.__module__}.{handler.__name__}" == cmd == "app.handler.handler"
