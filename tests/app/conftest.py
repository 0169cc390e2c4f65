from __future__ import annotations

import pytest

from tests.app.transports import Asgi, Lambda, Transport, ensure_event_loop


@pytest.fixture(autouse=True)
def _event_loop_for_mangum() -> None:
    ensure_event_loop()


@pytest.fixture(params=["asgi", "lambda", "lambda-base64"])
def call(request: pytest.FixtureRequest) -> Transport:
    """Send a request through the ASGI app, or through the Lambda handler (plain or base64 bodies)."""
    if request.param == "asgi":
        from app.main import app

        return Asgi(app)
    return Lambda(base64_bodies=request.param == "lambda-base64")
