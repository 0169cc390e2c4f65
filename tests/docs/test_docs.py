"""The documentation is executable: its curl examples, links, make targets and ops commands are real."""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from app.main import app
from shared import contract
from tests.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted(
    {README, *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md"), *ROOT.glob("*/*/README.md")}
    - set(ROOT.glob(".venv*/**/README.md"))
)
LOCAL = "http://127.0.0.1:8000"
# What changes on every request: normalised on both sides before comparing.
VOLATILE = [
    (re.compile(r"(?im)^date: .*$"), "date: <date>"),
    (re.compile(r"(?im)^x-request-id: .*$"), "x-request-id: <id>"),
    (re.compile(r'"request_id":"[^"]*"'), '"request_id":"<id>"'),
]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def normalise(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip().replace("\r\n", "\n").splitlines())


def console_examples(path: Path) -> list[tuple[str, str]]:
    """(command, expected output) for every `$ curl ...` line in ```console blocks."""
    examples: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", path.read_text(), flags=re.S):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            examples.append((command, "\n".join(output)))
    return [(c, o) for c, o in examples if c.startswith("curl ")]


README_EXAMPLES = console_examples(README)
DOCUMENT = app.state.openapi


def test_the_readme_shows_a_curl_example_for_every_endpoint() -> None:
    commands = " ".join(command for command, _ in README_EXAMPLES)
    for endpoint in DOCUMENT["paths"]:
        assert f"{LOCAL}{endpoint}" in commands, f"README has no curl example for {endpoint}"


def curl_request(command: str) -> tuple[str, str, str, str | None, bytes | None]:
    """(method, path, query, content type, body) of a README curl command."""
    argv = shlex.split(command)
    options = {flag: value for flag, value in itertools.pairwise(argv) if flag in ("-X", "-H", "-d")}
    url = next(arg for arg in argv if arg.startswith(LOCAL))
    path, _, query = url.removeprefix(LOCAL).partition("?")
    body = options["-d"].encode() if "-d" in options else None
    method = options.get("-X", "POST" if body is not None else "GET")
    header = options.get("-H", "")
    content_type = header.split(":", 1)[1].strip() if header.lower().startswith("content-type:") else None
    return method, path, query, content_type, body


def shown_body(output: str) -> str:
    """The body of a README transcript: after the headers when curl shows them (-i)."""
    return output.split("\n\n", 1)[1] if output.startswith("HTTP/") else output


@pytest.mark.parametrize(("command", "expected"), README_EXAMPLES, ids=[c for c, _ in README_EXAMPLES])
def test_each_readme_example_of_a_route_is_one_of_its_contract_examples(command: str, expected: str) -> None:
    # The contract's examples are the app's (app/openapi.py); the README shows some of them, not others.
    method, path, query, content_type, body = curl_request(command)
    of_route = [e for e in contract.examples(DOCUMENT) if (e.method, e.path) == (method, path)]
    if not of_route:
        return  # a generic rule (a wrong method, the document, /health): no route example to match
    same = [
        e for e in of_route
        if (e.query, e.headers.get("content-type"), e.body or None) == (query, content_type, body)
    ]  # fmt: skip
    assert same, f"README's `{command}` is none of the examples of {method} {path} in app/openapi.py"
    if same[0].fixed_body:
        assert json.loads(shown_body(expected)) == same[0].expected


@pytest.mark.parametrize(("command", "expected"), README_EXAMPLES, ids=[c for c, _ in README_EXAMPLES])
def test_readme_curl_example_gives_the_response_shown(live_app: Server, command: str, expected: str) -> None:
    argv = [arg.replace(LOCAL, live_app.url) for arg in shlex.split(command)]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    assert normalise(completed.stdout) == normalise(expected)


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_every_relative_link_resolves(doc: Path) -> None:
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: outside this repository
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        assert resolved.exists(), f"{rel(doc)} links to missing {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), f"{rel(doc)} links to missing anchor {target}"


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


def ops_commands() -> set[str]:
    from ops.cli import parser

    subparsers = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(subparsers.choices)


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_every_make_target_and_ops_command_named_exists(doc: Path) -> None:
    # Commands are what the docs show as code (fenced blocks and `inline` spans), not prose.
    source = doc.read_text()
    fenced = re.findall(r"```.*?```", source, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", source, flags=re.S))
    text = "\n".join(fenced + inline)
    for target in re.findall(r"\bmake ([a-z][a-z0-9-]*)", text):
        assert target in make_targets(), f"{rel(doc)} names `make {target}`, which does not exist"
    for command in re.findall(r"\b(?:python -m ops|ops) ([a-z][a-z-]*)", text):
        assert command in ops_commands(), f"{rel(doc)} names `ops {command}`, which does not exist"


def test_the_checks_fail_on_broken_docs(tmp_path: Path) -> None:
    broken = tmp_path / "README.md"
    broken.write_text("See [the guide](docs/missing.md), make the change and run `make deploy-everything`.\n")
    with pytest.raises(AssertionError, match=r"missing docs/missing\.md"):
        test_every_relative_link_resolves(broken)
    with pytest.raises(AssertionError, match="deploy-everything"):
        test_every_make_target_and_ops_command_named_exists(broken)


def test_a_readme_example_the_contract_does_not_have_fails() -> None:
    check = test_each_readme_example_of_a_route_is_one_of_its_contract_examples
    with pytest.raises(AssertionError, match=r"none of the examples of GET /hello"):
        check(f'curl -s "{LOCAL}/hello?name=Zed"', '{"message":"Hello, Zed!"}')
    with pytest.raises(AssertionError):  # the example's answer, shown wrong
        check(f"curl -s {LOCAL}/hello", '{"message":"Hi!"}')
    check(f"curl -s {LOCAL}/hello", '{"message":"Hello, World!"}')
