"""The OpenAPI document: valid, complete, and true to what the running app does."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from app.config import DEFAULT_MAX_BODY_BYTES, PUBLIC_PATHS
from app.main import app
from app.openapi import example
from shared import contract
from tests.app.transports import Asgi
from tests.conftest import Server


def served_document() -> dict:
    reply = Asgi(app)("GET", "/openapi.json")
    assert reply.status == 200
    return reply.json()


def test_document_is_valid_openapi_3_1() -> None:
    document = served_document()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_document_describes_every_route_and_method() -> None:
    documented = {
        (path, method.upper()) for path, item in served_document()["paths"].items() for method in item
    }
    served = {
        (route.path, method) for route in app.routes for method in (route.methods or ()) if method != "HEAD"
    }
    assert documented == served


def test_every_error_response_is_a_problem() -> None:
    for item in served_document()["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}


def test_document_states_the_configured_body_limit() -> None:
    from app.config import Settings
    from app.main import create_app

    settings = Settings.from_env({"MAX_BODY_BYTES": "1024"})
    document = Asgi(create_app(settings))("GET", "/openapi.json").json()
    assert "1024 bytes" in document["paths"]["/echo"]["post"]["responses"]["413"]["description"]
    # For clients, which read it from here rather than from the app's code.
    assert contract.max_body_bytes(document) == 1024
    assert contract.max_body_bytes(served_document()) == DEFAULT_MAX_BODY_BYTES


def test_every_route_has_examples_and_they_read() -> None:
    # contract.examples refuses repeated names, malformed entries and undocumented statuses.
    examples = contract.examples(served_document())
    documented = {
        (path, method.upper()) for path, item in served_document()["paths"].items() for method in item
    }
    with_examples = {(example.path, example.method) for example in examples}
    # /health and /openapi.json are the generic contract's (ops smoke checks them by their rules).
    assert with_examples == {(path, method) for path, method in documented if path not in PUBLIC_PATHS}
    assert {example.status for example in examples} >= {200, 400}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "response": {"status": 201}}, "expects 201, which the operation does not document"),
        ({"name": "Not A Name", "response": {"status": 200}}, "is not lower-case letters, digits and -"),
        ({"name": "x"}, "an x-contract example is malformed (KeyError"),
        ({"name": "x", "request": {"bodyBase64": "!"}, "response": {"status": 200}}, "malformed (Error"),
    ],
)
def test_a_malformed_example_is_refused(entry: dict[str, object], message: str) -> None:
    document = copy.deepcopy(served_document())
    document["paths"]["/hello"]["get"]["x-contract"].append(entry)
    with pytest.raises(contract.ContractError, match=re.escape(message)):
        contract.examples(document)


def test_a_repeated_example_name_is_refused() -> None:
    document = copy.deepcopy(served_document())
    document["paths"]["/echo"]["post"]["x-contract"].append(example("hello", 400))
    with pytest.raises(contract.ContractError, match="example names must be unique: hello repeated"):
        contract.examples(document)


def test_an_example_sends_text_as_text_and_only_bytes_json_cannot_hold_as_base64() -> None:
    assert example("x", 200, send="naïve")["request"] == {"body": "naïve"}
    assert example("x", 200, send="naïve".encode())["request"] == {"body": "naïve"}
    assert example("x", 400, send=b"\xff")["request"] == {"bodyBase64": "/w=="}
    assert example("x", 400, send="")["request"] == {"body": ""}
    assert example("x", 200)["request"] == {}


def test_each_echo_example_answers_the_value_it_sends() -> None:
    echoed = [e for e in contract.examples(served_document()) if e.path == "/echo" and e.status == 200]
    assert len(echoed) == 3
    for sent in echoed:
        assert sent.body is not None
        assert sent.expected == json.loads(sent.body), sent.name


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_app: Server, tmp_path) -> None:
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{live_app.url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "60",
            "--workers",
            "2",
            "--seed",
            "20261129",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # it keeps a cache directory in the working directory
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "3 selected" in completed.stdout  # /hello, /echo, /health (it skips the document itself)
