"""How every channel and the API hand over a sealed PDF: always as an attachment, never cached, never sniffed; and
the application receipts, which the applicant (web, API) and the handling department (console) take alike."""

from __future__ import annotations

from flask import Response, current_app

from gateway.access.edge import current_actor
from gateway.access.urls import verify_url
from gateway.applications import notices
from gateway.clients import get_backoffice, get_clients
from gateway.clock import today
from gateway.request_db import get_session


def pdf_attachment(pdf: bytes, filename: str, *, cache: str = "no-store") -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
        },
    )


def receipt_download(number: str, kind: str) -> Response:
    """Application ``number``'s receipt ``kind`` for this request's actor, through the one receipts use case."""
    file = notices.hand_out(
        get_session(),
        current_actor(),
        number,
        notices.receipt_kind(kind),
        certificates=get_clients().sealer,
        vault=current_app.extensions["shebao_vault"],
        backoffice=get_backoffice(),
        verify_url=verify_url(),
        today=today(),
    )
    return pdf_attachment(file.pdf, file.filename, cache="private, no-store")
