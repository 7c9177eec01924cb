"""Tables of public information (LD/T 01 5.6) and service evaluation (LD/T 01 clause 7)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime, enum_column


class PolicyStatus(enum.StrEnum):
    """Whether a published policy document still applies."""

    IN_FORCE = "in_force"
    REPLACED = "replaced"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"in_force": "现行有效", "replaced": "已被替代"}[self.value]


class PolicyDocument(Base):
    """One published policy document (LD/T 01 5.6.1: laws, regulations and policies), kept by staff."""

    __tablename__ = "info_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(80))  # 发文机关
    number: Mapped[str] = mapped_column(String(60))  # 文号, e.g. 国务院令第765号
    published_on: Mapped[date] = mapped_column(Date)
    effective_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PolicyStatus] = mapped_column(enum_column(PolicyStatus, 16))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("info_policy.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EvaluationSubject(enum.StrEnum):
    """What was rated: a finished service of one of these kinds (LD/T 01 7)."""

    APPLICATION = "application"
    APPOINTMENT = "appointment"
    CERTIFICATE = "certificate"  # a certificate download (LD/T 01 5.4.2), rated once per certificate
    CONSULTATION = "consultation"  # a closed mailbox case (LD/T 01 5.5.1), by its number
    CHAT = "chat"  # a finished live chat with an agent (LD/T 01 5.5.2 b), by its number

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {
            "application": "网上申请",
            "appointment": "预约办理",
            "certificate": "证明下载",
            "consultation": "网上信箱留言",
            "chat": "在线人工咨询",
        }[self.value]


class Rating(enum.IntEnum):
    """The national five-level scale of 好差评 (非常满意 … 非常不满意)."""

    VERY_DISSATISFIED = 1
    DISSATISFIED = 2
    BASIC = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _RATING_LABELS[self]

    @property
    def bad(self) -> bool:
        """不满意 or worse: a 差评 that opens a follow-up."""
        return self <= Rating.DISSATISFIED


_RATING_LABELS = {
    Rating.VERY_SATISFIED: "非常满意",
    Rating.SATISFIED: "满意",
    Rating.BASIC: "基本满意",
    Rating.DISSATISFIED: "不满意",
    Rating.VERY_DISSATISFIED: "非常不满意",
}

_RATING_RANGE = "BETWEEN 1 AND 5"


class Evaluation(Base):
    """One person's rating of one finished service, given once (LD/T 01 7: completeness, ease, timeliness,
    satisfaction)."""

    __tablename__ = "info_evaluation"
    __table_args__ = (
        UniqueConstraint("subject", "subject_ref", name="uq_info_evaluation_subject"),
        CheckConstraint(f"completeness {_RATING_RANGE}", name="completeness"),
        CheckConstraint(f"ease {_RATING_RANGE}", name="ease"),
        CheckConstraint(f"timeliness {_RATING_RANGE}", name="timeliness"),
        CheckConstraint(f"satisfaction {_RATING_RANGE}", name="satisfaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[EvaluationSubject] = mapped_column(enum_column(EvaluationSubject, 16))
    #: The application number, booking code, certificate id, mailbox case number or chat number.
    subject_ref: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("appt_hall.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))  # the channel the service was done through
    rated_on: Mapped[str] = mapped_column(String(16))  # the channel the rating was given on
    completeness: Mapped[int] = mapped_column(Integer)
    ease: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    satisfaction: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FollowUpStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"open": "待回访", "closed": "已办结"}[self.value]


class FollowUp(Base):
    """The follow-up a bad rating opens for staff, with a deadline; its outcome is told to the person."""

    __tablename__ = "info_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("info_evaluation.id"), unique=True)
    status: Mapped[FollowUpStatus] = mapped_column(enum_column(FollowUpStatus, 16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CreditParty(enum.StrEnum):
    """Who is listed: a unit (by unified social credit code) or a person (by ID number)."""

    UNIT = "unit"
    PERSON = "person"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"unit": "单位", "person": "个人"}[self.value]


class CreditStatus(enum.StrEnum):
    LISTED = "listed"
    REMOVED = "removed"


class CreditRemoval(enum.StrEnum):
    """Why an entry left the public list (GB/T 31621 19: repair, removal at the end of the period)."""

    REPAIRED = "repaired"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"repaired": "信用修复", "expired": "公示期满"}[self.value]


class CreditEntry(Base):
    """One entry of the list of serious dishonesty (LD/T 01 5.6.3; GB/T 31621 19; Regulation Art. 45), made on
    the basis of a legal document and published for a period."""

    __tablename__ = "info_credit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[CreditParty] = mapped_column(enum_column(CreditParty, 16))
    name: Mapped[str] = mapped_column(String(80))
    #: The ID number's or credit code's digest (gateway.security.pii): the listed party is recognised by it.
    code_digest: Mapped[str] = mapped_column(String(64), index=True)
    #: What the public sees of the code: a unit's credit code in full, a person's ID number masked (Art. 49).
    code_shown: Mapped[str] = mapped_column(String(24))
    behaviour: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str] = mapped_column(String(80))
    document_date: Mapped[date] = mapped_column(Date)
    listed_on: Mapped[date] = mapped_column(Date)
    publish_until: Mapped[date] = mapped_column(Date)
    status: Mapped[CreditStatus] = mapped_column(enum_column(CreditStatus, 16))
    removal: Mapped[CreditRemoval | None] = mapped_column(enum_column(CreditRemoval, 16), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RepairStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"pending": "审核中", "granted": "已准予修复", "refused": "不予修复"}[self.value]


class CreditRepair(Base):
    """A listed party's application for credit repair (GB/T 31621 19), decided by staff."""

    __tablename__ = "info_credit_repair"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("info_credit_entry.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[RepairStatus] = mapped_column(enum_column(RepairStatus, 16))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
