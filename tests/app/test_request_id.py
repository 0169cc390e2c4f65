"""X-Request-ID: API Gateway's id on Lambda; locally a well-formed caller id or a fresh one."""

from __future__ import annotations

import re

import pytest

from app.main import app
from shared.events import LambdaContext, http_event
from tests.app.transports import Asgi


@pytest.mark.parametrize("incoming", ["abc-123", "req.1:2=3+4_5", "x" * 128, "0123456789abcdef"])
def test_a_well_formed_incoming_id_is_kept(incoming: str) -> None:
    reply = Asgi(app)("GET", "/hello", headers={"x-request-id": incoming})
    assert reply.headers["x-request-id"] == incoming


@pytest.mark.parametrize(
    "incoming", ["", "x" * 129, "has space", "semi;colon", "new\tline", "ünïcode", "<script>"]
)
def test_a_malformed_incoming_id_is_replaced(incoming: str) -> None:
    reply = Asgi(app)("GET", "/nope", headers={"x-request-id": incoming.encode().decode("latin-1")})
    generated = reply.headers["x-request-id"]
    assert generated != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert reply.json()["request_id"] == generated


def test_on_lambda_the_api_gateway_request_id_wins() -> None:
    from app.handler import handler

    event = http_event(
        "GET", "/nope", headers={"x-request-id": "caller-chosen"}, request_id="JKJaXmPLvHcESHA="
    )
    result = handler(event, LambdaContext())
    assert result["headers"]["x-request-id"] == "JKJaXmPLvHcESHA="
    assert '"request_id":"JKJaXmPLvHcESHA="' in result["body"]
