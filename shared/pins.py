"""The pins of an environment, in live/<env>/env.hcl: the image it runs (by digest), its version and the
function's memory size. Read and rewritten line by line: only the pin lines change, the rest of the file
stays byte for byte, and anything that would leave an unusable pin is refused (`PinError`).

`make promote` / `make pin` (tools/promote.py) and `ops tune --pin` write them; `ops preflight` reads
the environment's locals with `hcl_locals`.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

# The Terragrunt tree, from the repository root where make, CI and an installed `ops` run.
LIVE = Path("live")
PINS = ("image_uri", "app_version")
ENVIRONMENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"/[a-z0-9]+(?:[._/-][a-z0-9]+)*@sha256:(?P<digest>[0-9a-f]{64})$"
)
VERSION = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
MEMORY_KEY = "lambda_memory_size"
MEMORY_LINE = re.compile(
    r"^(?P<head>[ \t]*lambda_memory_size[ \t]*=[ \t]*)(?P<value>\d+)(?P<tail>[ \t]*(#.*)?)$"
)
MEMORY_RANGE = (128, 10240)  # what Lambda accepts, in MB
# A pin as the tools write it: `<key> = "<value>"` on its own line, an optional comment after it.
PIN_LINE = re.compile(
    r'^(?P<head>[ \t]*(?P<key>\w+)[ \t]*=[ \t]*)"(?P<value>[^"\\$%]*)"(?P<tail>[ \t]*(#.*)?)$'
)
PLAIN = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)


class PinError(Exception):
    """A refusal, in one line."""


def hcl_locals(text: str, path: Path) -> dict[str, Any]:
    """The `locals` of an HCL file (env.hcl, project.hcl), literal values as Python values."""
    try:
        data = hcl2.loads(text, serialization_options=PLAIN)
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        raise PinError(f"{path} does not parse: {str(exc).splitlines()[0]}") from None
    values: dict[str, Any] = {}
    for block in data.get("locals", []):
        values.update(block)
    return values


@dataclass
class Environment:
    name: str
    path: Path  # its env.hcl
    text: str
    values: dict[str, Any]  # the locals, literal values as Python values
    pins: dict[str, str]

    @property
    def shown(self) -> str:
        return f"live/{self.name}/env.hcl"


def read(live: Path, name: str) -> Environment:
    if not ENVIRONMENT.match(name):
        raise PinError(f"{name!r} is not an environment name (lowercase letters, digits and -)")
    directory = live / name
    if not directory.is_dir():
        raise PinError(f"no environment {name!r}: {directory} is not a directory")
    path = directory / "env.hcl"
    try:
        text = path.read_text()
    except OSError as exc:
        raise PinError(f"cannot read {path}: {exc.strerror or exc}") from None
    values = hcl_locals(text, path)
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = PIN_LINE.match(line)
        if match and match["key"] in PINS:
            if match["key"] in pins:
                raise PinError(f"{path} sets {match['key']} twice")
            pins[match["key"]] = match["value"]
    for key in PINS:
        if key not in pins or values.get(key) != pins[key]:
            raise PinError(f'{path} must set {key} in its locals, on its own line: {key} = "..."')
    return Environment(name, path, text, values, pins)


def image_parts(image: str, owner: str) -> re.Match[str]:
    match = IMAGE.match(image)
    if not match:
        raise PinError(
            f"{owner}: {image!r} is not an ECR image by digest "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>)"
        )
    if set(match["digest"]) == {"0"}:
        raise PinError(f"{owner}: {image!r} is a placeholder digest, not a pushed image")
    return match


def check_pullable(live: Path, image: re.Match[str], target: Environment) -> None:
    """The target's functions must be able to pull the image: same region, an account allowed to pull."""
    region = target.values.get("region")
    if isinstance(region, str) and image["region"] != region:
        raise PinError(
            f"the image is in {image['region']} but {target.name} runs in {region}: "
            "Lambda pulls images from its own region only"
        )
    account = target.values.get("account_id")
    if image["account"] == account:
        return
    for env_hcl in sorted(live.glob("*/env.hcl")):
        owner = env_hcl.parent.name
        if owner == target.name or not ENVIRONMENT.match(owner):
            continue
        lender = read(live, owner)
        if lender.values.get("account_id") == image["account"]:
            allowed = lender.values.get("ecr_pull_account_ids") or []
            if account not in allowed:
                raise PinError(
                    f"{target.name}'s account {account} may not pull from {owner}'s repository: add it to "
                    f"ecr_pull_account_ids in live/{owner}/env.hcl and apply live/{owner}/ecr first"
                )
            return


