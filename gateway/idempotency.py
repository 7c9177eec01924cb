"""Idempotent POSTs of ``/api/v1/`` (a client that lost the answer sends the same request again with the same
``Idempotency-Key``): the first successful answer is kept, keyed by (actor, key) with a fingerprint of the
request, and a replay gets that answer back — the same status and body — instead of doing the work twice or
meeting a conflict. A replay with another body under the same key is refused (the key was reused by mistake).

Only successful answers are kept: a refusal rolls the request's work back (``gateway.request_db``), so sending
it again simply asks again. Flask-free; the API's hooks call it (``gateway.api.idempotent``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.db import Base, UtcDateTime

#: How long a key is remembered: a client retries within minutes; a day covers a phone that was offline.
KEEP_FOR = timedelta(hours=24)
MAX_KEY = 80


class IdempotentAnswer(Base):
    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_api_idempotency_actor_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Who sent it ("person:42" on the miniprogram channel, …): one person's key never answers another's request.
    actor: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    #: sha256 of method, path and body: the same key with another request is a mistake, not a replay.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


@dataclass(frozen=True)
class Kept:
    status: int
    content_type: str
    body: bytes
    same_request: bool


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def find(session: Session, actor: str, key: str, print_: str, now: datetime) -> Kept | None:
    """The answer kept for (actor, key) while it is fresh, and whether this request is the one it answered."""
    row = session.scalar(
        select(IdempotentAnswer).where(
            IdempotentAnswer.actor == actor,
            IdempotentAnswer.key == key,
            IdempotentAnswer.created_at > now - KEEP_FOR,
        )
    )
    if row is None:
        return None
    return Kept(row.status, row.content_type, row.body, row.fingerprint == print_)


def keep(
    session: Session, actor: str, key: str, print_: str, status: int, content_type: str, body: bytes, now: datetime
) -> None:
    """Remember the first answer (flushed with the request's own work, so both commit or neither does); an
    expired row under the same key makes way."""
    session.execute(
        delete(IdempotentAnswer).where(
            IdempotentAnswer.actor == actor,
            IdempotentAnswer.key == key,
            IdempotentAnswer.created_at <= now - KEEP_FOR,
        )
    )
    session.add(
        IdempotentAnswer(
            actor=actor,
            key=key,
            fingerprint=print_,
            status=status,
            content_type=content_type,
            body=body,
            created_at=now,
        )
    )
    session.flush()


def purge(session: Session, now: datetime) -> int:
    """Forget answers past their time (a housekeeping job may call it); returns how many went."""
    result = session.execute(delete(IdempotentAnswer).where(IdempotentAnswer.created_at <= now - KEEP_FOR))
    return result.rowcount or 0
