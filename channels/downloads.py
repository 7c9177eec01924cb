"""How every channel hands over a sealed PDF: always as an attachment, never cached, never sniffed."""

from __future__ import annotations

from flask import Response


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
