"""An example configuration applied to the shared moto server: what tests/infra/test_emulator.py
(examples/complete) and tests/infra/test_custom_domain.py (examples/custom-domain) share.

Each file applies its example once, in a module-scoped fixture, subclasses `Example` with its own
reads, and destroys the stack in its last test (the fixture destroys it if a test failed before).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

from botocore.exceptions import ClientError

from tests.infra.conftest import run
from tools import emulator

# The attributes a function update leaves unknown in the plan: the version it publishes and what
# derives from it.
UNKNOWN_AFTER_UPDATE = {"version", "qualified_arn", "qualified_invoke_arn", "last_modified", "code_sha256"}


@dataclass
class Example:
    workdir: Path
    env: dict[str, str]
    endpoint: str
    terraform: str
    name: str  # the example's default name: its function, repository, API, ...
    outputs: dict[str, Any] = field(default_factory=dict)
    destroyed: bool = False

    @classmethod
    def on_emulator(
        cls, workspace: Path, example: str, name: str, tf_env: dict[str, str], endpoint: str, terraform: str
    ) -> Self:
        """examples/<example> in the initialised workspace, its AWS calls sent to the emulator."""
        return cls(
            workdir=workspace / "examples" / example,
            env=emulator.aws_env(endpoint, tf_env),
            endpoint=endpoint,
            terraform=terraform,
            name=name,
        )

    def tf(self, *args: str, variables: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        flags = [f"-var={key}={value}" for key, value in (variables or {}).items()]
        return run([self.terraform, *args, "-no-color", *flags], self.workdir, self.env)

    def client(self, service: str) -> Any:
        return emulator.client(self.endpoint, service)

    def apply(self) -> None:
        """Apply with the example's defaults alone and read its outputs."""
        result = self.tf("apply", "-auto-approve", "-input=false")
        assert result.returncode == 0, result.stdout[-5000:]
        output = self.tf("output", "-json")
        self.outputs = {key: value["value"] for key, value in json.loads(output.stdout).items()}

    def destroy(self, variables: Mapping[str, str] | None = None) -> None:
        result = self.tf("destroy", "-auto-approve", "-input=false", variables=variables)
        assert result.returncode == 0, result.stdout[-5000:]
        self.destroyed = True

    def pending_changes(self, plan: str, variables: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Resource changes of `terraform plan -detailed-exitcode`, saved as `plan` in the workdir."""
        result = self.tf("plan", "-detailed-exitcode", "-input=false", f"-out={plan}", variables=variables)
        assert result.returncode in (0, 2), result.stdout[-5000:]
        if result.returncode == 0:
            return []
        return changes_of(self.tf("show", "-json", plan))

    def assert_only_the_logging_config_gap(self, changes: list[dict[str, Any]]) -> None:
        """No changes, or exactly moto's LoggingConfig gap: the function wants logging_config back."""
        if not changes:
            return
        config = self.client("lambda").get_function_configuration(FunctionName=self.name)
        assert not config.get("LoggingConfig"), "moto now keeps LoggingConfig: drop this tolerance"
        assert [(c["address"], c["change"]["actions"]) for c in changes] == [
            ("module.lambda.aws_lambda_function.this", ["update"])
        ], json.dumps(changes, indent=1)[:4000]
        before, after = changes[0]["change"]["before"], changes[0]["change"]["after"]
        differing = {key for key in after if after[key] != before.get(key)}
        assert differing == {"logging_config"}, differing
        assert before["logging_config"] == []
        assert after["logging_config"][0]["log_format"] == "JSON"
        unknown = {key for key, value in changes[0]["change"]["after_unknown"].items() if _any_true(value)}
        assert unknown <= UNKNOWN_AFTER_UPDATE, unknown


def changes_of(shown: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The resource changes of a `terraform show -json PLAN` that do something (not no-op, not read)."""
    changes = json.loads(shown.stdout).get("resource_changes", [])
    return [change for change in changes if change["change"]["actions"] not in (["no-op"], ["read"])]


def _any_true(value: Any) -> bool:
    """after_unknown mirrors the value's shape, with true where a value is unknown."""
    if isinstance(value, dict):
        return any(_any_true(item) for item in value.values())
    if isinstance(value, list):
        return any(_any_true(item) for item in value)
    return value is True


def gone(call: Callable[..., Any], *codes: str) -> bool:
    """Whether the AWS call fails with one of these error codes (the resource no longer exists)."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] in codes
    return False


E = TypeVar("E", bound=Example)


def applied(example: E, destroy_variables: Mapping[str, str] | None = None) -> Iterator[E]:
    """The body of a module-scoped fixture: apply, hand the stack to the tests, then destroy what a
    failed test left in the shared emulator."""
    example.apply()
    yield example
    if not example.destroyed:
        example.tf("destroy", "-auto-approve", "-input=false", variables=destroy_variables)
