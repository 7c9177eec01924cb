"""Writes to the core system that it could not take: kept in the durable queue (gateway.backoffice.write_queue),
in the caller's transaction, with a notice to the person; forwarded later by :func:`forward_now`, which tells the
person again when each is done (or refused). The scheduler job is :func:`gateway.scheduler.forward_writes_job`.

LD/T 01 6.4.5: a service is not lost because the core system is briefly away; the person knows where it stands.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from gateway import clock
from gateway.backoffice.interface import BackOffice
from gateway.backoffice.resilient import WriteNotDelivered
from gateway.backoffice.write_queue import CoreWrite, Forwarded, WriteStatus, enqueue, forward
from gateway.security.pii import PiiVault
from notify.kinds import MessageKind
from notify.outbox import enqueue as notify

__all__ = ["QUEUED_STATE", "forward_now", "queue"]

log = logging.getLogger("shebao.resilience")

QUEUED_STATE = "已受理。核心业务系统暂时无法连接，恢复后将自动提交，完成后另行通知。"
_DONE_STATE = "已提交核心业务系统，办理完成。"
_REFUSED_STATE = "未被核心业务系统受理，请重新办理或拨打12333咨询。"


def _tell(session: Session, write: CoreWrite, state: str, step: str) -> None:
    if write.person_id is None:
        return
    notify(
        session,
        person_id=write.person_id,
        kind=MessageKind.ACCOUNT_CHANGE,
        template="core_write",
        params={"what": write.kind.label, "state": state},
        idempotency_key=f"core-write:{write.id}:{step}",
    )


def queue(session: Session, undelivered: WriteNotDelivered, person_id: int | None, now: datetime) -> CoreWrite:
    """Keep the write the core system did not take, in the caller's transaction, and tell the person."""
    write = enqueue(session, undelivered.kind, undelivered.sealed, person_id, clock.utc(now))
    _tell(session, write, QUEUED_STATE, "queued")
    log.error("core system write queued for later", extra={"fields": {"write": write.id, "kind": write.kind.value}})
    return write


def _on_done(session: Session, done: Forwarded) -> None:
    if done.write.status is WriteStatus.DONE:
        _tell(session, done.write, _DONE_STATE, "done")
    else:
        _tell(session, done.write, _REFUSED_STATE, "refused")


def forward_now(session: Session, vault: PiiVault, backoffice: BackOffice, now: datetime) -> int:
    """Forward what waits, in order, in the caller's transaction; returns how many were done."""
    return forward(session, vault, backoffice, clock.utc(now), on_done=_on_done)
