"""The OpenAPI document: valid, complete, and true to what the running app does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openapi_spec_validator import validate

from app.main import app
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
