"""Tables of the unit side: the unit account, its certificates, its clerks, certificate-login challenges and
the unit's audit trail (LD/T 01 6.2.2, 6.3.2)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime, enum_column


class UnitOperation(enum.StrEnum):
    """What a clerk may be granted; the certificate holder (unit administrator) may do all of these."""

    VIEW_INFO = "view_info"  # 单位参保登记信息
    VIEW_STAFF = "view_staff"  # 参保职工名册
    VIEW_CONTRIBUTIONS = "view_contributions"  # 单位缴费情况
    APPLY = "apply"  # 代单位申报业务

    @property
    def label(self) -> str:
        return OPERATION_LABELS[self]


OPERATION_LABELS = {
    UnitOperation.VIEW_INFO: "查询单位参保登记信息",
    UnitOperation.VIEW_STAFF: "查询参保职工名册",
    UnitOperation.VIEW_CONTRIBUTIONS: "查询单位缴费情况",
    UnitOperation.APPLY: "代单位申报业务",
}


class UnitEventKind(enum.StrEnum):
    LOGIN = "login"
    LOGIN_REFUSED = "login_refused"
    LOGOUT = "logout"
    CLERK_ADDED = "clerk_added"
    CLERK_REVOKED = "clerk_revoked"
    ACTING_STARTED = "acting_started"
    ACTING_STOPPED = "acting_stopped"
    ACCESS_DENIED = "access_denied"
    QUERY = "query"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    UnitEventKind.LOGIN: "数字证书登录",
    UnitEventKind.LOGIN_REFUSED: "证书登录被拒绝",
    UnitEventKind.LOGOUT: "退出",
    UnitEventKind.CLERK_ADDED: "新增经办人",
    UnitEventKind.CLERK_REVOKED: "撤销经办人",
    UnitEventKind.ACTING_STARTED: "经办人开始代办",
    UnitEventKind.ACTING_STOPPED: "经办人结束代办",
    UnitEventKind.ACCESS_DENIED: "超出授权被拒绝",
    UnitEventKind.QUERY: "查询",
}


class UnitAccount(Base):
    """A unit's online account, one per unified social credit code; opened at its first certificate login."""

    __tablename__ = "unit_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The legal representative is a natural person: kept encrypted, shown masked (Regulation Art. 49).
    legal_rep_enc: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    clerks: Mapped[list[UnitClerk]] = relationship(back_populates="unit")


class UnitCertificate(Base):
    """A digital certificate (issuer + serial) that has logged in for a unit: the unit's credential."""

    __tablename__ = "unit_certificate"
    __table_args__ = (UniqueConstraint("issuer_digest", "serial", name="uq_unit_certificate_issuer_serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit_account.id"), index=True)
    issuer_digest: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(255))
    serial: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    first_used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UnitClerk(Base):
    """A person the unit authorised to act for it (经办人), within a grant and a validity period."""

    __tablename__ = "unit_clerk"
    __table_args__ = (Index("ix_unit_clerk_person", "id_digest", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit_account.id"), index=True)
    id_digest: Mapped[str] = mapped_column(String(64))
    id_number_enc: Mapped[str] = mapped_column(String(255))
    name_enc: Mapped[str] = mapped_column(String(255))
    # Comma-separated UnitOperation values (a small closed set; see grants()).
    grants_csv: Mapped[str] = mapped_column(String(160))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(80), nullable=True)

    unit: Mapped[UnitAccount] = relationship(back_populates="clerks")

    @property
    def grants(self) -> frozenset[UnitOperation]:
        return frozenset(UnitOperation(v) for v in self.grants_csv.split(",") if v)


class UnitChallenge(Base):
    """A certificate-login nonce: single use, short life; only its digest is kept."""

    __tablename__ = "unit_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class UnitEvent(Base):
    """One line of a unit's audit trail: logins and refusals (with the precise reason), clerk changes, queries."""

    __tablename__ = "unit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit_account.id"), index=True, nullable=True)
    kind: Mapped[UnitEventKind] = mapped_column(enum_column(UnitEventKind, 24))
    # Who acted: "cert:<serial>" for the certificate holder, "clerk:<clerk id>" for a clerk.
    actor: Mapped[str] = mapped_column(String(80))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ip_masked: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
