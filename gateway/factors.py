"""A login factor changed (issue 13, must fix 2): every other session and token of the person ends at once and
the person is told, by the push platform's ``ACCOUNT_CHANGE`` message (inbox, SMS, WeChat as they chose).

ASVS 5.0 7.4.3 (other sessions end after a change of an authentication factor, reset included) and 6.3.7 (users
are notified after updates to their authentication details); LD/T 01 6.3.2 (the change is traced). The session
that made the change goes on, with a new id (``gateway.access.edge``).
"""

from __future__ import annotations

import enum
import secrets

from sqlalchemy.orm import Session

import notify
from gateway import clock
from gateway.identity.models import EventKind
from gateway.identity.service import end_other_sessions, record_event


class FactorChange(enum.StrEnum):
    """Which login factor changed."""

    PASSWORD = "password"
    PHONE = "phone"
    BOUND = "bound"
    UNBOUND = "unbound"
    PROXY_GRANTED = "proxy_granted"

    @property
    def label(self) -> str:
        """What the person reads in the message (at most 20 characters, the template's limit)."""
        return _LABELS[self]


_LABELS = {
    FactorChange.PASSWORD: "登录密码",
    FactorChange.PHONE: "登记手机号码",
    FactorChange.BOUND: "第三方登录绑定",
    FactorChange.UNBOUND: "第三方登录解绑",
    FactorChange.PROXY_GRANTED: "代办授权",
}


def factor_changed(session: Session, person_id: int, change: FactorChange, *, channel: str = "web") -> int:
    """End the person's other sessions and tokens, trace it and queue the message; the API tokens ended. Flushes."""
    ended = end_other_sessions(session, person_id)
    record_event(
        session,
        EventKind.OPERATION,
        person_id=person_id,
        method="sessions_ended",
        channel=channel,
        detail=f"{change.label}变更，其他设备上的登录已退出",
    )
    notify.enqueue(
        session,
        person_id=person_id,
        kind=notify.MessageKind.ACCOUNT_CHANGE,
        template="account_change",
        params={"what": change.label, "time": clock.format_beijing(clock.now())},
        idempotency_key=f"account-change:{person_id}:{secrets.token_hex(8)}",
    )
    session.flush()
    return ended
