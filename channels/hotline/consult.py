"""咨询投诉 on the staff console (LD/T 01 5.5): the mailbox queue by department with overdue cases first, a case
with its steps (reply, ask for more, record the contact with a complainant, close with the outcome, publish a
general answer), and the ledger of questions the smart replies could not answer (5.5.4). Every step is audited."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import current_actor, current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.consult import ledger, mailbox
from gateway.consult.mailbox import MailboxRefused
from gateway.consult.models import CaseKind
from gateway.request_db import get_session
from gateway.staff.models import StaffRole

bp = Blueprint("hotline_consult", __name__, url_prefix="/hotline/consult")

HANDLERS = (StaffRole.AGENT, StaffRole.SUPERVISOR)
#: Publishing speaks for the agency: a supervisor's call (LD/T 01 5.5.3).
PUBLISHERS = (StaffRole.SUPERVISOR,)

add_section("hotline_consult.queue", "咨询投诉留言", set(HANDLERS))
add_section("hotline_consult.questions", "问题台账（未能回答的问题）", set(HANDLERS))


def _vault():
    return current_app.extensions["shebao_vault"]


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def queue():
    departments = mailbox.departments()
    chosen = request.args.get("department", current_staff().department)
    department = chosen if chosen in departments else None
    items = mailbox.queue(get_session(), department)
    return render_template(
        "hotline/consult/queue.html",
        items=items,
        departments=departments,
        department=department,
        today=clock.today(),
    )


def _case_page(case_id: int, errors=(), status: int = 200):
    row = mailbox.staff_case(get_session(), case_id)
    return render_template(
        "hotline/consult/case.html",
        view=mailbox.view(_vault(), row),
        errors=list(errors),
        complaint=row.kind is CaseKind.COMPLAINT,
        may_publish=current_actor().holds(*PUBLISHERS),
    ), status


@bp.get("/<int:case_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def case(case_id: int):
    return _case_page(case_id)


_STEPS = {
    "reply": mailbox.reply,
    "request-info": mailbox.request_info,
    "contact": mailbox.record_contact,
    "close": mailbox.close,
}


@bp.post("/<int:case_id>/<any(reply, 'request-info', contact, close):step>")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def act(case_id: int, step: str):
    db = get_session()
    try:
        _STEPS[step](db, _vault(), current_actor(), case_id, request.form.get("text", ""), now=clock.now())
    except MailboxRefused as refused:
        db.rollback()
        return _case_page(case_id, [(f"text-{step}", refused.message)], refused.status)
    return redirect(url_for("hotline_consult.case", case_id=case_id, done=step))


@bp.post("/<int:case_id>/publish")
@gate(Operation.HANDLE, Audience.STAFF, roles=PUBLISHERS)
def publish(case_id: int):
    db = get_session()
    try:
        mailbox.publish(
            db,
            _vault(),
            current_actor(),
            case_id,
            request.form.get("question", ""),
            request.form.get("answer", ""),
            now=clock.now(),
        )
    except MailboxRefused as refused:
        db.rollback()
        return _case_page(case_id, [("question", refused.message)], refused.status)
    return redirect(url_for("hotline_consult.case", case_id=case_id, done="publish"))


@bp.get("/questions")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def questions():
    """The ledger grouped by similar questions, most asked first (LD/T 01 5.5.4)."""
    return render_template("hotline/consult/questions.html", groups=ledger.groups(get_session()))
