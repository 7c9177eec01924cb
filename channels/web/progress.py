"""办理进度 (LD/T 01 5.2.1): my applications, one application's progress, and lookup by number + ID number;
the sealed receipts of an application (LD/T 01 5.3.1 d, 5.4.2.2) to its applicant."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from channels.web.services_extra import transfer_of
from gateway import clock
from gateway.access.edge import current_identity
from gateway.access.needs import gate, public
from gateway.applications import notices as receipts
from gateway.applications import service, uploads, withdrawal
from gateway.applications.models import Application, ApplicationStatus
from gateway.catalog import Section, load_catalog
from gateway.catalog.model import Channel
from gateway.channel_policy import Operation
from gateway.downloads import receipt_download
from gateway.identity.models import Person
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = Blueprint("progress", __name__, url_prefix="/progress")

#: One message whichever half is wrong: the page must not tell whether a number exists.
NOT_FOUND = "没有找到与该申请编号和身份证号码相符的申请，请核对后重新输入。"
LOOKUP_LIMITS = "10 per minute; 60 per hour"
RECEIPT_LIMITS = "20 per minute; 200 per day"


def _vault():
    return current_app.extensions["shebao_vault"]


def _section_items():
    return [i for i in load_catalog().for_channel(Channel.WEB) if i.section is Section.PROGRESS]


def _mine(number: str) -> Application:
    """The logged-in person's application ``number``; anyone else's is "not found" (no hint it exists)."""
    app = service.by_number(get_session(), number)
    if app is None or app.person_id != current_identity().person_id:
        raise UserError("not_found", "没有找到该申请。", 404)
    return app


def _view(app: Application) -> service.ApplicationView:
    return service.view_of(app, _vault(), get_session().get(Person, app.person_id), clock.today())


def _detail(app: Application, *, public: bool, **extra):
    """The detail page; the receipt links only for the logged-in applicant (not the anonymous lookup)."""
    available = () if public else receipts.available(app)
    return render_template(
        "web/progress/detail.html",
        v=_view(app),
        public=public,
        receipts=available,
        transfer=transfer_of(app),  # transfer items: their 7.1.2 stages
        withdrawable=not public and withdrawal.withdrawable(app),
        **extra,
    )


@bp.get("/")
@public(Operation.QUERY)
def index():
    """The section page: my applications when logged in, and the lookup form for everyone."""
    who = current_identity()
    mine = service.my_applications(get_session(), who.person_id) if who else None
    return render_template(
        "web/progress/index.html",
        mine=mine,
        draft=ApplicationStatus.DRAFT,
        items=_section_items(),
        errors=[],
        values={},
        today=clock.today(),
    )


@bp.post("/lookup")
@public(Operation.QUERY)
@limiter.limit(LOOKUP_LIMITS)
def lookup():
    """Anonymous lookup by application number + the applicant's ID number (rate-limited)."""
    number = (request.form.get("number") or "").strip()
    id_number = (request.form.get("id_number") or "").strip()
    errors = []
    if not number:
        errors.append(("number", "请输入申请编号。"))
    if not id_number:
        errors.append(("id_number", "请输入申请人身份证号码。"))
    app = None if errors else service.lookup(get_session(), _vault(), number, id_number)
    if app is None:
        errors = errors or [("number", NOT_FOUND)]
        who = current_identity()
        return render_template(
            "web/progress/index.html",
            mine=service.my_applications(get_session(), who.person_id) if who else None,
            draft=ApplicationStatus.DRAFT,
            items=_section_items(),
            errors=errors,
            values={"number": number},
            today=clock.today(),
        ), 400
    return _detail(app, public=True)


@bp.get("/<number>")
@gate(Operation.QUERY, item="progress-applications")
def detail(number: str):
    """One application: number, item, materials, times, applicant, department, timeline, due date, result."""
    return _detail(_mine(number), public=False, new=request.args.get("new") == "1")


@bp.post("/<number>/supplement")
@gate(Operation.APPLY, item="progress-applications")
def supplement(number: str):
    """Answer the one-time notice: upload what was asked for and/or explain, without starting over."""
    app = _mine(number)
    item = load_catalog().get(app.item_id)
    files = []
    for n, material in enumerate(service.uploadable_materials(item)):
        for storage in request.files.getlist(f"file-{n}"):
            if storage.filename or storage.content_length:
                files.append(uploads.IncomingFile(material.name, storage.filename or "", storage.read()))
    try:
        service.supplement(
            get_session(),
            app,
            current_identity().person_id,
            note=request.form.get("note", ""),
            files=files,
            var_dir=current_app.config["SETTINGS"].var_dir,
            now=clock.now(),
            scanner=current_app.extensions.get("shebao_scanner") or uploads.NoScanner(),
        )
    except UserError as exc:
        get_session().rollback()
        app = _mine(number)
        return _detail(app, public=False, errors=[("file-0", exc.message)]), exc.status
    return redirect(url_for("progress.detail", number=app.number, supplemented=1))


@bp.get("/<number>/withdraw")
@gate(Operation.APPLY, item="progress-applications")
def withdraw_confirm(number: str):
    """The withdrawal's warning and confirmation (LD/T 01 5.3.2), for an application that may be withdrawn."""
    app = _mine(number)
    if not withdrawal.withdrawable(app):
        return redirect(url_for("progress.detail", number=app.number))
    return _withdraw_page(app, [], "")


def _withdraw_page(app: Application, errors: list[tuple[str, str]], reason: str):
    return render_template(
        "web/progress/withdraw.html", a=app, warning=withdrawal.WARNING, errors=errors, reason=reason
    )


@bp.post("/<number>/withdraw")
@gate(Operation.APPLY, item="progress-applications")
def withdraw(number: str):
    """Withdraw one's own application: the use case the API's ``withdrawApplication`` calls too."""
    app = _mine(number)
    reason = request.form.get("reason", "")
    try:
        withdrawal.withdraw(
            get_session(),
            app,
            current_identity().person_id,
            reason=reason,
            confirmed=request.form.get("confirm") == "yes",
            now=clock.now(),
        )
    except UserError as exc:
        get_session().rollback()
        app = _mine(number)
        if exc.status == 409:
            return _detail(app, public=False, errors=[("application-status", exc.message)]), exc.status
        field = "confirm" if exc.code == "risk_not_confirmed" else "reason"
        return _withdraw_page(app, [(field, exc.message)], reason), exc.status
    return redirect(url_for("progress.detail", number=app.number, withdrawn=1))


@bp.get("/<number>/files/<int:material_id>")
@gate(Operation.QUERY, item="progress-applications")
def material_file(number: str, material_id: int):
    """A file the person uploaded, to that person only (staff views come with staff accounts)."""
    app = _mine(number)
    material = next((m for m in app.materials if m.id == material_id), None)
    if material is None:
        raise UserError("not_found", "没有找到该文件。", 404)
    data = uploads.open_stored(material.stored_name, current_app.config["SETTINGS"].var_dir)
    resp = Response(data, mimetype=material.content_type)
    # Always a download, never rendered in our origin (a PDF viewer or image decoder is not our problem).
    resp.headers["Content-Disposition"] = f"attachment; filename=material-{material.id}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/<number>/receipts/<kind>")
@gate(Operation.DOWNLOAD, item="progress-applications")
@limiter.limit(RECEIPT_LIMITS)
def receipt(number: str, kind: str) -> Response:
    """The application's 受理通知单 / 结果告知单 / 参保缴费凭证: issued and sealed once, the same file after.
    Only the applicant gets it here; anyone else is told the application does not exist."""
    return receipt_download(number, kind)
