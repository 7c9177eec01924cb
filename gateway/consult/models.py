"""The question ledger and the mailbox. Instants are aware UTC (:class:`gateway.db.UtcDateTime`); what a person
wrote is encrypted at rest with the PII vault (it may hold ID and phone numbers: Regulation Art. 49)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime, enum_column
from gateway.staff.models import Staff


class LedgerReason(enum.StrEnum):
    """Why a question went to the ledger (LD/T 01 5.5.4)."""

    NOT_SURE = "not_sure"  # the assistant did not answer it
    UNHELPFUL = "unhelpful"  # it answered, and the person said the answer did not help

    @property
    def label(self) -> str:
        return {"not_sure": "未能回答", "unhelpful": "答复无帮助"}[self.value]


class LedgerQuestion(Base):
    """One question the knowledge base failed, kept (masked) so staff can grow the knowledge base from it."""

    __tablename__ = "consult_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    #: The question with ID and phone numbers masked.
    question: Mapped[str] = mapped_column(String(60))
    #: Its topic words in policy terms, space-separated: what questions are grouped by.
    words: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[LedgerReason] = mapped_column(enum_column(LedgerReason, 16))
    #: The entry that was offered (an unhelpful answer), if any.
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    #: The knowledge-base entry staff wrote from this question; such a question has left the open ledger.
    resolved_entry_id: Mapped[int | None] = mapped_column(ForeignKey("help_entry.id"), nullable=True, index=True)


class EntryOrigin(enum.StrEnum):
    """Where a knowledge-base entry kept in the database came from (LD/T 01 5.5.4)."""

    LEDGER = "ledger"  # staff answered a group of questions from the ledger
    MAILBOX = "mailbox"  # a supervisor promoted a published mailbox answer (LD/T 01 5.5.3)

    @property
    def label(self) -> str:
        return {"ledger": "问题台账", "mailbox": "公开答复"}[self.value]


class EntryStatus(enum.StrEnum):
    """A published entry is searched; a withdrawn one is kept (with who withdrew it) but no longer found."""

    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"published": "已发布", "withdrawn": "已撤下"}[self.value]


class KnowledgeEntry(Base):
    """One knowledge-base entry written by staff, searched next to the curated ones in ``knowledge.yaml``
    (LD/T 01 5.5.4: the ledger grows the knowledge base). ``updated_at`` moves on every change: the search index
    of every process compares it (:mod:`gateway.consult.knowledge`) and rebuilds when it changed."""

    __tablename__ = "help_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    answer: Mapped[str] = mapped_column(Text)
    #: What the answer rests on, as people read it (a law, a rule of the agency).
    source: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(200), nullable=True)
    origin: Mapped[EntryOrigin] = mapped_column(enum_column(EntryOrigin, 16))
    #: The mailbox case number, or how many ledger questions it answers.
    origin_ref: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[EntryStatus] = mapped_column(enum_column(EntryStatus, 16), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    author: Mapped[Staff | None] = relationship(Staff)


class CaseKind(enum.StrEnum):
    """What a person writes to the mailbox (LD/T 01 5.5.1)."""

    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"
    REPORT = "report"

    @property
    def label(self) -> str:
        return {"consultation": "咨询", "suggestion": "建议", "complaint": "投诉", "report": "举报"}[self.value]


class Topic(enum.StrEnum):
    """What a case is about, and so the department whose queue it lands in."""

    PENSION = "pension"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    CARD = "card"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return _TOPICS[self][0]

    @property
    def department(self) -> str:
        return _TOPICS[self][1]


_TOPICS = {
    Topic.PENSION: ("养老保险", "养老保险科"),
    Topic.UNEMPLOYMENT: ("失业保险", "失业保险科"),
    Topic.WORK_INJURY: ("工伤保险", "工伤保险科"),
    Topic.CARD: ("社会保障卡", "社保卡服务科"),
    Topic.SERVICE: ("经办服务与其他", "综合服务科"),
}


class CaseStatus(enum.StrEnum):
    """open → (awaiting_info → open) → replied → closed."""

    OPEN = "open"
    AWAITING_INFO = "awaiting_info"
    REPLIED = "replied"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"open": "办理中", "awaiting_info": "待您补充", "replied": "已答复", "closed": "已办结"}[self.value]


class EventKind(enum.StrEnum):
    """One step in a case's life, shown to the person and to staff."""

    SUBMITTED = "submitted"
    REPLIED = "replied"
    INFO_REQUESTED = "info_requested"
    INFO_ADDED = "info_added"
    CONTACTED = "contacted"  # LD/T 01 5.5.5: the agency contacted the complainant
    CLOSED = "closed"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {
            "submitted": "提交",
            "replied": "答复",
            "info_requested": "请您补充材料或说明",
            "info_added": "补充说明",
            "contacted": "已联系投诉人",
            "closed": "办结",
            "published": "公开答复",
        }[self.value]


class ConsultCase(Base):
    """One consultation, suggestion, complaint or report, with its tracking number and time limit."""

    __tablename__ = "consult_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind, 16))
    topic: Mapped[Topic] = mapped_column(enum_column(Topic, 16))
    department: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus, 16), index=True)
    subject_enc: Mapped[str] = mapped_column(Text)
    body_enc: Mapped[str] = mapped_column(Text)
    contact_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The person logged in when it was written; ``None`` for an anonymous case.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True, index=True)
    #: Keyed hash of the query code given once at submission (the number alone opens nothing).
    code_digest: Mapped[str] = mapped_column(String(64))
    allow_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    limit_days: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The public question and answer, written by staff with personal data removed (LD/T 01 5.5.3).
    public_question: Mapped[str | None] = mapped_column(String(200), nullable=True)
    public_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    #: When the retention rule cleared what the person and staff wrote (gateway/retention.py); the number, kind,
    #: topic, department, dates and status stay for the statistics and for following the case by its number.
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id", back_populates="case")


class CaseEvent(Base):
    """One step of a case; ``text_enc`` is what was said, encrypted; ``staff_id`` who said it on the console."""

    __tablename__ = "consult_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("consult_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 16))
    text_enc: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True)

    case: Mapped[ConsultCase] = relationship(back_populates="events")
