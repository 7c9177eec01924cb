"""Staff keep the public information (LD/T 01 5.6.1: policy documents) and follow up bad ratings (LD/T 01 7:
evaluation results are used to improve). Every change is audited by the service it calls."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import audit_here, current_actor
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.public_info import credit, evaluation, policies
from gateway.public_info.models import Rating
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole

bp = Blueprint("hotline_info", __name__, url_prefix="/hotline/info")
add_section("hotline_info.policy_list", "政策文件公开", {StaffRole.ADMIN})
add_section("hotline_info.follow_ups", "差评回访", {StaffRole.SUPERVISOR, StaffRole.ADMIN})
add_section("hotline_info.credit_page", "严重失信名单与信用修复", {StaffRole.SUPERVISOR, StaffRole.ADMIN})

POLICY_ROLES = (StaffRole.ADMIN,)
FOLLOW_UP_ROLES = (StaffRole.SUPERVISOR, StaffRole.ADMIN)
CREDIT_ROLES = (StaffRole.SUPERVISOR, StaffRole.ADMIN)
_CREDIT_FIELDS = (
    "party",
    "name",
    "code",
    "behaviour",
    "legal_basis",
    "document_number",
    "document_date",
    "publish_until",
)
_POLICY_FIELDS = ("title", "issuer", "number", "published_on", "effective_on", "summary")


def _policy_page(*, errors=(), form=None, status=200):
    docs = policies.listing(get_session())
    return render_template(
        "hotline/info/policies.html", docs=docs, errors=list(errors), form=form or {}, by_id={d.id: d for d in docs}
    ), status


@bp.get("/policies")
@gate(Operation.HANDLE, Audience.STAFF, roles=POLICY_ROLES)
def policy_list():
    return _policy_page()


@bp.post("/policies")
@gate(Operation.HANDLE, Audience.STAFF, roles=POLICY_ROLES)
def add_policy():
    """Publish a policy document; every problem is listed at once at the top of the form."""
    value = policies.PolicyInput(**{f: (request.form.get(f) or "") for f in _POLICY_FIELDS})
    errors, _published, _effective = policies.check(value)
    if errors:
        return _policy_page(errors=errors, form=request.form, status=400)
    doc = policies.add(get_session(), current_actor(), value)
    return redirect(url_for(".policy_list", done="added") + f"#policy-{doc.id}")


@bp.post("/policies/<int:doc_id>/replace")
@gate(Operation.HANDLE, Audience.STAFF, roles=POLICY_ROLES)
def replace_policy(doc_id: int):
    """Mark a document replaced by a newer one in force."""
    new_id = request.form.get("replaced_by", "")
    if not (new_id.isascii() and new_id.isdigit()):
        return _policy_page(errors=[(f"replaced-by-{doc_id}", "请选择替代它的文件。")], status=400)
    session = get_session()
    try:
        policies.replace(session, current_actor(), doc_id, int(new_id))
    except policies.PolicyRefused as refused:
        session.rollback()
        return _policy_page(errors=[(f"replaced-by-{doc_id}", refused.message)], status=refused.status)
    return redirect(url_for(".policy_list", done="replaced"))


def _edit_page(doc, form, *, errors=(), status=200):
    return render_template("hotline/info/policy_edit.html", doc=doc, form=form, errors=list(errors)), status


@bp.get("/policies/<int:doc_id>/edit")
@gate(Operation.HANDLE, Audience.STAFF, roles=POLICY_ROLES)
def edit_policy_form(doc_id: int):
    """The document's values, ready to correct."""
    doc = policies.get(get_session(), doc_id)
    return _edit_page(doc, asdict(policies.as_input(doc)))


@bp.post("/policies/<int:doc_id>/edit")
@gate(Operation.HANDLE, Audience.STAFF, roles=POLICY_ROLES)
def edit_policy(doc_id: int):
    """Correct a published document; every problem is listed at once; the change is audited."""
    session = get_session()
    doc = policies.get(session, doc_id)
    value = policies.PolicyInput(**{f: (request.form.get(f) or "") for f in _POLICY_FIELDS})
    errors, _published, _effective = policies.check(value)
    if errors:
        return _edit_page(doc, request.form, errors=errors, status=400)
    _doc, changed = policies.edit(session, current_actor(), doc_id, value)
    return redirect(url_for(".policy_list", done="edited" if changed else "unchanged") + f"#policy-{doc_id}")


def _follow_up_page(*, errors=(), status=200):
    session = get_session()
    rows = evaluation.follow_ups(session, clock.today(), open_only=False)
    audit_here(AuditAction.VIEWED, detail=f"查看差评回访清单（{len(rows)} 条）")
    return render_template(
        "hotline/info/follow_ups.html",
        rows=rows,
        errors=list(errors),
        rating=Rating,
        dimensions=evaluation.DIMENSIONS,
        follow_up_days=evaluation.FOLLOW_UP_DAYS,
    ), status


@bp.get("/follow-ups")
@gate(Operation.HANDLE, Audience.STAFF, roles=FOLLOW_UP_ROLES)
def follow_ups():
    """Bad ratings waiting for a follow-up, soonest deadline first, then those done."""
    return _follow_up_page()


@bp.post("/follow-ups/<int:follow_up_id>/close")
@gate(Operation.HANDLE, Audience.STAFF, roles=FOLLOW_UP_ROLES)
def close_follow_up(follow_up_id: int):
    """Record the outcome; the person is told it."""
    session = get_session()
    try:
        evaluation.close_follow_up(session, current_actor(), follow_up_id, request.form.get("outcome") or "")
    except evaluation.EvaluationRefused as refused:
        session.rollback()
        return _follow_up_page(errors=[(f"outcome-{follow_up_id}", refused.message)], status=refused.status)
    return redirect(url_for(".follow_ups", done="closed"))


def _credit_page(*, errors=(), form=None, status=200):
    session = get_session()
    return render_template(
        "hotline/info/credit.html",
        entries=credit.published(session, clock.today()),
        pending=credit.pending_repairs(session),
        errors=list(errors),
        form=form or {},
    ), status


@bp.get("/credit")
@gate(Operation.HANDLE, Audience.STAFF, roles=CREDIT_ROLES)
def credit_page():
    """List a party, and decide repair applications (GB/T 31621 19)."""
    return _credit_page()


@bp.post("/credit")
@gate(Operation.HANDLE, Audience.STAFF, roles=CREDIT_ROLES)
def list_party():
    """Put a unit or a person on the list on the basis of a legal document; every problem listed at once."""
    value = credit.ListingInput(**{f: (request.form.get(f) or "") for f in _CREDIT_FIELDS})
    errors, _checked = credit.check(value, clock.today())
    if errors:
        return _credit_page(errors=errors, form=request.form, status=400)
    entry = credit.list_party(get_session(), current_actor(), current_app.extensions["shebao_vault"], value)
    return redirect(url_for(".credit_page", done="listed") + f"#credit-{entry.id}")


@bp.post("/credit/repairs/<int:repair_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=CREDIT_ROLES)
def decide_repair(repair_id: int):
    """Grant a repair (the entry leaves the public page at once) or refuse it with a reason."""
    session = get_session()
    grant = request.form.get("decision") == "grant"
    try:
        credit.decide_repair(session, current_actor(), repair_id, grant=grant, note=request.form.get("note") or "")
    except credit.CreditRefused as refused:
        session.rollback()
        return _credit_page(errors=[(f"note-{repair_id}", refused.message)], status=refused.status)
    return redirect(url_for(".credit_page", done="granted" if grant else "refused"))
