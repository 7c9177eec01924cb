"""pyHanko's synchronous API wraps ``asyncio.run``, which refuses to start inside a thread whose event loop is
already running (an async server, a Playwright session in the same thread). Run it on a thread of its own then."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="esign")


def outside_event_loop(fn: Callable[[], T]) -> T:
    """``fn()`` here when no event loop runs in this thread, else on a worker thread (same result, same errors)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    return _pool.submit(fn).result()
