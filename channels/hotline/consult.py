"""咨询投诉 on the staff console (LD/T 01 5.5): the mailbox queue by department with overdue cases first, a case
with its steps (reply, ask for more, record the contact with a complainant, close with the outcome, publish a
general answer, promote a published answer into the knowledge base), the ledger of questions the smart replies
could not answer, grouped by similarity, each group turned into a knowledge-base entry, and the entries staff
added (5.5.4). Every step is audited."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import current_actor, current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.consult import knowledge, ledger, mailbox
from gateway.consult.knowledge import KnowledgeRefused
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
add_section("hotline_consult.knowledge_entries", "知识库新增条目", set(HANDLERS))


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
    db = get_session()
    row = mailbox.staff_case(db, case_id)
    return render_template(
        "hotline/consult/case.html",
        view=mailbox.view(_vault(), row),
        errors=list(errors),
        complaint=row.kind is CaseKind.COMPLAINT,
        may_publish=current_actor().holds(*PUBLISHERS),
        promoted=knowledge.promoted_entry(db, row) if row.published_at else None,
        promote_source=knowledge.default_mailbox_source(row),
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


@bp.post("/<int:case_id>/promote")
@gate(Operation.HANDLE, Audience.STAFF, roles=PUBLISHERS)
def promote(case_id: int):
    """A supervisor turns a published answer into a knowledge-base entry (LD/T 01 5.5.3, 5.5.4)."""
    db = get_session()
    try:
        knowledge.promote(db, current_actor(), case_id, request.form.get("source", ""), now=clock.now())
    except KnowledgeRefused as refused:
        db.rollback()
        return _case_page(case_id, [("promote-source", refused.message)], refused.status)
    return redirect(url_for("hotline_consult.case", case_id=case_id, done="promote"))


def _group_of(question_id: int) -> ledger.Group | None:
    return next((g for g in ledger.groups(get_session()) if question_id in g.ids), None)


def _entry_form(group: ledger.Group, question_id: int, form: dict, errors=(), status: int = 200):
    return render_template(
        "hotline/consult/entry_new.html",
        group=group,
        question_id=question_id,
        form=form,
        errors=list(errors),
    ), status


@bp.get("/questions/<int:question_id>/entry")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def new_entry(question_id: int):
    """The form that answers a ledger group with a new knowledge-base entry (LD/T 01 5.5.4)."""
    group = _group_of(question_id)
    if group is None:
        return redirect(url_for("hotline_consult.questions", gone=1))
    return _entry_form(group, question_id, {"title": group.example, "answer": "", "source": "", "link": ""})


@bp.post("/questions/<int:question_id>/entry")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def add_entry(question_id: int):
    db = get_session()
    ids = [int(v) for v in request.form.getlist("question") if v.isascii() and v.isdigit()][:1000]
    draft, errors = knowledge.check_entry(request.form)
    if draft is not None:
        try:
            row = knowledge.add_from_ledger(db, current_actor(), ids, draft, now=clock.now())
        except KnowledgeRefused as refused:
            db.rollback()
            errors = [("title", refused.message)]
        else:
            return redirect(url_for("hotline_consult.knowledge_entries", done=row.id))
    group = _group_of(question_id)
    if group is None:
        return redirect(url_for("hotline_consult.questions", gone=1))
    return _entry_form(group, question_id, request.form, errors, 400)


@bp.get("/knowledge")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def knowledge_entries():
    """The entries staff added, with source, author, time and status (LD/T 01 5.5.4)."""
    db = get_session()
    supervisor = current_actor().holds(*PUBLISHERS)
    return render_template(
        "hotline/consult/knowledge.html",
        entries=knowledge.entries(db),
        may_withdraw=supervisor,
        may_edit=True,
        unpromoted=knowledge.unpromoted_answers(db) if supervisor else [],
        errors=[],
    )


def _edit_form(entry, form, errors=(), status: int = 200):
    return render_template("hotline/consult/entry_edit.html", entry=entry, form=form, errors=list(errors)), status


@bp.get("/knowledge/<int:entry_id>/edit")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def edit_entry(entry_id: int):
    """Correct a published entry (those who add entries may correct them; every change is audited)."""
    db = get_session()
    try:
        row = knowledge.published_entry(db, entry_id)
    except KnowledgeRefused as refused:
        return redirect(url_for("hotline_consult.knowledge_entries", refused=refused.code))
    return _edit_form(row, {field: getattr(row, field) or "" for field, _ in knowledge.EDITABLE})


@bp.post("/knowledge/<int:entry_id>/edit")
@gate(Operation.HANDLE, Audience.STAFF, roles=HANDLERS)
def save_entry(entry_id: int):
    db = get_session()
    try:
        row = knowledge.published_entry(db, entry_id)
    except KnowledgeRefused as refused:
        return redirect(url_for("hotline_consult.knowledge_entries", refused=refused.code))
    draft, errors = knowledge.check_entry(request.form)
    if draft is not None:
        try:
            knowledge.edit(db, current_actor(), entry_id, draft, now=clock.now())
        except KnowledgeRefused as refused:
            db.rollback()
            row = knowledge.published_entry(db, entry_id)
            return _edit_form(row, request.form, [("title", refused.message)], refused.status)
        return redirect(url_for("hotline_consult.knowledge_entries", edited=entry_id, _anchor=f"kb-{entry_id}"))
    return _edit_form(row, request.form, errors, 400)


@bp.post("/knowledge/<int:entry_id>/withdraw")
@gate(Operation.HANDLE, Audience.STAFF, roles=PUBLISHERS)
def withdraw_entry(entry_id: int):
    db = get_session()
    try:
        knowledge.withdraw(db, current_actor(), entry_id, now=clock.now())
    except KnowledgeRefused as refused:
        db.rollback()
        return render_template(
            "hotline/consult/knowledge.html",
            entries=knowledge.entries(db),
            may_withdraw=True,
            may_edit=True,
            unpromoted=knowledge.unpromoted_answers(db),
            errors=[(f"withdraw-{entry_id}", refused.message)],
        ), refused.status
    return redirect(url_for("hotline_consult.knowledge_entries", withdrawn=entry_id))