def with_pins(environment: Environment, pins: dict[str, str]) -> str:
    lines = environment.text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        ending = line[len(line.rstrip("\r\n")) :]
        match = PIN_LINE.match(line.rstrip("\r\n"))
        if match and match["key"] in pins:
            lines[number] = f'{match["head"]}"{pins[match["key"]]}"{match["tail"]}{ending}'
    return "".join(lines)


def write(environment: Environment, text: str) -> str:
    """Replace env.hcl atomically (never half written); return the diff."""
    diff = "".join(
        difflib.unified_diff(
            environment.text.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"a/{environment.shown}",
            tofile=f"b/{environment.shown}",
        )
    )
    if not diff:
        return ""
    handle, temporary = tempfile.mkstemp(dir=environment.path.parent, prefix=".env.hcl.")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, environment.path.stat().st_mode & 0o777)
        os.replace(temporary, environment.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return diff


def promote(live: Path, source_name: str, target_name: str) -> str:
    if source_name == target_name:
        raise PinError(f"--from and --to are both {source_name!r}")
    source = read(live, source_name)
    target = read(live, target_name)
    if not source.pins["image_uri"]:
        raise PinError(
            f"{source.name} has no pinned image ({source.shown}: image_uri is empty): pin one first with "
            f"make pin ENV={source.name} IMAGE=<repository url>@sha256:<digest>"
        )
    image = image_parts(source.pins["image_uri"], f"{source.shown} image_uri")
    check_pullable(live, image, target)
    return write(target, with_pins(target, source.pins))


def pin(
    live: Path, name: str, image_uri: str | None, app_version: str | None, memory_mb: int | None = None
) -> str:
    """Pin an image (and its version) and/or a memory size in one environment: all or nothing."""
    target = read(live, name)
    text = target.text
    if image_uri is not None:
        image = image_parts(image_uri, "--image")
        if app_version is not None and not VERSION.match(app_version):
            raise PinError(f"--app-version {app_version!r} must be 1-64 letters, digits and . _ + -")
        check_pullable(live, image, target)
        text = with_pins(target, {"image_uri": image_uri, "app_version": app_version or ""})
    if memory_mb is not None:
        text = with_memory_size(target, text, memory_mb)
    return write(target, text)


def pin_memory(live: Path, name: str, memory_mb: int) -> str:
    """Set `lambda_memory_size` in live/<name>/env.hcl (what `ops tune --pin` writes)."""
    return pin(live, name, None, None, memory_mb)


def with_memory_size(environment: Environment, text: str, memory_mb: int) -> str:
    low, high = MEMORY_RANGE
    if not low <= memory_mb <= high:
        raise PinError(f"--memory-size {memory_mb} is outside the {low}-{high} MB Lambda accepts")
    lines = text.splitlines(keepends=True)
    found = [n for n, line in enumerate(lines) if MEMORY_LINE.match(line.rstrip("\r\n"))]
    if len(found) != 1 or environment.values.get(MEMORY_KEY) is None:
        raise PinError(
            f"{environment.path} must set {MEMORY_KEY} in its locals once, on its own line: {MEMORY_KEY} = 512"
        )
    line = lines[found[0]].rstrip("\r\n")
    match = MEMORY_LINE.match(line)
    assert match is not None
    lines[found[0]] = f"{match['head']}{memory_mb}{match['tail']}{lines[found[0]][len(line) :]}"
    return "".join(lines)
