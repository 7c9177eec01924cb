"""网上申请的后台办理 (GB/T 31621 5.2.1): a department's work queue, one application with its materials and
timeline, and the staff steps — accept, the one-time notice (6.2.1.3), approve, reject, archive.

Graded review (GB/T 31621 13.3.4, 岗位互斥): a high-risk item's second review is given only by a SUPERVISOR, and
never by the account that gave the first. Every step is written to the staff audit trail in the same transaction
as the status change (LD/T 01 6.3.2): the audit entry is added first, then the service commits both together.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import audit_here, current_staff
from gateway.access.needs import Audience, gate
from gateway.applications import notices as receipts
from gateway.applications import service, uploads
from gateway.applications.models import Application, ApplicationStatus
from gateway.catalog import load_catalog
from gateway.channel_policy import Operation
from gateway.downloads import receipt_download
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.staff.models import AuditAction, StaffRole

bp = Blueprint("hotline_applications", __name__, url_prefix="/hotline/applications")
log = logging.getLogger(__name__)

HANDLERS = (StaffRole.REVIEWER, StaffRole.SUPERVISOR)
TEXT_MAX = service.NOTE_MAX  # a reason or result the person reads: as long as their own note may be
AUDIT_MAX = 300  # AuditEntry.detail

NOT_HERE = "没有找到该申请，或该申请不由本科室办理。"
NOT_SUPERVISOR = "该申请为高风险事项，已初审通过，须由复核主管岗位的另一名工作人员复核；您没有复核岗位，不能办理。"
SAME_ACCOUNT = "您已完成该申请的初审。初审和复核不能由同一人完成（岗位互斥），请由另一名复核主管复核。"

#: What the page says after each step (a fixed list: the query string never carries text to the page).
DONE = {
    "accept": "已受理。",
    "supplement": "一次性告知已发送给申请人。",
    "first": "初审通过，已转复核主管复核。",
    "approve": "已作出准予办理决定，结果已告知申请人。",
    "reject": "已作出不予办理决定，理由已告知申请人。",
    "archive": "已归档。",
}

add_section("hotline_applications.queue", "网上申请待办", {StaffRole.REVIEWER, StaffRole.SUPERVISOR})


def _as_handler() -> service.Staff:
    """The logged-in account as the service's staff member: the username keeps the second-review rule honest."""
    staff = current_staff()
    return service.Staff(staff_id=staff.username, name=staff.name, department=staff.department)


def _ours(number: str) -> Application:
    """Application ``number`` of the logged-in staff member's department; any other is "not found"."""
    app = service.by_number(get_session(), number)
    if app is None or app.department != current_staff().department:
        raise UserError("not_found", NOT_HERE, 404)
    return app


