"""Small helpers shared by the push-platform tests."""

from __future__ import annotations

import sqlalchemy as sa

from notify import MessageKind, enqueue
from notify.models import NotifyAttempt, NotifyMessage

BOOKED = {
    "item": "养老保险关系转移",
    "hall": "高新区政务服务中心",
    "time": "2026-11-25 09:30",
    "code": "A0012",
}
RESULT = {"item": "失业保险金申领", "result": "准予发放", "number": "SL202611230001"}


def queue_booked(session, person_id: int, key: str, **kw) -> None:
    enqueue(
        session,
        person_id=person_id,
        kind=MessageKind.APPOINTMENT_BOOKED,
        template="appointment_booked",
        params=dict(BOOKED),
        idempotency_key=key,
        **kw,
    )


def messages(sessions, **where) -> list[NotifyMessage]:
    with sessions() as s:
        q = sa.select(NotifyMessage).order_by(NotifyMessage.id)
        for k, v in where.items():
            q = q.where(getattr(NotifyMessage, k) == v)
        return list(s.scalars(q))


def attempts(sessions, message_id: int) -> list[NotifyAttempt]:
    with sessions() as s:
        return list(
            s.scalars(
                sa.select(NotifyAttempt).where(NotifyAttempt.message_id == message_id).order_by(NotifyAttempt.number)
            )
        )
