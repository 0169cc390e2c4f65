"""Stopping a command cleanly: SIGTERM (a cancelled CI job) treated as Ctrl-C, and blocks that a
second signal must not cut in half (a restore, a rollback)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import Any


@contextmanager
def _handled(handler: Callable[[int, FrameType | None], Any] | signal.Handlers) -> Iterator[None]:
    """SIGINT and SIGTERM go to `handler` inside the block (signals reach the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, restored in previous.items():
            signal.signal(number, restored)


def terminate_as_interrupt() -> AbstractContextManager[None]:
    """SIGTERM (a cancelled CI job) stops the command the way Ctrl-C does: through its clean-up. SIGINT is
    set too: a process started with SIGINT ignored (a shell's background job, some process
    supervisors) inherits that, and Python then never raises KeyboardInterrupt for it."""
    return _handled(signal.default_int_handler)


def uninterrupted() -> AbstractContextManager[None]:
    """Ctrl-C and SIGTERM are ignored until the block is done: a half-done clean-up is the worst outcome."""
    return _handled(signal.SIG_IGN)
