"""The last good answer to each query, per person and question, for when the core system does not answer
(LD/T 01 6.4.5, 6.5.3: the service degrades honestly instead of failing).

Answers hold personal data, so they are kept encrypted with their own purpose key (gateway.security.pii) and
bound to their row; the key of a row is a keyed digest of the operation and its arguments (no ID number in clear).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.backoffice.exchange_log import canonical
from gateway.db import Base, UtcDateTime
from gateway.security.pii import PiiVault, Purpose

__all__ = ["FreshAnswer", "LastKnown", "LastKnownAnswer", "key_for", "load", "store", "store_many"]


class LastKnown(Base):
    __tablename__ = "bo_last_known"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class LastKnownAnswer:
    wire: Any  # the answer in its wire form (gateway.backoffice.server.to_wire)
    fetched_at: datetime


def key_for(vault: PiiVault, operation: str, arguments: dict[str, Any]) -> str:
    return vault.digest(f"bo_last_known|{operation}|" + canonical(arguments).decode())


@dataclass(frozen=True)
class FreshAnswer:
    """A good answer to keep: the operation, its arguments and the answer in wire form, and when it was got."""

    operation: str
    arguments: dict[str, Any]
    wire: Any
    at: datetime


def store(
    session: Session, vault: PiiVault, operation: str, arguments: dict[str, Any], wire: Any, at: datetime
) -> None:
    store_many(session, vault, [FreshAnswer(operation, arguments, wire, at)])


def store_many(session: Session, vault: PiiVault, answers: list[FreshAnswer]) -> int:
    """Keep each answer as the last known one to its question (the latest per question wins), in one upsert
    statement on SQLite and PostgreSQL; rows are written in key order, so concurrent writers never deadlock."""
    rows: dict[str, dict[str, Any]] = {}
    for answer in answers:
        key = key_for(vault, answer.operation, answer.arguments)
        payload = vault.encrypt(canonical(answer.wire).decode(), Purpose.BACKOFFICE_ANSWER, key)
        rows[key] = {"key": key, "operation": answer.operation, "fetched_at": answer.at, "payload": payload}
    if not rows:
        return 0
    ordered = [rows[k] for k in sorted(rows)]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        upsert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = upsert(LastKnown.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "operation": stmt.excluded.operation,
                "fetched_at": stmt.excluded.fetched_at,
                "payload": stmt.excluded.payload,
            },
        )
        session.execute(stmt, ordered)
        return len(ordered)
    for values in ordered:  # pragma: no cover - another database: one row at a time
        session.merge(LastKnown(**values))
    session.flush()
    return len(ordered)


def load(session: Session, vault: PiiVault, operation: str, arguments: dict[str, Any]) -> LastKnownAnswer | None:
    import json

    # The row's key under the current secret, else under a replaced one (kept before a rotation).
    keys = [vault.digest(f"bo_last_known|{operation}|" + canonical(arguments).decode())]
    keys += [k for k in vault.digests(f"bo_last_known|{operation}|" + canonical(arguments).decode()) if k not in keys]
    rows = {r.key: r for r in session.scalars(select(LastKnown).where(LastKnown.key.in_(keys)))}
    row = next((rows[k] for k in keys if k in rows), None)
    if row is None:
        return None
    wire = json.loads(vault.decrypt(row.payload, Purpose.BACKOFFICE_ANSWER, row.key))
    return LastKnownAnswer(wire, row.fetched_at)
