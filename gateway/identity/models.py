"""Gateway-side identity: one Person per social security number, many Credentials (DESIGN "Identity")."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime, enum_column
from gateway.validation import DocumentType


class CredentialKind(enum.StrEnum):
    PASSWORD = "password"
    ESSC = "essc"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CERTIFICATE = "certificate"


class EventKind(enum.StrEnum):
    """What the login log and operation trail record (LD/T 01 6.2.5 e, 6.3.2)."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    LOGOUT = "logout"
    STEP_UP = "step_up"
    REGISTERED = "registered"
    PASSWORD_CHANGED = "password_changed"
    CREDENTIAL_BOUND = "credential_bound"
    CREDENTIAL_UNBOUND = "credential_unbound"
    SMS_SENT = "sms_sent"
    OPERATION = "operation"

    @property
    def label(self) -> str:
        """The event in words, as the login log and the console show it."""
        return EVENT_LABELS[self]


EVENT_LABELS = {
    EventKind.LOGIN: "登录成功",
    EventKind.LOGIN_FAILED: "登录失败",
    EventKind.LOCKED: "账户锁定",
    EventKind.UNLOCKED: "账户解锁",
    EventKind.LOGOUT: "退出",
    EventKind.STEP_UP: "身份核验",
    EventKind.REGISTERED: "注册",
    EventKind.PASSWORD_CHANGED: "修改密码",
    EventKind.CREDENTIAL_BOUND: "绑定登录方式",
    EventKind.CREDENTIAL_UNBOUND: "解除绑定",
    EventKind.SMS_SENT: "发送验证码",
    EventKind.OPERATION: "业务操作",
}


#: Kinds shown as the login log; the rest form the operation trail.
LOGIN_EVENTS = frozenset(
    {EventKind.LOGIN, EventKind.LOGIN_FAILED, EventKind.LOCKED, EventKind.LOGOUT, EventKind.STEP_UP}
)


class SmsPurpose(enum.StrEnum):
    LOGIN = "login"
    STEP_UP = "step_up"
    REGISTER = "register"
    BIND = "bind"
    RESET = "reset"
    CALLER = "caller"  # a 12333 caller reads the code back to the agent (channels/hotline/callers.py)


class FlowStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DONE = "done"


class Person(Base):
    """A real-name person, one per social security number (LD/T 01 6.2.1). The social security number (``id_number``:
    a citizen's ID number, a HK / Macao / Taiwan resident's residence permit number, a foreigner's permanent
    residence ID or the number the agency assigned) is stored encrypted, found by its keyed digest. ``doc_type``
    is the document the person registered with; other documents they showed are :class:`PersonDocument` rows."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_digest: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_enc: Mapped[str] = mapped_column(String(255))
    name_enc: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    # LD/T 01 6.2.4: which version of the online service agreement the person accepted, and when.
    agreement_version: Mapped[str | None] = mapped_column(String(16), nullable=True)
    agreement_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Raised when a login factor changes (password, phone, bindings, proxies): a web session or access token
    # made under an older epoch is dead at once (ASVS 5.0 7.4.3, issue 13).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # LD/T 01 6.2.3 b: the identity document the person registered with (existing rows: the resident ID).
    doc_type: Mapped[DocumentType] = mapped_column(
        enum_column(DocumentType, 16), default=DocumentType.RESIDENT_ID, server_default=DocumentType.RESIDENT_ID.value
    )

    credentials: Mapped[list[Credential]] = relationship(back_populates="person")


class PersonDocument(Base):
    """An identity document (type, number) that finds its person: one row per document other than a resident ID
    equal to the social security number. Unique across people, so one document never opens two accounts."""

    __tablename__ = "person_document"
    __table_args__ = (UniqueConstraint("doc_type", "doc_digest", name="uq_person_document_type_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    doc_type: Mapped[DocumentType] = mapped_column(enum_column(DocumentType, 16))
    doc_digest: Mapped[str] = mapped_column(String(64))
    number_enc: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class Credential(Base):
    """One way to prove being the person; an identifier is bound to at most one person."""

    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("kind", "identifier", name="uq_credential_kind_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(enum_column(CredentialKind, 16))
    identifier: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    person: Mapped[Person] = relationship(back_populates="credentials")


class LoginGuard(Base):
    """Wrong-password count per login name (keyed digest, so unknown names lock alike: no enumeration)."""

    __tablename__ = "login_guard"

    subject_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class IdentityEvent(Base):
    """One line of a user's login log or operation trail (LD/T 01 6.2.5 e, 6.3.2)."""

    __tablename__ = "identity_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, nullable=True)
    subject_digest: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    method: Mapped[str | None] = mapped_column(String(24), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    ip_masked: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WebSession(Base):
    """A server-side web session; the cookie carries only a random token whose digest is the key."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SmsCode(Base):
    """A one-time SMS code: only its keyed hash is kept; single use, short life, few tries."""

    __tablename__ = "sms_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[SmsPurpose] = mapped_column(enum_column(SmsPurpose, 16))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class AuthFlow(Base):
    """One e-SSC authorization request (web redirect or QR): its state, nonce and outcome."""

    __tablename__ = "auth_flow"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    # API QR flows: the terminal polls with a secret of its own, never with the state shown in the QR.
    poll_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    status: Mapped[FlowStatus] = mapped_column(enum_column(FlowStatus, 16), default=FlowStatus.PENDING)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefreshToken(Base):
    """One refresh token of an API session; rotating hands out a successor in the same family."""

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rotated: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingBinding(Base):
    """A third-party identity (WeChat openid, …) waiting to be bound to a real-name person."""

    __tablename__ = "pending_binding"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[CredentialKind] = mapped_column(enum_column(CredentialKind, 16))
    external_id: Mapped[str] = mapped_column(String(128))
    id_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    id_number_enc: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # The document the person typed ("passport:GBR:E12345678"), so a new person is shown by it (LD/T 01 6.2.3 b).
    document_enc: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
