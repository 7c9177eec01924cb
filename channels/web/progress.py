"""办理进度 (LD/T 01 5.2.1): my applications, one application's progress, and lookup by number + ID number;
the sealed receipts of an application (LD/T 01 5.3.1 d, 5.4.2.2) to its applicant."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from channels.web.auth import current_identity, login_required
from channels.web.services_extra import transfer_of
from esign import receipts
from esign.codes import DocumentKind
from esign.documents import DocumentError
from esign.fonts import FontMissing
from esign.pki import SealError
from esign.service import service_for
from esign.signer import SealingError
from gateway.applications import service, uploads
from gateway.applications.models import Application, ApplicationStatus
from gateway.backoffice import get_backoffice
from gateway.catalog import Section, load_catalog
from gateway.catalog.model import Channel
from gateway.clock import local_now
from gateway.db import get_session
from gateway.identity.models import EventKind, Person
from gateway.identity.service import record_event
from gateway.problems import UserError
from gateway.security.limits import limiter
from gateway.staff.current import audit_here, current_staff
from gateway.staff.models import AuditAction, StaffRole

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
    return service.view_of(app, _vault(), get_session().get(Person, app.person_id), local_now().date())


def _detail(app: Application, *, public: bool, **extra):
    """The detail page; the receipt links only for the logged-in applicant (not the anonymous lookup)."""
    available = () if public else receipts.available(app)
    return render_template(
        "web/progress/detail.html",
        v=_view(app),
        public=public,
        receipts=available,
        transfer=transfer_of(app),  # transfer items: their 7.1.2 stages
        **extra,
    )


@bp.get("/")
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
        today=local_now().date(),
    )


@bp.post("/lookup")
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
            today=local_now().date(),
        ), 400
    return _detail(app, public=True)


@bp.get("/<number>")
@login_required
def detail(number: str):
    """One application: number, item, materials, times, applicant, department, timeline, due date, result."""
    return _detail(_mine(number), public=False, new=request.args.get("new") == "1")


@bp.post("/<number>/supplement")
@login_required
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
            now=local_now(),
            scanner=current_app.extensions.get("shebao_scanner") or uploads.NoScanner(),
        )
    except UserError as exc:
        get_session().rollback()
        app = _mine(number)
        return _detail(app, public=False, errors=[("file-0", exc.message)]), exc.status
    return redirect(url_for("progress.detail", number=app.number, supplemented=1))


@bp.get("/<number>/files/<int:material_id>")
@login_required
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


def _staff_actor(app: Application) -> str | None:
    """A reviewer or supervisor of the department that handles ``app``, logged in to the staff console."""
    staff = current_staff()
    if staff is None or not staff.roles & {StaffRole.REVIEWER, StaffRole.SUPERVISOR}:
        return None
    if staff.department != service.department_for(load_catalog().get(app.item_id)):
        return None
    return f"staff:{staff.username}"


def _receipt_kind(raw: str) -> DocumentKind:
    try:
        kind = DocumentKind(raw)
    except ValueError:
        kind = None
    if kind not in receipts.RECEIPT_KINDS:
        raise UserError("not_found", "没有这种办理凭证。", 404)
    return kind


def _send_receipt(app: Application, kind: DocumentKind, actor: str) -> Response:
    settings = current_app.config["SETTINGS"]
    session = get_session()
    base = (settings.public_url or request.url_root).rstrip("/")
    try:
        file, fresh = receipts.receipt(
            session,
            service_for(settings),
            app,
            kind,
            vault=_vault(),
            person=session.get(Person, app.person_id),
            backoffice=get_backoffice(),
            verify_url=f"{base}/verify/",
            today=local_now().date(),
        )
    except DocumentError as exc:
        session.rollback()
        raise UserError(exc.code, exc.message, 404 if exc.code == "no_records" else 409) from exc
    except (SealError, SealingError, FontMissing) as exc:
        session.rollback()
        current_app.logger.error("receipt not sealed: %s", exc)
        raise UserError("seal_unavailable", "电子印章服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    # LD/T 01 6.3.2: every issue and hand-out is traced, to the applicant's own operation log.
    by_staff = "" if actor == "applicant" else "，工作人员"
    record_event(
        session,
        EventKind.OPERATION,
        person_id=app.person_id,
        channel="web",
        ip=request.remote_addr,
        detail=f"{'出具' if fresh else '下载'}{kind.label}（{app.number}）{by_staff}",
    )
    session.commit()
    return Response(
        file.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@login_required
def _applicant_receipt(number: str, kind: DocumentKind) -> Response:
    return _send_receipt(_mine(number), kind, "applicant")


@bp.get("/<number>/receipts/<kind>")
@limiter.limit(RECEIPT_LIMITS)
def receipt(number: str, kind: str) -> Response:
    """The application's 受理通知单 / 结果告知单 / 参保缴费凭证: issued and sealed once, the same file after.
    Only the applicant (or staff) gets it; anyone else is told the application does not exist."""
    chosen = _receipt_kind(kind)
    app = service.by_number(get_session(), number) if current_staff() is not None else None
    actor = _staff_actor(app) if app is not None else None
    if actor is None:
        return _applicant_receipt(number, chosen)
    audit_here(AuditAction.VIEWED, person_id=app.person_id, detail=f"下载 {app.number} 的{chosen.label}")
    return _send_receipt(app, chosen, actor)
