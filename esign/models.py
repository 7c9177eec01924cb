"""Issued documents: each anti-forgery code kept only as a keyed hash with its document's fingerprint."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from esign.codes import DocumentKind
from gateway.db import Base, enum_column


class CodeStatus(enum.StrEnum):
    """A code's state as /verify/ reports it."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED_SUPERSEDED = "revoked_superseded"


class IssuedDocument(Base):
    """One sealed certificate (LD/T 01 5.4.2.4): enough to answer /verify/, nothing that reveals the code."""

    __tablename__ = "esign_documents"
    __table_args__ = (Index("ix_esign_documents_holder_kind", "holder_digest", "kind", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256 of the code
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 32))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # SHA-256 of the sealed PDF
    holder_masked: Mapped[str] = mapped_column(String(200))
    holder_digest: Mapped[str] = mapped_column(String(64))  # HMAC of the ID number / credit code
    scope: Mapped[str] = mapped_column(String(32), default="")
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[CodeStatus] = mapped_column(enum_column(CodeStatus), default=CodeStatus.VALID)
    facts: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [label, value]: no raw IDs
    seal_serial: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
