"""Issued documents: each anti-forgery code kept only as a keyed hash with its document's fingerprint."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from esign.codes import DocumentKind
from gateway.db import Base, UtcDateTime, enum_column


class CodeStatus(enum.StrEnum):
    """A code's state as /verify/ reports it."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED_SUPERSEDED = "revoked_superseded"  # the agency replaced or cancelled it (a corrected document)
    WITHDRAWN = "withdrawn"  # the holder (or the agency for them) declared it void, with a reason

    @property
    def label(self) -> str:
        """The status in words, as the holder's list shows it."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    CodeStatus.VALID: "有效",
    CodeStatus.EXPIRED: "已过有效期",
    CodeStatus.REVOKED_SUPERSEDED: "已由本机构作废",
    CodeStatus.WITHDRAWN: "已撤回",
}


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
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # "holder" or "agency"
    # The date the certificate speaks for and the holder's record version then (the core system's), with the
    # holder's number encrypted, so /verify/ can say whether the record has changed since.
    record_as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    record_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    holder_id_enc: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class StoredPdf(Base):
    """A sealed PDF kept whole, for documents handed out again later: receipts (the same file on every
    download) and documents sent as an expiring link (hotline). Other certificates are made fresh each time."""

    __tablename__ = "esign_files"

    document_id: Mapped[int] = mapped_column(ForeignKey("esign_documents.id"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(120))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class Receipt(Base):
    """One receipt of an application (LD/T 01 5.3.1 d, 5.4.2.2): at most one per application and kind."""

    __tablename__ = "esign_receipts"
    __table_args__ = (UniqueConstraint("application_id", "kind", name="uq_esign_receipts_application_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("app_application.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 32))
    document_id: Mapped[int] = mapped_column(ForeignKey("esign_documents.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
