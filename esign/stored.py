"""Sealed PDFs kept on the server so they can be handed out again by an expiring link (esign.links)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from esign.models import CodeStatus, IssuedDocument, StoredPdf
from esign.service import IssuedPdf


def keep(session: Session, issued: IssuedPdf) -> int:
    """Keep an issued document's PDF so it can be handed out by link (esign.links); returns its document id.
    Flushes: the PDF is stored with the work that issued it, or not at all."""
    if session.get(StoredPdf, issued.record.id) is None:
        session.add(StoredPdf(document_id=issued.record.id, filename=issued.filename, pdf=issued.pdf))
        session.flush()
    return issued.record.id


@dataclass(frozen=True)
class KeptFile:
    filename: str
    pdf: bytes
    status: CodeStatus


def kept_file(session: Session, document_id: int) -> KeptFile | None:
    """A kept PDF and its code's status, or None."""
    row = session.execute(
        select(StoredPdf.filename, StoredPdf.pdf, IssuedDocument.status)
        .join(IssuedDocument, IssuedDocument.id == StoredPdf.document_id)
        .where(StoredPdf.document_id == document_id)
    ).first()
    return KeptFile(row.filename, row.pdf, row.status) if row else None
