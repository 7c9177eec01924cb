"""The push platform's tables: the outbox (one row per message and channel), delivery attempts, preferences
and the staff audit trail. Times are instants (aware UTC)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime, enum_column
from notify.kinds import Channel, MessageKind, MessageStatus


class AttemptOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


class AuditAction(enum.StrEnum):
    RESEND = "resend"
    VIEW = "view"


class NotifyMessage(Base):
    """One message to one person on one channel; the outbox row is also the delivery record."""

    __tablename__ = "notify_message"
    __table_args__ = (
        # The same event queued twice (a retried caller) adds nothing: LD/T 01 5.4.4, one notice per event.
        UniqueConstraint("idempotency_key", "channel", name="uq_notify_message_idempotency_key"),
        Index("ix_notify_message_due", "status", "next_attempt_at"),
        Index("ix_notify_message_inbox", "person_id", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 32))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16))
    template: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sms_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    wechat_payload: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: template_id, page, data
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, 24), default=MessageStatus.CREATED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    receipt: Mapped[str | None] = mapped_column(String(16), nullable=True)  # SMS delivery report status
    address_masked: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resend_count: Mapped[int] = mapped_column(Integer, default=0)


class NotifyAttempt(Base):
    """One try at delivering a message: what happened and how long the dispatcher waits before the next."""

    __tablename__ = "notify_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("notify_message.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[AttemptOutcome] = mapped_column(enum_column(AttemptOutcome, 24))
    error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    backoff_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class NotifyPreference(Base):
    """The channels a person chose for one kind of message (absent: the kind's defaults)."""

    __tablename__ = "notify_preference"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 32), primary_key=True)
    channels: Mapped[str] = mapped_column(String(64))  # comma-separated Channel values
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotifyAudit(Base):
    """Staff actions on messages (LD/T 01 6.3.2: every use and change of personal data is traced)."""

    __tablename__ = "notify_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, 16))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("notify_message.id"), nullable=True, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(255))
