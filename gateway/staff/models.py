"""Staff accounts, their roles, and the audit trail. Times are instants (aware UTC)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event, func
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from gateway.db import Base, UtcDateTime, enum_column


class StaffRole(enum.StrEnum):
    """What a staff member may do. Reviewing and second review are separate posts (GB/T 31621 13.3.4)."""

    AGENT = "agent"  # 12333 hotline agent: acts for a verified caller
    HALL = "hall"  # service-hall window staff: today's queue, check-ins
    REVIEWER = "reviewer"  # handles applications in a department's work queue
    SUPERVISOR = "supervisor"  # second review of high-risk items; overdue list
    ADMIN = "admin"  # staff accounts, halls, slot templates, closures, message resends

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    StaffRole.AGENT: "热线坐席",
    StaffRole.HALL: "窗口经办",
    StaffRole.REVIEWER: "业务审核",
    StaffRole.SUPERVISOR: "复核主管",
    StaffRole.ADMIN: "系统管理",
}


class Staff(Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    # The TOTP seed, encrypted with the PII vault: a database dump must not yield working second factors.
    totp_secret_enc: Mapped[str] = mapped_column(Text)
    # The last accepted TOTP time step: a code is good once (RFC 6238 5.2).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The service hall a hall member works at: they see that hall's queue only (None: no hall assigned).
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("appt_hall.id"), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    grants: Mapped[list[StaffRoleGrant]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[StaffRole]:
        return frozenset(grant.role for grant in self.grants)


class StaffRoleGrant(Base):
    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("staff_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, 16))

    staff: Mapped[Staff] = relationship(back_populates="grants")


class AuditAction(enum.StrEnum):
    """What the staff audit trail records."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    LOGOUT = "logout"
    STAFF_CREATED = "staff_created"
    STAFF_UNLOCKED = "staff_unlocked"
    STAFF_LOCKED = "staff_locked"  # an administrator locked an account until it is unlocked
    STAFF_CHANGED = "staff_changed"  # an administrator changed an account's roles or department
    TOTP_RESET = "totp_reset"
    PERSON_SEARCHED = "person_searched"
    PERSON_UNLOCKED = "person_unlocked"
    CALLER_VERIFIED = "caller_verified"
    CALLER_RELEASED = "caller_released"
    VIEWED = "viewed"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    LINK_SENT = "link_sent"
    APPLICATION_STEP = "application_step"
    SETTINGS_CHANGED = "settings_changed"
    MESSAGE_RESENT = "message_resent"
    CONSULT_HANDLED = "consult_handled"  # a reply, request, contact, closing or publication (LD/T 01 5.5)
    CHAT_HANDLED = "chat_handled"  # a live chat taken, answered or closed (LD/T 01 5.5.2 b)
    KNOWLEDGE_CHANGED = "knowledge_changed"  # a knowledge-base entry added or withdrawn (LD/T 01 5.5.4)
    FOLLOW_UP_CLOSED = "follow_up_closed"  # a bad rating's follow-up done (LD/T 01 7)
    CREDIT_LISTED = "credit_listed"  # an entry put on the list of serious dishonesty (GB/T 31621 19)
    CREDIT_REPAIRED = "credit_repaired"  # a repair decided; a granted one removes the entry
    CERTIFICATE_WITHDRAWN = "certificate_withdrawn"  # a supervisor withdrew a person's certificate, with a reason
    DATA_CLEANED = "data_cleaned"  # the retention clean-up removed expired data (LD/T 01 6.3.3; gateway/retention.py)
    # 12333 for a verified caller, after reading the warning out (LD/T 01 5.3.2): the agent and the caller are named.
    APPLICATION_WITHDRAWN = "application_withdrawn"
    CARD_REPORTED_LOST = "card_reported_lost"


class AuditEntry(Base):
    """One thing a staff member did, and for which person (LD/T 01 6.3.2). Append-only: see below and the
    database triggers in migration 0008."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True, index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, 24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True, index=True)
    # Free text for people to read: never a full ID number or phone (masked before it gets here).
    detail: Mapped[str] = mapped_column(String(300), default="")
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context, _instances) -> None:
    # The ORM refuses first with a clear error; the database triggers catch raw SQL too.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AppendOnlyError("审计记录只能追加，不能修改或删除。")
