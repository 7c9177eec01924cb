"""The exchange log: evidence of every question the gateway put to the core system and of the answer it got.

LD/T 01 6.3.2 asks for every data use to be traced; this goes beyond the anchors the way X-Road keeps evidence of
exchanges between agencies. Each entry holds digests only — SHA-256 of the canonical request (operation and
arguments) and of the canonical answer — so no personal data is kept in clear (Regulation Art. 49); who it was for
is an opaque reference (``person:17``, ``staff:3``, or a keyed digest of an ID number no account has yet).

The log is append-only and hash-chained: an entry's hash covers its fields and the previous entry's hash, and the
head row holds the last sequence number and hash, so changing, deleting or truncating entries breaks the chain
(:func:`verify` names the first bad entry). Appends are serialised by locking the head row (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite's single writer lock does the same), so concurrent writers on many nodes still
make one chain. The ORM refuses to update or delete an entry (:func:`_refuse_changes`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.db import Base, UtcDateTime

__all__ = [
    "GENESIS",
    "ExchangeEntry",
    "ExchangeHead",
    "ExchangeRecord",
    "Verdict",
    "append",
    "digest",
    "entry_hash",
    "verify",
]

GENESIS = "0" * 64


class ExchangeEntry(Base):
    """One exchange with the core system (never updated, never deleted)."""

    __tablename__ = "bo_exchange_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(80))  # opaque: person:<id>, staff:<id>, id:<keyed digest>
    operation: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | unavailable | refused | maintenance
    request_digest: Mapped[str] = mapped_column(String(64))
    response_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ExchangeHead(Base):
    """The one row (id 1) that names the chain's last entry: the lock appends take, and proof against truncation."""

    __tablename__ = "bo_exchange_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class ExchangeRecord:
    """An exchange as the recorder saw it, before it has a place in the chain."""

    at: datetime
    channel: str
    subject: str
    operation: str
    outcome: str
    request_digest: str
    response_digest: str


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value that both digests are taken over (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def entry_hash(prev_hash: str, seq: int, record: ExchangeRecord | ExchangeEntry) -> str:
    fields = [
        prev_hash,
        str(seq),
        record.at.astimezone(UTC).isoformat(timespec="microseconds"),
        record.channel,
        record.subject,
        record.operation,
        record.outcome,
        record.request_digest,
        record.response_digest,
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def append(session: Session, records: Iterable[ExchangeRecord]) -> int:
    """Chain ``records`` after the head, in order, in the caller's transaction; returns how many were added.

    Three statements however many records: take the head (``UPDATE … RETURNING``), insert the entries (one
    multi-row ``INSERT``), move the head. A request's entries are appended together (the recorder batches them,
    :mod:`gateway.backoffice.resilient`), so the chain's lock is held once per request, not once per call."""
    records = list(records)
    if not records:
        return 0
    # The head row is the lock. An UPDATE takes it before the head is read: on SQLite (where FOR UPDATE means
    # nothing) it is the database's one writer lock, on PostgreSQL the row lock; either way a second appender
    # waits here and then reads the head the first one left. RETURNING reads it in the same statement.
    # Core statements on the tables (not the ORM's bulk paths): the same SQL with less work in Python.
    head_table, entries = ExchangeHead.__table__, ExchangeEntry.__table__
    taken = session.execute(
        update(head_table)
        .where(head_table.c.id == 1)
        .values(last_seq=head_table.c.last_seq)
        .returning(head_table.c.last_seq, head_table.c.last_hash)
    ).first()
    if taken is None:
        session.execute(insert(head_table).values(id=1, last_seq=0, last_hash=GENESIS))
        seq, prev = 0, GENESIS
    else:
        seq, prev = int(taken[0]), str(taken[1])
    rows = []
    for record in records:
        seq += 1
        record = ExchangeRecord(**{**record.__dict__, "at": record.at.astimezone(UTC)})
        h = entry_hash(prev, seq, record)
        rows.append({"seq": seq, "prev_hash": prev, "hash": h, **record.__dict__})
        prev = h
    session.execute(insert(entries), rows)
    session.execute(update(head_table).where(head_table.c.id == 1).values(last_seq=seq, last_hash=prev))
    return len(records)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    bad_seq: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 2000) -> Verdict:
    """Walk the chain from the first entry: each entry's number follows the last, links to its hash and hashes to
    what it says; the head names the last entry. The first break is reported."""
    prev, expected, count = GENESIS, 1, 0
    last_seen = 0
    while True:
        rows = session.scalars(
            select(ExchangeEntry).where(ExchangeEntry.seq > last_seen).order_by(ExchangeEntry.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected:
                return Verdict(False, count, expected, f"entry {expected} is missing (next is {row.seq})")
            if row.prev_hash != prev:
                return Verdict(False, count, row.seq, "does not link to the entry before it")
            if entry_hash(prev, row.seq, row) != row.hash:
                return Verdict(False, count, row.seq, "its content does not match its hash")
            prev, expected, count = row.hash, expected + 1, count + 1
            last_seen = row.seq
        session.expunge_all()
    head = session.get(ExchangeHead, 1)
    if head is not None and (head.last_seq != count or head.last_hash != prev):
        return Verdict(False, count, count + 1, f"the head names entry {head.last_seq} but the chain ends at {count}")
    return Verdict(True, count)


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    """Append-only: an entry already written may not be changed or removed through the ORM."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, ExchangeEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("exchange log entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if (state.is_update or state.is_delete) and any(
        getattr(m, "class_", None) is ExchangeEntry for m in state.all_mappers
    ):
        raise PermissionError("exchange log entries are append-only")
