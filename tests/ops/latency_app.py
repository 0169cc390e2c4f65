"""Servers whose latency the test decides, for `ops load`.

`Delays` makes the n-th request it receives take as long as the test said, on a `FakeClock`
(tests/ops/conftest.py): the wait costs no time, the server moves the clock `ops load` reads
(`ops.load.clock`) instead, so the figures `ops load` reports are exact, whatever the load on the machine. What real waits measure on
this machine is `make bench-load`'s to report, not a test's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from tests.ops.conftest import FakeClock


class Delays:
    """ASGI app: request number n (0 is the first one received) waits `delays_ms.get(n, 0)` ms, then
    gets `status` with a small JSON body; a delay of `math.inf` is never answered."""

    def __init__(self, delays_ms: Mapping[int, float], clock: FakeClock, status: int = 200) -> None:
        self.delays_ms = delays_ms
        self.clock = clock
        self.status = status
        self.received = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        # uvicorn runs this on one event loop thread: counting before the first await is race-free.
        number, self.received = self.received, self.received + 1
        delay = self.delays_ms.get(number, 0.0)
        if delay == math.inf:  # never answered: held until the client gives up and disconnects
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        self.clock.sleep(delay / 1000)
        await JSONResponse({"request": number}, self.status)(scope, receive, send)
