"""Conversations and their messages. Instants are aware UTC; what anyone wrote is encrypted at rest with the PII
vault (it may hold ID and phone numbers: Regulation Art. 49)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime, enum_column


class ChatStatus(enum.StrEnum):
    """waiting (in the queue) → active (an agent took it) → closed."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"waiting": "排队中", "active": "人工服务中", "closed": "已结束"}[self.value]


class Sender(enum.StrEnum):
    PERSON = "person"
    AGENT = "agent"
    SYSTEM = "system"  # what the gateway says: taken, verification code sent, closed

    @property
    def label(self) -> str:
        return {"person": "我", "agent": "人工客服", "system": "系统提示"}[self.value]


class VerifiedBy(enum.StrEnum):
    """How the agent knows who the person is (the same bar as on the phone)."""

    LOGIN = "login"  # logged in at assurance level 2 or above when the chat was opened
    CALLER_CHECK = "caller_check"  # the agent ran the 12333 caller verification in the chat

    @property
    def label(self) -> str:
        return {"login": "已登录（二级及以上安全级别）", "caller_check": "坐席核验（证件、姓名和短信验证码）"}[
            self.value
        ]


class ClosedBy(enum.StrEnum):
    PERSON = "person"
    AGENT = "agent"
    ABANDONED = "abandoned"  # the person left the queue (stopped polling) before an agent took it

    @property
    def label(self) -> str:
        return {"person": "咨询人结束", "agent": "坐席结束", "abandoned": "咨询人离开排队"}[self.value]


class ChatConversation(Base):
    """One live chat. ``token_digest`` is a keyed hash of the secret the person's browser or app holds: the id
    alone opens nothing."""

    __tablename__ = "chat_conversation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[ChatStatus] = mapped_column(enum_column(ChatStatus, 16), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    #: The last time the person's page or app asked for news: a waiting chat nobody asks about is abandoned.
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[ClosedBy | None] = mapped_column(enum_column(ClosedBy, 16), nullable=True)
    #: The person logged in when it was opened (any level); ``None`` for an anonymous visitor.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True, index=True)
    #: Whom the agent may treat it as: set only once verified (login at level ≥ 2, or the caller check).
    verified_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True, index=True)
    verified_by: Mapped[VerifiedBy | None] = mapped_column(enum_column(VerifiedBy, 16), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True, index=True)
    #: When the retention rule cleared what was said and whose it was (gateway/retention.py); the number, the
    #: channel, the times and how it ended stay for the statistics.
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ChatMessage(Base):
    """One message; ``text_enc`` is encrypted, bound to the conversation's id."""

    __tablename__ = "chat_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("chat_conversation.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    sender: Mapped[Sender] = mapped_column(enum_column(Sender, 16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"), nullable=True)
    text_enc: Mapped[str] = mapped_column(Text)


class AgentPresence(Base):
    """Whether an agent answers live chat now: they mark themselves available or away in the console, whose
    pages renew ``seen_at`` while open. Available and seen lately is what counts as online for a person."""

    __tablename__ = "chat_agent_presence"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), primary_key=True)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
