"""证明打印 (LD/T 01 5.4.2): choose a document → preview → download the sealed PDF, three steps."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request

from channels.web.auth import current_identity, login_required
from esign import documents
from esign.codes import DocumentKind
from esign.documents import Document, DocumentError
from esign.fonts import FontMissing
from esign.pki import SealError
from esign.service import service_for
from esign.signer import SealingError
from gateway.backoffice import get_backoffice
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel, Section
from gateway.db import get_session
from gateway.errors import UserError
from gateway.security.limits import limiter

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

#: What a person can download on the web; the unit proof needs a unit login (a later issue).
PERSON_KINDS = (DocumentKind.PERSON_PROOF, DocumentKind.CONTRIBUTION_RECORD, DocumentKind.BENEFIT_PAYMENTS)
PERIOD_KINDS = frozenset({DocumentKind.CONTRIBUTION_RECORD, DocumentKind.BENEFIT_PAYMENTS})
HINTS = {
    DocumentKind.PERSON_PROOF: "参加了哪些险种、参保状态和累计缴费月数，办理入学、购房、落户等常用",
    DocumentKind.CONTRIBUTION_RECORD: "所选期间每月的缴费基数和缴费金额，需选择起止月份",
    DocumentKind.BENEFIT_PAYMENTS: "所选期间养老金、失业保险金等待遇的发放明细，需选择起止月份",
}


def _default_period() -> tuple[str, str]:
    today = date.today()
    return f"{today.year - 1}-01", f"{today.year - 1}-12"


def _choose(errors: list[tuple[str, str]], status: int = 200, **values: str):
    start, end = _default_period()
    form = {"kind": "", "start": start, "end": end} | {k: v for k, v in values.items() if v}
    items = [i for i in load_catalog().for_channel(Channel.WEB) if i.section == Section.CERTIFICATES]
    return (
        render_template(
            "web/certificates.html", kinds=PERSON_KINDS, hints=HINTS, form=form, errors=errors, items=items
        ),
        status,
    )


def _document(kind_raw: str, start_raw: str, end_raw: str) -> Document:
    """Build the chosen document for the logged-in person; DocumentError for bad choices."""
    try:
        kind = DocumentKind(kind_raw)
    except ValueError:
        raise DocumentError("kind", "请选择要打印的证明。") from None
    if kind not in PERSON_KINDS:
        raise DocumentError("kind", "请选择要打印的证明。")
    who = current_identity()
    bo = get_backoffice()
    if kind is DocumentKind.PERSON_PROOF:
        return documents.person_proof(bo, who.id_number)
    start, end = documents.parse_period(start_raw), documents.parse_period(end_raw)
    if kind is DocumentKind.CONTRIBUTION_RECORD:
        return documents.contribution_record(bo, who.id_number, start, end)
    return documents.benefit_payments(bo, who.id_number, start, end)


def _field_for(exc: DocumentError) -> str:
    return {"kind": "kind", "bad_period": "start"}.get(exc.code, "kind")


@bp.get("/")
@login_required
def index():
    """Step 1: choose the document (and the period where it has one)."""
    return _choose([])


@bp.get("/preview")
@login_required
def preview():
    """Step 2: see what the document will say before it is sealed."""
    values = {k: request.args.get(k, "") for k in ("kind", "start", "end")}
    try:
        doc = _document(values["kind"], values["start"], values["end"])
    except DocumentError as exc:
        return _choose([(_field_for(exc), exc.message)], 400, **values)
    return render_template("web/certificates_preview.html", doc=doc, values=values)


@bp.post("/download")
@login_required
@limiter.limit("20 per minute; 200 per day")
def download():
    """Step 3: seal, record the anti-forgery code and hand over the PDF."""
    values = {k: request.form.get(k, "") for k in ("kind", "start", "end")}
    try:
        doc = _document(values["kind"], values["start"], values["end"])
    except DocumentError as exc:
        return _choose([(_field_for(exc), exc.message)], 400, **values)
    settings = current_app.config["SETTINGS"]
    base = (settings.public_url or request.url_root).rstrip("/")
    try:
        issued = service_for(settings).issue(get_session(), doc, f"{base}/verify/")
    except (SealError, SealingError, FontMissing) as exc:
        current_app.logger.error("certificate not sealed: %s", exc)
        raise UserError("seal_unavailable", "电子印章服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    return Response(
        issued.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.filename}"',
            "Cache-Control": "no-store",
        },
    )