def _clip(text: str, limit: int = AUDIT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _second_review_refusal(app: Application) -> tuple[str, int] | None:
    """Why the logged-in staff member may not decide an application awaiting second review, if they may not."""
    if app.status is not ApplicationStatus.FIRST_APPROVED:
        return None
    staff = current_staff()
    if StaffRole.SUPERVISOR not in staff.roles:
        return NOT_SUPERVISOR, 403
    if staff.username == app.first_reviewer:
        return SAME_ACCOUNT, 409
    return None


def _detail_page(app: Application, *, errors: list[tuple[str, str]] | None = None, values: dict | None = None):
    session = get_session()
    vault = current_app.extensions["shebao_vault"]
    person = session.get(Person, app.person_id)
    view = service.view_of(app, vault, person, clock.today())
    return render_template(
        "hotline/applications/detail.html",
        v=view,
        applicant_name=identity_of(vault, person).name,
        sent_notice=service.notice(app),
        errors=errors or [],
        values=values or {},
        done=DONE.get(request.args.get("done", "")),
        refusal=_second_review_refusal(app),
        statuses=ApplicationStatus,
    )


def _step(number: str, action: str, detail: str, run, *, field: str, values: dict | None = None, decides=False):
    """Audit ``detail`` and run the service step in one transaction; a refusal goes back to the page.
    ``decides``: the step decides the application, so an item awaiting second review needs a second reviewer."""
    app = _ours(number)
    refusal = _second_review_refusal(app) if decides else None
    if refusal is not None:
        log.info("second review refused", extra={"fields": {"application": app.id, "staff": current_staff().id}})
        return _detail_page(app, errors=[(field, refusal[0])], values=values), refusal[1]
    session = get_session()
    audit_here(AuditAction.APPLICATION_STEP, person_id=app.person_id, detail=_clip(f"{app.number} {detail}"))
    try:
        run(session, app, _as_handler(), clock.now())
    except UserError as exc:
        session.rollback()  # the audit entry goes with the refused step
        return _detail_page(_ours(number), errors=[(field, exc.message)], values=values), exc.status
    return redirect(url_for(".detail", number=app.number, done=action))


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def queue():
    """The department's open applications, overdue first (then nearest due); filter by status."""
    staff = current_staff()
    today = clock.today()
    entries = service.work_queue(get_session(), staff.department, today)
    # work_queue sorts by due date, which already puts overdue ones first; say it outright anyway.
    entries.sort(key=lambda e: not e.overdue)
    counts = {s: sum(1 for e in entries if e.application.status is s) for s in service.OPEN_FOR_STAFF}
    wanted = request.args.get("status", "")
    chosen = next((s for s in service.OPEN_FOR_STAFF if s.value == wanted), None)
    shown = [e for e in entries if chosen is None or e.application.status is chosen]
    catalog = load_catalog()
    risky = {e.application.item_id for e in entries if catalog.get(e.application.item_id).risky}
    return render_template(
        "hotline/applications/queue.html",
        entries=shown,
        total=len(entries),
        overdue=sum(1 for e in entries if e.overdue),
        counts=counts,
        chosen=chosen,
        risky=risky,
    )


@bp.get("/<number>")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def detail(number: str):
    """One application: applicant (ID masked), answers, materials, timeline, due date, and the step forms."""
    app = _ours(number)
    audit_here(AuditAction.VIEWED, person_id=app.person_id, detail=f"查看网上申请 {app.number}")
    return _detail_page(app)


@bp.get("/<number>/files/<int:material_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def material_file(number: str, material_id: int):
    """An uploaded file, to staff of the handling department only; always a download, never rendered here."""
    app = _ours(number)
    material = next((m for m in app.materials if m.id == material_id), None)
    if material is None:
        raise UserError("not_found", "没有找到该文件。", 404)
    data = uploads.open_stored(material.stored_name, current_app.config["SETTINGS"].var_dir)
    audit_here(
        AuditAction.VIEWED,
        person_id=app.person_id,
        detail=_clip(f"{app.number} 下载申请材料“{material.material}”（{material.filename}）"),
    )
    resp = Response(data, mimetype=material.content_type)
    resp.headers["Content-Disposition"] = f"attachment; filename=material-{material.id}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/<number>/accept")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def accept(number: str):
    def run(session, app, staff, now):
        service.accept(session, app, staff, now=now)

    return _step(number, "accept", "受理", run, field="accept")


@bp.post("/<number>/supplement")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def request_supplement(number: str):
    """The one-time notice: every problem, one per line, sent together (GB/T 31621 6.2.1.3)."""
    raw = request.form.get("problems", "")
    problems = [" ".join(line.split()) for line in raw.splitlines()]
    problems = [p for p in problems if p]
    values = {"problems": raw}
    errors = []
    if not problems:
        errors.append(("problems", "请填写需要申请人补正的问题，每行一个，一次写全。"))
    for n, p in enumerate(problems, 1):
        if len(p) > service.PROBLEM_MAX:
            errors.append(("problems", f"第{n}个问题有{len(p)}个字，每个问题最多{service.PROBLEM_MAX}个字。"))
    if errors:
        return _detail_page(_ours(number), errors=errors, values=values), 400

    def run(session, app, staff, now):
        service.request_supplement(session, app, staff, problems, now=now)

    detail = f"一次性告知补正（{len(problems)}个问题）：" + "；".join(problems)
    return _step(number, "supplement", detail, run, field="problems", values=values)


@bp.post("/<number>/approve")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def approve(number: str):
    """Approve; a high-risk item goes to a second reviewer first (GB/T 31621 13.3.4)."""
    text = " ".join(request.form.get("text", "").split())
    values = {"text": text}
    if len(text) > TEXT_MAX:
        return _detail_page(_ours(number), errors=[("text", f"办理结果最多{TEXT_MAX}个字。")], values=values), 400
    app = _ours(number)
    first = load_catalog().get(app.item_id).risky and app.status is not ApplicationStatus.FIRST_APPROVED
    if first:
        action, detail = "first", "初审通过，转复核"
    else:
        review = "复核通过，" if app.status is ApplicationStatus.FIRST_APPROVED else ""
        action, detail = "approve", f"{review}准予办理：{text or '准予办理。'}"

    def run(session, app, staff, now):
        service.approve(session, app, staff, now=now, text=text)

    return _step(number, action, detail, run, field="text", values=values, decides=True)


@bp.post("/<number>/reject")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def reject(number: str):
    """Reject with a reason the applicant reads (and may appeal)."""
    reason = " ".join(request.form.get("reason", "").split())
    values = {"reason": reason}
    if not reason:
        return _detail_page(_ours(number), errors=[("reason", "不予办理必须写明理由。")], values=values), 400
    if len(reason) > TEXT_MAX:
        return _detail_page(_ours(number), errors=[("reason", f"理由最多{TEXT_MAX}个字。")], values=values), 400

    def run(session, app, staff, now):
        # A transfer's voucher issued at acceptance no longer stands: revoked in the refusal's own transaction.
        receipts.withdraw_voucher(session, app)
        service.reject(session, app, staff, reason, now=now)

    return _step(number, "reject", f"不予办理：{reason}", run, field="reason", values=values, decides=True)


@bp.post("/<number>/archive")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HANDLERS,))
def archive(number: str):
    def run(session, app, staff, now):
        service.archive(session, app, staff, now=now)

    return _step(number, "archive", "归档", run, field="archive")


@bp.get("/<number>/receipts/<kind>")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
@limiter.limit("20 per minute; 200 per day")
def receipt(number: str, kind: str) -> Response:
    """A receipt of an application the staff member's department handles (the same use case as the applicant's
    download; audited, and traced to the applicant's operation log)."""
    return receipt_download(number, kind)
