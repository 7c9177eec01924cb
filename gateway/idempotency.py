"""Idempotent POSTs of ``/api/v1/`` (a client that lost the answer sends the same request again with the same
``Idempotency-Key``): the first successful answer is kept, keyed by (actor, key) with a fingerprint of the
request, and a replay gets that answer back — the same status and body — instead of doing the work twice or
meeting a conflict. A replay with another body under the same key is refused (the key was reused by mistake).

Only successful answers are kept: a refusal rolls the request's work back (``gateway.request_db``), so sending
it again simply asks again. Flask-free; the API's hooks call it (``gateway.api.idempotent``)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.db import Base, UtcDateTime, commit_claim

#: How long a key is remembered: a client retries within minutes; a day covers a phone that was offline.
KEEP_FOR = timedelta(hours=24)
#: A claim whose request never answered (the process died) frees its key after this long.
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY = 80
#: ``status`` of a claim whose request is still being answered.
PENDING = 0


class IdempotentAnswer(Base):
    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_api_idempotency_actor_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Who sent it ("person:42" on the miniprogram channel, …): one person's key never answers another's request.
    actor: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    #: sha256 of method, path and body: the same key with another request is a mistake, not a replay.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)  # PENDING while the first request runs
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Claim(enum.Enum):
    """What :func:`claim` found for a key."""

    NEW = "new"  # claimed now: do the work, then :func:`complete` or :func:`release`
    KEPT = "kept"  # answered before: replay the kept answer
    REUSED = "reused"  # the key was used for another request: refuse
    IN_FLIGHT = "in_flight"  # the same request is being answered right now (a double tap): try again shortly


@dataclass(frozen=True)
class Found:
    claim: Claim
    status: int = 0
    content_type: str = ""
    body: bytes = b""


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _row(session: Session, actor: str, key: str) -> IdempotentAnswer | None:
    return session.scalar(select(IdempotentAnswer).where(IdempotentAnswer.actor == actor, IdempotentAnswer.key == key))


def _judge(row: IdempotentAnswer, print_: str, now: datetime) -> Found | None:
    """What an existing row means for this request; None when it no longer counts (expired or abandoned)."""
    if row.created_at <= now - KEEP_FOR:
        return None
    if row.status == PENDING and row.created_at <= now - ABANDONED_AFTER:
        return None  # its request died before answering (a crash): the key is free again
    if row.fingerprint != print_:
        return Found(Claim.REUSED)
    if row.status == PENDING:
        return Found(Claim.IN_FLIGHT)
    return Found(Claim.KEPT, row.status, row.content_type, row.body)


def claim(session: Session, actor: str, key: str, print_: str, now: datetime) -> Found:
    """Claim (actor, key) for this request before any work is done, committed at once (``commit_claim``: the
    request's own work is not begun yet), so a second copy sent at the same moment sees the claim instead of
    doing the work again — on PostgreSQL as on SQLite, the unique (actor, key) decides the race."""
    row = _row(session, actor, key)
    if row is not None:
        found = _judge(row, print_, now)
        if found is not None:
            return found
        session.delete(row)
        session.flush()
    session.add(
        IdempotentAnswer(
            actor=actor, key=key, fingerprint=print_, status=PENDING, content_type="", body=b"", created_at=now
        )
    )
    try:
        commit_claim(session)
    except IntegrityError:
        session.rollback()  # another copy claimed it first
        row = _row(session, actor, key)
        found = _judge(row, print_, now) if row is not None else None
        return found or Found(Claim.IN_FLIGHT)
    return Found(Claim.NEW)


def complete(session: Session, actor: str, key: str, status: int, content_type: str, body: bytes) -> None:
    """Keep the first successful answer on the claim (flushed with the request's own work: both commit or
    neither does)."""
    row = _row(session, actor, key)
    if row is None:  # the work rolled the claim back with it (it cannot: the claim was committed first)
        return
    row.status, row.content_type, row.body = status, content_type, body
    session.flush()


def release(session: Session, actor: str, key: str) -> None:
    """The request was refused or failed: free the key (its work was rolled back, so asking again is fine).
    Run in a session of its own after the request's transaction has ended. Commits."""
    session.execute(
        delete(IdempotentAnswer).where(
            IdempotentAnswer.actor == actor, IdempotentAnswer.key == key, IdempotentAnswer.status == PENDING
        )
    )
    session.commit()


def purge(session: Session, now: datetime) -> int:
    """Forget answers past their time (a housekeeping job may call it); returns how many went."""
    result = session.execute(delete(IdempotentAnswer).where(IdempotentAnswer.created_at <= now - KEEP_FOR))
    return result.rowcount or 0
