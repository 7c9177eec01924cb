"""证明打印 (LD/T 01 5.4.2): choose a document → preview → download the sealed PDF, three steps."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for

from channels.web.pages import ELDER_COOKIE
from esign import links, stored
from esign.codes import DocumentKind, display
from esign.documents import DocumentError
from esign.models import CodeStatus
from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.access.urls import verify_url
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel, Section
from gateway.certificates import service as certificates
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice, get_clients
from gateway.downloads import pdf_attachment
from gateway.errors import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

PERSON_KINDS = certificates.PERSON_KINDS
#: The session key of the last download's anti-forgery code, shown on the certificates page afterwards.
LAST_ISSUED = "certificates.last_issued"
HINTS = {
    DocumentKind.PERSON_PROOF: "参加了哪些险种、参保状态和累计缴费月数，办理入学、购房、落户等常用",
    DocumentKind.CONTRIBUTION_RECORD: "所选期间每月的缴费基数和缴费金额，需选择起止月份",
    DocumentKind.BENEFIT_PAYMENTS: "所选期间养老金、失业保险金等待遇的发放明细，需选择起止月份",
}


def _default_period() -> tuple[str, str]:
    today = clock.today()
    return f"{today.year - 1}-01", f"{today.year - 1}-12"


def _choose(errors: list[tuple[str, str]], status: int = 200, **values: str):
    start, end = _default_period()
    form = {"kind": "", "start": start, "end": end} | {k: v for k, v in values.items() if v}
    items = [i for i in load_catalog().for_channel(Channel.WEB) if i.section == Section.CERTIFICATES]
    issued = certificates.issued_to(get_session(), current_actor(), sealer=get_clients().sealer)
    return (
        render_template(
            "web/certificates.html",
            kinds=PERSON_KINDS,
            hints=HINTS,
            form=form,
            errors=errors,
            items=items,
            issued=issued,
            last=session.get(LAST_ISSUED),
        ),
        status,
    )


def _wanted(values: dict[str, str]) -> certificates.Wanted:
    return certificates.Wanted(values["kind"], values["start"] or None, values["end"] or None)


def _field_for(exc: DocumentError) -> str:
    return {"kind": "kind", "bad_period": "start"}.get(exc.code, "kind")


@bp.get("/")
@gate(Operation.DOWNLOAD, item="cert-insurance-proof")
def index():
    """Step 1: choose the document (and the period where it has one). In 长辈版, one thing first: the 个人参保证明
    most people come for, one big button; the other documents and the list one tap away (``?all=1``)."""
    if request.cookies.get(ELDER_COOKIE) == "1" and not request.args.get("all"):
        return render_template("web/elder/certificates.html", last=session.get(LAST_ISSUED))
    return _choose([])


@bp.get("/preview")
@gate(Operation.DOWNLOAD, item="cert-insurance-proof")
def preview():
    """Step 2: see what the document will say before it is sealed."""
    values = {k: request.args.get(k, "") for k in ("kind", "start", "end")}
    try:
        doc = certificates.document_for(get_backoffice(), current_actor(), _wanted(values))
    except DocumentError as exc:
        return _choose([(_field_for(exc), exc.message)], 400, **values)
    return render_template("web/certificates_preview.html", doc=doc, values=values)


@bp.post("/download")
@gate(Operation.DOWNLOAD, item="cert-insurance-proof")
@limiter.limit("20 per minute; 200 per day")
def download():
    """Step 3: seal, record the anti-forgery code, trace the download and hand over the PDF."""
    values = {k: request.form.get(k, "") for k in ("kind", "start", "end")}
    try:
        issued = certificates.issue(
            get_session(),
            current_actor(),
            _wanted(values),
            backoffice=get_backoffice(),
            sealer=get_clients().sealer,
            verify_url=verify_url(),
        )
    except DocumentError as exc:
        return _choose([(_field_for(exc), exc.message)], 400, **values)
    session[LAST_ISSUED] = {"code": display(issued.code), "title": issued.record.kind.label, "id": issued.record.id}
    return pdf_attachment(issued.pdf, issued.filename)


@bp.get("/withdraw/<int:document_id>")
@gate(Operation.DOWNLOAD, item="cert-insurance-proof")
def withdraw_confirm(document_id: int):
    """Withdrawing a certificate is risky (LD/T 01 5.3.2): say what it does and ask for the reason first."""
    record = certificates.withdrawable(get_session(), current_actor(), document_id, sealer=get_clients().sealer)
    return render_template("web/certificates_withdraw.html", record=record, errors=[], reason="")


@bp.post("/withdraw/<int:document_id>")
@gate(Operation.DOWNLOAD, item="cert-insurance-proof")
def withdraw(document_id: int):
    """Withdraw one certificate issued to the person; the other copies stay genuine."""
    actor, db, sealer = current_actor(), get_session(), get_clients().sealer
    reason = request.form.get("reason", "")
    try:
        certificates.withdraw(db, actor, document_id, reason, sealer=sealer)
    except UserError as exc:
        if exc.code not in ("reason_missing", "reason_too_long"):
            raise
        record = certificates.withdrawable(db, actor, document_id, sealer=sealer)
        page = render_template(
            "web/certificates_withdraw.html", record=record, errors=[("reason", exc.message)], reason=reason
        )
        return page, 400
    return redirect(url_for("certificates.index", done="withdrawn") + "#issued")


#: What the public link page says, by problem (the link is all the visitor has: no login, no detail).
LINK_PAGES = {
    links.LinkProblem.EXPIRED: (
        410,
        "下载链接已过期",
        "为保护您的个人信息，下载链接只在发送后的一段时间内有效。请登录网站在“证明打印”中重新下载，"
        "或拨打 12333 请工作人员重新发送。",
    ),
    links.LinkProblem.INVALID: (
        404,
        "下载链接无效",
        "该链接不完整或已被改动。请核对短信中的链接是否完整复制，或拨打 12333 请工作人员重新发送。",
    ),
}
WITHDRAWN = (410, "该证明已撤回", "该证明已由本人声明作废，无法再下载。如需证明，请登录网站在“证明打印”中重新下载。")
SUPERSEDED = (410, "该文件已被更正", "该证明已被更正后的新证明取代，请拨打 12333 请工作人员发送新的下载链接。")


def _link_page(status: int, title: str, text: str):
    return render_template("web/certificates_link.html", title=title, text=text), status


@bp.get("/d/<token>")
@public(Operation.DOWNLOAD)
@limiter.limit("10 per minute; 60 per hour")
def by_link(token: str):
    """A document sent as an expiring link (esign.links): the PDF while valid, no login needed."""
    settings = current_app.config["SETTINGS"]
    try:
        document_id = links.read_token(settings.secret_key, token)
    except links.LinkError as exc:
        return _link_page(*LINK_PAGES[exc.problem])
    kept = stored.kept_file(get_session(), document_id)
    if kept is None:
        return _link_page(*LINK_PAGES[links.LinkProblem.INVALID])
    if kept.status is CodeStatus.REVOKED_SUPERSEDED:
        return _link_page(*SUPERSEDED)
    if kept.status is CodeStatus.WITHDRAWN:
        return _link_page(*WITHDRAWN)
    current_app.logger.info("certificate downloaded by link document=%s", document_id)
    return Response(
        kept.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{kept.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@bp.get("/agency-ca.crl")
@public(Operation.QUERY)
@limiter.limit("60 per minute")
def agency_crl():
    """The local agency CA's certificate revocation list (RFC 5280), at the address its seals name."""
    crl = get_clients().sealer.crl()
    if crl is None:
        raise UserError("not_found", "本机构印章由外部证书机构签发，请向该机构查询证书吊销列表。", 404)
    return Response(crl, mimetype="application/pkix-crl", headers={"Cache-Control": "public, max-age=3600"})
