"""The delegation, without Flask: an agent may act for one verified caller until it ends (the hotline channel
policy's delegation time, 15 minutes; never extended silently — more time means verifying again)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.actor import Actor, audit
from gateway.catalog.model import Channel
from gateway.channel_policy import policy_for
from gateway.clock import AGENCY_TZ
from gateway.staff.models import AuditAction

#: Where the delegation is kept in the agent's session.
SESSION_KEY = "hotline_delegation"


@dataclass(frozen=True)
class Delegation:
    """An agent may act for one person until ``until`` (epoch seconds)."""

    person_id: int
    staff_id: int
    since: float
    until: float

    def seconds_left(self, now: float) -> int:
        return max(0, math.ceil(self.until - now))

    def ends_at(self) -> str:
        """The end time as the agent's wall clock shows it."""
        return datetime.fromtimestamp(self.until, AGENCY_TZ).strftime("%H:%M")

    def as_session(self) -> dict:
        return {"person_id": self.person_id, "staff_id": self.staff_id, "since": self.since, "until": self.until}


def open_delegation(person_id: int, staff_id: int, now: float) -> Delegation:
    """A delegation starting ``now`` and lasting the hotline policy's delegation time."""
    return Delegation(person_id, staff_id, now, now + policy_for(Channel.HOTLINE).delegation_s)


def read(data: object, staff_id: int | None) -> Delegation | None:
    """The delegation kept in the session, if it belongs to this staff member (expired or not)."""
    if not isinstance(data, dict):
        return None
    try:
        found = Delegation(int(data["person_id"]), int(data["staff_id"]), float(data["since"]), float(data["until"]))
    except (KeyError, TypeError, ValueError):
        return None
    return found if found.staff_id == staff_id else None


def is_live(delegation: Delegation | None, now: float) -> bool:
    return delegation is not None and delegation.since <= now < delegation.until


def record_end(db: Session, actor: Actor, delegation: Delegation, reason: str) -> None:
    """The delegation ended: say why in the audit trail, naming the caller (no commit)."""
    audit(db, actor, AuditAction.CALLER_RELEASED, person_id=delegation.person_id, detail=reason)
