"""Wake the dispatcher when a message is committed instead of waiting for its next poll.

In one process a :class:`threading.Event` does it; across machines a Redis list (``SHEBAO_REDIS_URL``) is
pushed after commit and popped by every worker. The outbox table stays the only queue: a lost wake-up
costs at most one poll interval, never a message.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("shebao.notify")

KEY = "shebao:notify:wake"
_local = threading.Event()
_redis_url: str = ""
_client = None
_blocker = None
_lock = threading.Lock()


def configure(redis_url: str) -> None:
    """Use Redis for wake-ups (empty: in-process only)."""
    global _redis_url, _client, _blocker
    with _lock:
        _redis_url, _client, _blocker = redis_url, None, None


def _redis(blocking: bool = False):
    """A short-timeout client for pushes; a separate one whose socket outlives a blocking pop."""
    global _client, _blocker
    if not _redis_url:
        return None
    import redis

    with _lock:
        if blocking:
            if _blocker is None:
                _blocker = redis.Redis.from_url(_redis_url, socket_timeout=65, socket_connect_timeout=0.5)
            return _blocker
        if _client is None:
            _client = redis.Redis.from_url(_redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return _client


def signal() -> None:
    """Tell the dispatchers there is work. Never raises: a wake-up is an optimisation, not a delivery."""
    _local.set()
    client = _redis()
    if client is None:
        return
    try:
        pipe = client.pipeline()
        pipe.lpush(KEY, 1)
        pipe.ltrim(KEY, 0, 63)  # a burst of commits needs one wake-up per worker, not thousands
        pipe.execute()
    except Exception as exc:  # Redis down must not fail the person's request (issue 7: never block)
        log.warning("notify wake-up not sent: %s", exc)


def wait(timeout: float) -> bool:
    """Sleep up to ``timeout`` seconds or until a wake-up arrives; True when woken."""
    client = _redis(blocking=True)
    if client is not None:
        try:
            woke = client.blpop([KEY], timeout=min(60, max(1, round(timeout)))) is not None
            _local.clear()
            return woke
        except Exception as exc:
            log.warning("notify wake-up wait failed, polling instead: %s", exc)
    woke = _local.wait(timeout)
    _local.clear()
    return woke
