"""Database engine, sessions and the declarative base.

The schema is made only by Alembic (``shebao db upgrade``); nothing here calls ``create_all``.
"""

from __future__ import annotations

import enum
import select
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import DateTime, TypeDecorator

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# ---------------------------------------------------------------- work outside the database, tied to its fate
# A service flushes and leaves the commit to its caller (the request boundary, a CLI command, a job), so a file
# it writes or removes cannot be settled at once: it registers what to do once the transaction is decided.


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` after ``session``'s transaction commits (never if it rolls back)."""
    session.info.setdefault("on_commit", []).append(action)


def on_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` if ``session``'s transaction rolls back or is closed uncommitted (an upload's file, say)."""
    session.info.setdefault("on_rollback", []).append(action)


def _settle(session: Session, run: str) -> None:
    actions = session.info.pop(run, [])
    session.info.pop("on_rollback" if run == "on_commit" else "on_commit", None)
    for action in actions:
        action()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    _settle(session, "on_commit")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    _settle(session, "on_rollback")


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction) -> None:
    # A rollback() with no database transaction begun fires no after_rollback; the actions still apply.
    if previous_transaction.parent is None:
        _settle(session, "on_rollback")


def commit_claim(session: Session) -> None:
    """Commit at once from inside a service. Only for a claim that must hold whatever the request answers — a
    failed guess counted toward a lockout, a spent one-time code, flow state, refresh token or device nonce — so a
    refused request, which its boundary rolls back, cannot be replayed to guess again."""
    session.commit()


def settle_unfinished(session: Session) -> None:
    """Closing a session with work still undecided rolls it back: run what was registered for that."""
    _settle(session, "on_rollback")


def enum_column(kind: type[enum.Enum], length: int = 24) -> Enum:
    """A status/kind column stored as VARCHAR + CHECK on both databases, so adding a member is a plain migration."""
    return Enum(kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class UtcDateTime(TypeDecorator):
    """An instant, stored as UTC on both databases: ``timestamp with time zone`` on PostgreSQL, a naive UTC value
    on SQLite (which has no zone-aware type). Always read back as an aware UTC datetime. A naive value is refused
    when bound, so no time of unknown zone gets in (see :mod:`gateway.clock` for making aware values).

    Wall-clock values that are not instants (a slot's ``day`` and ``start``) are plain ``Date`` / ``Time``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime() if dialect.name == "sqlite" else DateTime(timezone=True))

    def coerce_compared_value(self, op, value):
        # ``column - timedelta(...)`` is an interval, not an instant: let DateTime pick the type of that operand.
        return self if isinstance(value, datetime) else self.impl.coerce_compared_value(op, value)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UtcDateTime takes a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: store an aware instant (gateway.clock)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout for concurrent workers; a server
    database a pool of ``pool_size`` kept connections (one per thread that may hold one at once), each checked
    before use."""
    if url.startswith("sqlite:///"):
        from gateway.security.at_rest import private_dir, private_file

        # Personal data: the file 0600 (its -wal and -shm follow it), its folder 0700 when we make it.
        path = Path(url.removeprefix("sqlite:///"))
        if not path.parent.exists():
            private_dir(path.parent)
        if path.name and path.name != ":memory:":
            private_file(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised on every connect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=10)
    _check_before_use(engine)
    return engine


def _check_before_use(engine: Engine) -> None:
    """Hand out a pooled connection only if it is still alive, without a round trip when nothing happened.

    A server that restarted, or ended the session, has written its goodbye and closed the socket, so the idle
    connection's socket turns readable; an idle healthy connection has nothing to read. Only then is it pinged
    (``SELECT 1``) and, if that fails, replaced: the pool retries with a fresh connection. SQLAlchemy's
    ``pool_pre_ping`` pinged every checkout, one more round trip on every request (issue 18: under the
    opening-morning rush each round trip is a wait to win back the GIL as well)."""

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_conn, _record, _proxy):
        if not _server_spoke(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def _server_spoke(dbapi_conn) -> bool:
    """Whether an idle connection has something to read (a notice, a goodbye, end of file) or is closed."""
    if getattr(dbapi_conn, "closed", False):
        return True
    try:
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True
