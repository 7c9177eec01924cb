"""Public verification of certificates (LD/T 01 5.4.2.4): by code or by the PDF itself; no login."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request

from esign.codes import display
from esign.service import CertificateService, Outcome
from gateway.access.needs import public
from gateway.certificates import verification
from gateway.certificates.verification import (
    LOOKUP_LIMIT,
    MAX_PDF,
    MISS_LIMIT,
    UPLOAD_LIMIT,
    is_miss,
)
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice, get_clients
from gateway.errors import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")


def _sealer() -> CertificateService:
    return get_clients().sealer


def _uploaded_pdf() -> bytes:
    upload = request.files.get("pdf")
    return verification.checked_upload(upload.read(MAX_PDF + 1) if upload is not None else request.get_data())


# ---------------------------------------------------------------------------------------------- pages


@bp.get("/")
@public(Operation.QUERY)
@limiter.limit(LOOKUP_LIMIT, exempt_when=lambda: not request.args.get("code"))
@limiter.limit(MISS_LIMIT, deduct_when=is_miss, exempt_when=lambda: not request.args.get("code"))
def index():
    """Type a code, or arrive from the QR code with ?code=…."""
    raw = request.args.get("code", "").strip()
    if not raw:
        return render_template("web/verify.html", code="", errors=[], lookup=None)
    try:
        lookup = verification.by_code(get_session(), _sealer(), raw)
    except UserError as exc:
        return render_template("web/verify.html", code=raw, errors=[("code", exc.message)], lookup=None), 400
    status = 404 if lookup.outcome is Outcome.NOT_FOUND else 200
    return (
        render_template(
            "web/verify.html",
            code=raw,
            shown_code=raw.upper(),
            errors=[],
            lookup=lookup,
            outcome_text=verification.outcome_text(lookup),
            document=verification.document_facts(
                lookup, backoffice=get_backoffice(), sealer=_sealer(), session=get_session()
            ),
        ),
        status,
    )


@bp.post("/pdf")
@public(Operation.QUERY)
@limiter.limit(UPLOAD_LIMIT)
def upload():
    """Check the sealed PDF itself: seal, integrity, and its fingerprint against the issued codes."""
    try:
        data = _uploaded_pdf()
    except UserError as exc:
        return render_template("web/verify.html", code="", errors=[("pdf", exc.message)], lookup=None), exc.status
    try:
        check, lookup = verification.by_pdf(
            get_session(),
            _sealer(),
            data,
            client=request.remote_addr or "-",
            work_dir=current_app.config["SETTINGS"].var_dir,
            turns=verification.machine_turns(current_app.config["SETTINGS"].workers),
        )
    except UserError as exc:
        return render_template("web/verify.html", code="", errors=[("pdf", exc.message)], lookup=None), exc.status
    return render_template(
        "web/verify_pdf.html",
        check=check,
        lookup=lookup,
        outcome_text=verification.outcome_text(lookup) if lookup else "",
        document=verification.document_facts(
            lookup, backoffice=get_backoffice(), sealer=_sealer(), session=get_session()
        )
        if lookup
        else None,
    )


def init_app(app: Flask) -> None:
    from gateway.security.csrf import csrf

    # Anyone may check a document: no session, so no CSRF token; nothing here changes state.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.add_template_filter(display, "code_display")
