"""Applications (网上申请), their timeline and their materials.

GB/T 31621 5.2.1: guide → accept → handle → feedback → archive. "Guide" is the guide page before any row
exists; a row starts as a draft while the person fills in the three steps (LD/T 01 6.1.3).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime, enum_column


class ApplicationStatus(enum.StrEnum):
    """Where an application stands (GB/T 31621 5.2.1)."""

    DRAFT = "draft"  # 填写中: the person is still in the three steps
    SUBMITTED = "submitted"  # 已提交: received (the time limit runs from the next day)
    PREREVIEWED = "prereviewed"  # 预审通过: appointment items, originals to bring to a window
    ACCEPTED = "accepted"  # 已受理
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 待补正: the one-time notice (GB/T 31621 6.2.1.3)
    SUPPLEMENTED = "supplemented"  # 已补正
    FIRST_APPROVED = "first_approved"  # 初审通过待复核: graded review (GB/T 31621 13.3.4)
    APPROVED = "approved"  # 办结（准予）
    REJECTED = "rejected"  # 办结（不予）
    ARCHIVED = "archived"  # 已归档
    WITHDRAWN = "withdrawn"  # 申请人撤回: handling ends at the applicant's request, before acceptance

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        """True once a result exists (no more time limit to watch)."""
        return self in (
            ApplicationStatus.APPROVED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.ARCHIVED,
            ApplicationStatus.WITHDRAWN,
        )


_STATUS_LABELS = {
    ApplicationStatus.DRAFT: "填写中",
    ApplicationStatus.SUBMITTED: "已提交",
    ApplicationStatus.PREREVIEWED: "预审通过",
    ApplicationStatus.ACCEPTED: "已受理",
    ApplicationStatus.SUPPLEMENT_REQUESTED: "待补正材料",
    ApplicationStatus.SUPPLEMENTED: "已补正",
    ApplicationStatus.FIRST_APPROVED: "初审通过待复核",
    ApplicationStatus.APPROVED: "办结（准予办理）",
    ApplicationStatus.REJECTED: "办结（不予办理）",
    ApplicationStatus.ARCHIVED: "已归档",
    ApplicationStatus.WITHDRAWN: "已撤回",
}


class ActorKind(enum.StrEnum):
    """Who did a step of the timeline (LD/T 01 6.3.2: every change traced to someone)."""

    APPLICANT = "applicant"
    STAFF = "staff"
    SYSTEM = "system"  # the back office's rules (instant items, pre-review)

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"applicant": "申请人", "staff": "经办人员", "system": "系统自动"}[self.value]


class Application(Base):
    __tablename__ = "app_application"
    __table_args__ = (
        Index("ix_app_application_person", "person_id", "created_at"),
        Index("ix_app_application_queue", "department", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)  # given at submission
    item_id: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(80))
    handling_kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus))
    channel: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(40))
    form_json: Mapped[str] = mapped_column(Text, default="{}")
    # The answers ``forms.yaml`` marks personal (a bank account, a new address): JSON, encrypted (Regulation Art. 49).
    fields_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    risk_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Ease of use (LD/T 01 7): the steps the person took from the first save to submission — every accepted send
    #: of the form, each upload or removal of a file, and the submission. None on rows from before it was counted.
    steps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(40))
    due_date: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one-time notice (GB/T 31621 6.2.1.3): every problem, as a JSON list of strings.
    notice_json: Mapped[str | None] = mapped_column(Text)
    first_reviewer: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )
    materials: Mapped[list[ApplicationMaterial]] = relationship(
        back_populates="application", order_by="ApplicationMaterial.id", cascade="all, delete-orphan"
    )


class ApplicationEvent(Base):
    """One step of the timeline: what happened, to which status, by whom, when."""

    __tablename__ = "app_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("app_application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[ApplicationStatus] = mapped_column(enum_column(ApplicationStatus))
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind))
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="events")


class ApplicationMaterial(Base):
    """An uploaded file; the bytes live under ``var/uploads`` with a random name, never in the web root."""

    __tablename__ = "app_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("app_application.id"), index=True)
    material: Mapped[str] = mapped_column(String(80))  # the catalog material's name
    filename: Mapped[str] = mapped_column(String(120))  # as the person named it, cleaned
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Supplemented files keep the old ones for the trail; only the current ones are shown.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    application: Mapped[Application] = relationship(back_populates="materials")
