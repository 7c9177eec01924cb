"""Writes to the core system kept for later when it does not answer (the outbox pattern notify uses: the row is
added in the caller's transaction, so it commits with the business change it belongs to, or not at all).

:func:`forward` sends them in the order they were made (a later phone number must not be overwritten by an
earlier one), stops at the first one the core system still does not take, and reports each one done, so the
caller can tell the person. Arguments hold personal data and are kept encrypted (gateway.security.pii).
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.backoffice.interface import BackOffice, BackOfficeRefused, BackOfficeUnavailable
from gateway.backoffice.wire import OPERATIONS, from_wire, to_wire
from gateway.db import Base, UtcDateTime, enum_column
from gateway.security.pii import PiiVault, Purpose

__all__ = [
    "CoreWrite",
    "Forwarded",
    "WriteKind",
    "WriteStatus",
    "arguments_of",
    "enqueue",
    "forward",
    "pending_count",
    "seal",
]

log = logging.getLogger("shebao.backoffice.queue")


class WriteKind(enum.StrEnum):
    """The back office's writes (the operations that are not idempotent or change records)."""

    UPDATE_PHONE = "update_phone"
    CERTIFY_ELIGIBILITY = "certify_eligibility"

    @property
    def label(self) -> str:
        return {"update_phone": "登记手机号码变更", "certify_eligibility": "待遇领取资格认证"}[self.value]


class WriteStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    REFUSED = "refused"  # the core system answered and refused it: not retried, the person is told


class CoreWrite(Base):
    __tablename__ = "bo_write_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[WriteKind] = mapped_column(enum_column(WriteKind, 32))
    arguments: Mapped[str] = mapped_column(Text)  # encrypted wire-form JSON
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    status: Mapped[WriteStatus] = mapped_column(enum_column(WriteStatus), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)


def seal(vault: PiiVault, kind: WriteKind, arguments: dict[str, Any]) -> str:
    """A write's arguments encrypted for the queue (bound to its kind)."""
    wire = {k: to_wire(v) for k, v in arguments.items()}
    return vault.encrypt(json.dumps(wire, ensure_ascii=False), Purpose.CORE_WRITE, kind.value)


def enqueue(session: Session, kind: WriteKind, sealed: str, person_id: int | None, now: datetime) -> CoreWrite:
    """Keep one write (its arguments :func:`seal`-ed) for later, in the caller's transaction."""
    write = CoreWrite(
        kind=kind, arguments=sealed, person_id=person_id, status=WriteStatus.PENDING, created_at=now, attempts=0
    )
    session.add(write)
    session.flush()
    return write


def arguments_of(vault: PiiVault, write: CoreWrite) -> dict[str, Any]:
    op = OPERATIONS[write.kind.value]
    wire = json.loads(vault.decrypt(write.arguments, Purpose.CORE_WRITE, write.kind.value))
    return {name: from_wire(op.params[name], value) for name, value in wire.items()}


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).where(CoreWrite.status == WriteStatus.PENDING)) or 0


@dataclass(frozen=True)
class Forwarded:
    write: CoreWrite
    arguments: dict[str, Any]


def forward(
    session: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    now: datetime,
    *,
    on_done: Callable[[Session, Forwarded], None],
    limit: int = 100,
) -> int:
    """Send pending writes oldest first, in the caller's transaction; stop at the first the core system does not
    take (order matters). ``on_done`` is called for each write done or refused (to tell the person)."""
    query = select(CoreWrite).where(CoreWrite.status == WriteStatus.PENDING).order_by(CoreWrite.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Two schedulers never send the same write twice: the second skips what the first holds.
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for write in session.scalars(query).all():
        arguments = arguments_of(vault, write)
        write.attempts += 1
        write.last_attempt_at = now
        try:
            getattr(backoffice, write.kind.value)(**arguments)
        except BackOfficeRefused as exc:
            write.status, write.error, write.done_at = WriteStatus.REFUSED, str(exc)[:200], now
            log.error("queued core write refused", extra={"fields": {"write": write.id, "kind": write.kind.value}})
            on_done(session, Forwarded(write, arguments))
            continue
        except BackOfficeUnavailable as exc:
            write.error = str(exc)[:200]
            session.flush()
            log.warning("core system still unavailable; %s writes wait", "pending")
            break
        write.status, write.done_at, write.error = WriteStatus.DONE, now, None
        on_done(session, Forwarded(write, arguments))
        sent += 1
    session.flush()
    return sent
