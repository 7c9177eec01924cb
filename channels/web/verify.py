"""Public verification of certificates (LD/T 01 5.4.2.4): by code or by the PDF itself; no login."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, render_template, request

from esign.codes import CodeFormatError, display
from esign.pki import SealError
from esign.service import CertificateService, Lookup, Outcome, service_for
from esign.validate import PdfCheck, PdfVerdict, check_pdf
from gateway.db import get_session
from gateway.errors import UserError
from gateway.security.limits import limiter

bp = Blueprint("verify", __name__, url_prefix="/verify")
api_bp = Blueprint("verify_api", __name__, url_prefix="/api/v1/verify")

FORMAT_MESSAGE = "防伪码由 18 位字母和数字组成（可带短横线），请对照证明核对后重新输入。"
OUTCOME_TEXT = {
    Outcome.GENUINE: "真实有效",
    Outcome.EXPIRED: "证明真实，但已超过有效期",
    Outcome.REVOKED: "证明已作废（已被新出具的证明替代）",
    Outcome.NOT_FOUND: "未查到该防伪码",
}
# Per address: a steady allowance for honest checks, and a much smaller one for misses, so a burst of guessed
# codes from one address is slowed down without touching anyone else.
LOOKUP_LIMIT = "60 per minute; 600 per hour"
MISS_LIMIT = "10 per minute; 50 per hour"
UPLOAD_LIMIT = "10 per minute; 100 per hour"
MAX_PDF = 10 * 1024 * 1024


def _is_miss(response) -> bool:
    return response.status_code in (400, 404)


def _service() -> CertificateService:
    return service_for(current_app.config["SETTINGS"])


def _document_facts(lookup: Lookup) -> dict | None:
    record = lookup.record
    if record is None or lookup.outcome is Outcome.NOT_FOUND:
        return None
    return {
        "type": record.kind.value,
        "type_label": record.kind.label,
        "issuer": record.issuer,
        "issued_on": record.issued_on.isoformat(),
        "valid_until": record.expires_on.isoformat(),
        "holder": record.holder_masked,
        "facts": [{"label": k, "value": v} for k, v in lookup.facts],
        "fingerprint": record.fingerprint,
    }


def _lookup(raw: str) -> Lookup:
    try:
        return _service().lookup(get_session(), raw)
    except CodeFormatError:
        raise UserError("bad_code", FORMAT_MESSAGE, 400) from None


def _check_upload(data: bytes) -> tuple[PdfCheck, Lookup | None]:
    service = _service()
    try:
        roots = service.trust_roots()
    except SealError as exc:
        current_app.logger.error("no seal to verify against: %s", exc)
        raise UserError("seal_unavailable", "证明核验服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    check = check_pdf(data, roots, service.tsa_roots())
    if check.verdict in (PdfVerdict.SEALED, PdfVerdict.MODIFIED):
        return check, service.by_fingerprint(get_session(), check.fingerprint)
    return check, None


def _uploaded_pdf() -> bytes:
    upload = request.files.get("pdf")
    data = upload.read(MAX_PDF + 1) if upload is not None else request.get_data()
    if not data:
        raise UserError("no_file", "请选择要核验的 PDF 证明文件。", 400)
    if len(data) > MAX_PDF:
        raise UserError("too_large", "文件过大：证明文件不超过 10 MB。", 413)
    return data


# ---------------------------------------------------------------------------------------------- pages


@bp.get("/")
@limiter.limit(LOOKUP_LIMIT, exempt_when=lambda: not request.args.get("code"))
@limiter.limit(MISS_LIMIT, deduct_when=_is_miss, exempt_when=lambda: not request.args.get("code"))
def index():
    """Type a code, or arrive from the QR code with ?code=…."""
    raw = request.args.get("code", "").strip()
    if not raw:
        return render_template("web/verify.html", code="", errors=[], lookup=None)
    try:
        lookup = _lookup(raw)
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
            outcome_text=OUTCOME_TEXT[lookup.outcome],
            document=_document_facts(lookup),
        ),
        status,
    )


@bp.post("/pdf")
@limiter.limit(UPLOAD_LIMIT)
def upload():
    """Check the sealed PDF itself: seal, integrity, and its fingerprint against the issued codes."""
    try:
        data = _uploaded_pdf()
    except UserError as exc:
        return render_template("web/verify.html", code="", errors=[("pdf", exc.message)], lookup=None), exc.status
    check, lookup = _check_upload(data)
    return render_template(
        "web/verify_pdf.html",
        check=check,
        lookup=lookup,
        outcome_text=OUTCOME_TEXT[lookup.outcome] if lookup else "",
        document=_document_facts(lookup) if lookup else None,
    )


# ---------------------------------------------------------------------------------------------- JSON


@api_bp.get("")
@limiter.limit(LOOKUP_LIMIT)
@limiter.limit(MISS_LIMIT, deduct_when=_is_miss)
def api_lookup():
    raw = request.args.get("code", "").strip()
    if not raw:
        raise UserError("no_code", "请提供防伪码（参数 code）。", 400)
    lookup = _lookup(raw)
    body = {"result": lookup.outcome.value, "message": OUTCOME_TEXT[lookup.outcome]}
    if lookup.outcome is not Outcome.NOT_FOUND:
        body["document"] = _document_facts(lookup)
    return jsonify(body), 404 if lookup.outcome is Outcome.NOT_FOUND else 200


@api_bp.post("/pdf")
@limiter.limit(UPLOAD_LIMIT)
def api_pdf():
    check, lookup = _check_upload(_uploaded_pdf())
    return jsonify(
        {
            "seal": check.verdict.value,
            "message": check.message,
            "fingerprint": check.fingerprint,
            "signed_at": check.signed_at or None,
            "timestamp_trusted": check.timestamp_trusted,
            "result": lookup.outcome.value if lookup else None,
            "document": _document_facts(lookup) if lookup else None,
        }
    )


def init_app(app: Flask) -> None:
    from gateway import csrf

    # Anyone may check a document: no session, so no CSRF token; nothing here changes state.
    csrf.exempt(bp)
    csrf.exempt(api_bp)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.add_template_filter(display, "code_display")
