"""Look up a person's online account and unlock it (LD/T 01 6.2.5 c, e) — only with a basis: the agent's verified
caller (inside the delegation) or a supervisor's stated reason (`gateway.callers.lookup`). The ID number is posted,
never put in a URL; the unlock form names the account by a signed reference bound to this staff member, never by
anything the server would decrypt. Staff see the account's state and login history, never the full ID number."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway.access.edge import current_actor, current_staff
from gateway.access.needs import Audience, gate
from gateway.callers import lookup
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.request_db import get_session
from gateway.security.refs import References
from gateway.staff.models import StaffRole
from gateway.validation import DocumentType, mask_id_number, passport_countries

bp = Blueprint("hotline_people", __name__, url_prefix="/hotline/people")

#: How long a looked-up account's unlock button stays good (the hotline delegation's length).
REF_MAX_AGE_S = 15 * 60


def _vault():
    return current_app.extensions["shebao_vault"]


def _refs() -> References:
    return References(current_app.config["SECRET_KEY"], "hotline-people-account", REF_MAX_AGE_S)


def _page(*, errors=(), found=None, notice=None, form=None, status=200):
    actor = current_actor()
    ref = ""
    if found is not None and found.person_id is not None:
        ref = _refs().make(staff=actor.staff_id, person=found.person_id, basis=found.basis.value, why=found.reason)
    return render_template(
        "hotline/people.html",
        errors=list(errors),
        found=found,
        ref=ref,
        notice=notice,
        form=form or {},
        basis=lookup.basis_of(actor),
        doc_types=list(DocumentType),
        countries=passport_countries(),
        by_card=lookup.BY_CARD,
        caller_masked=mask_id_number(actor.on_behalf_of.id_number) if actor.on_behalf_of else "",
        Basis=lookup.Basis,
    ), status


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.AGENT, StaffRole.SUPERVISOR))
def search():
    return _page()


@bp.post("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.AGENT, StaffRole.SUPERVISOR))
def act():
    form = request.form
    actor = current_actor()
    db = get_session()
    try:
        if form.get("action") == "unlock":
            payload = _refs().read(form.get("ref") or "")
            if (
                payload is None
                or payload.get("staff") != actor.staff_id
                or payload.get("basis") != (lookup.basis_of(actor) or "")
            ):
                raise lookup.LookupRefused("查询已过期，请重新查询后再解锁。", "id_number")
            by = current_staff()
            found, unlocked = lookup.unlock_account(
                db,
                _vault(),
                get_backoffice(),
                actor,
                person_id=int(payload["person"]),
                reason=str(payload.get("why", "")),
                by=f"{by.name}（{by.username}）",
            )
            notice = "已解锁，该账户可以重新登录。" if unlocked else "该账户没有被锁定。"
            return _page(found=found, notice=notice)
        # By any identity document (LD/T 01 6.2.3 b) or the social security card number (6.2.3 d).
        id_number = lookup.subject_number(
            get_backoffice(),
            form.get("doc_type"),
            (form.get("id_number") or "")[:30],
            form.get("country"),
        )
        found = lookup.look_up(
            db, _vault(), get_backoffice(), actor, id_number=id_number, reason=(form.get("reason") or "")[:200]
        )
    except lookup.LookupRefused as refused:
        return _page(errors=[(refused.field, refused.message)], form=form, status=400)
    return _page(found=found)
