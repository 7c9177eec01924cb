"""Gateway-side identity: one Person per social security number, many Credentials (DESIGN "Identity")."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base


class CredentialKind(enum.StrEnum):
    PASSWORD = "password"
    ESSC = "essc"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CERTIFICATE = "certificate"


class Person(Base):
    """A real-name person. The ID number is stored encrypted, found by its keyed digest."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_digest: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_enc: Mapped[str] = mapped_column(String(255))
    name_enc: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    credentials: Mapped[list[Credential]] = relationship(back_populates="person")


class Credential(Base):
    """One way to prove being the person; an identifier is bound to at most one person."""

    __tablename__ = "credential"
    __table_args__ = (UniqueConstraint("kind", "identifier", name="uq_credential_kind_identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(
        Enum(CredentialKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    identifier: Mapped[str] = mapped_column(String(128))
    secret_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    person: Mapped[Person] = relationship(back_populates="credentials")
