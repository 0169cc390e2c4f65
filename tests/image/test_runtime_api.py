"""tools/runtime_api.py drives the real runtime client (awslambdaric) as Lambda's own API would."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.lambda_events import http_event
from tools.runtime_api import InitError, RuntimeAPI, lambda_environment, start_client

ROOT = Path(__file__).resolve().parents[2]
HANDLER = "app.handler.handler"


@pytest.fixture
def runtime() -> Iterator[RuntimeAPI]:
    with RuntimeAPI() as api:
        yield api


def test_the_client_runs_the_handler_and_posts_its_result(runtime: RuntimeAPI, tmp_path: Path) -> None:
    log = tmp_path / "client.log"
    with log.open("wb") as out:
        client = start_client(HANDLER, lambda_environment(runtime), cwd=ROOT, stdout=out)
        try:
            hello = runtime.invoke(http_event("GET", "/hello", query="name=Ada"), timeout=60)
            bad = runtime.invoke(["not", "an", "event"], timeout=60)
        finally:
            client.kill()
            client.wait()
    assert runtime.first_poll_at is not None
    assert hello.ok
    answer = hello.json()
    assert answer["statusCode"] == 200
    body = base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer["body"].encode()
    assert json.loads(body) == {"message": "Hello, Ada!"}
    assert hello.taken_at is not None
    assert hello.answered_at is not None
    assert hello.answered_at >= hello.taken_at
    # The handler refuses what is not an HTTP API event; the client posts that as an error document.
    assert not bad.ok
    assert bad.json()["errorType"] == "UnsupportedEvent"


def test_an_init_failure_is_reported_to_the_init_error_endpoint(runtime: RuntimeAPI, tmp_path: Path) -> None:
    env = {**lambda_environment(runtime), "LOG_LEVEL": "LOUD"}
    with (tmp_path / "client.log").open("wb") as out:
        client = start_client(HANDLER, env, cwd=ROOT, stdout=out)
        try:
            with pytest.raises(InitError, match="LOG_LEVEL"):
                runtime.invoke(http_event("GET", "/health"), timeout=60)
            assert client.wait(timeout=60) != 0
        finally:
            client.kill()
            client.wait()
    assert runtime.init_error is not None
    assert "LOG_LEVEL must be one of" in runtime.init_error["errorMessage"]
