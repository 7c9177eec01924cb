"""Who is acting on a request (DESIGN "Use cases and the Actor"), without Flask: services take an Actor and
never look at cookies, tokens or sessions themselves."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway.catalog.model import Channel
from gateway.identity.service import Identity
from gateway.staff.models import AuditAction, StaffRole
from gateway.staff.service import Operator
from gateway.staff.service import audit as staff_audit
from gateway.units.service import UnitActor


class ActorKind(enum.StrEnum):
    ANONYMOUS = "anonymous"
    PERSON = "person"  # a citizen, logged in on this channel
    UNIT = "unit"  # a unit's certificate holder, or a person acting as the unit's clerk
    STAFF = "staff"  # a hotline or hall staff member on the console


@dataclass(frozen=True)
class Actor:
    """One request's actor: who, how strongly proven, on which channel, and on whose behalf."""

    channel: Channel
    kind: ActorKind = ActorKind.ANONYMOUS
    level: int = 0
    #: The logged-in citizen (also set for a clerk, who logged in as themselves).
    person: Identity | None = None
    unit: UnitActor | None = None
    staff_id: int | None = None
    staff_roles: frozenset[StaffRole] = field(default_factory=frozenset)
    staff_department: str | None = None
    #: The person this request acts for: the caller of a hotline agent's live delegation, or the grantor of
    #: the authorised-proxy grant ``proxy_grant_id`` a citizen books under (Regulation Art. 30).
    on_behalf_of: Identity | None = None
    #: The live proxy grant a citizen acts under on this request (booking operations only).
    proxy_grant_id: int | None = None
    #: For the audit trail: the masked client address and the request id.
    ip: str | None = None
    request_id: str | None = None

    @property
    def subject(self) -> Identity | None:
        """Whose data the request is about: the caller under a delegation or the grantor under a proxy grant,
        else the person logged in."""
        return self.on_behalf_of or self.person

    @property
    def subject_id(self) -> int | None:
        subject = self.subject
        return subject.person_id if subject else None

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    @property
    def operator(self) -> Operator:
        """This actor as the one changing a staff account, for that account's audit entries."""
        return Operator(self.staff_id, self.ip, self.request_id)

    def holds(self, *roles: StaffRole) -> bool:
        """A staff member holding one of ``roles`` (any staff member when none are named)."""
        return self.is_staff and (not roles or bool(self.staff_roles & set(roles)))


def audit(db: Session, actor: Actor, action: AuditAction, *, person_id: int | None = None, detail: str = "") -> None:
    """Write what a staff actor did to the audit trail, naming the person it concerned (no commit: the entry
    joins the work it records)."""
    staff_audit(
        db,
        action,
        staff_id=actor.staff_id,
        person_id=person_id if person_id is not None else actor.subject_id,
        detail=detail,
        ip=actor.ip,
        request_id=actor.request_id,
    )
