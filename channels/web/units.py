"""Unit pages under /unit/ (LD/T 01 5.2.2 rights queries for units; 6.2.2 unit accounts and clerks).

Who acts for a unit: the certificate holder (logged in at /account/login/certificate, may do everything,
manages clerks) or a logged-in person who is one of the unit's clerks and chose to act for it (level 2;
sees only what the grant allows). Levels: home → /unit/ → /unit/staff etc. (at most three).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Optional

from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import Audience, gate, public
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.request_db import get_session, keep_on_refusal
from gateway.security.pii import Purpose
from gateway.units.models import UnitEventKind, UnitOperation
from gateway.units.service import (
    ActorRole,
    UnitActor,
    UnitError,
    add_clerk,
    clerks_of,
    clerkships,
    is_active,
    record_unit_event,
    revoke_clerk,
    unit_events,
)
from gateway.validation import mask_id_number, mask_name, parse_page

bp = Blueprint("units", __name__, url_prefix="/unit")
#: Clerks act for a unit only from a session of at least this level (unit data is about other people).
CLERK_LEVEL = 2


def _vault():
    return current_app.extensions["shebao_vault"]


def _today() -> date:
    return clock.today()


def _unit() -> UnitActor | None:
    """Who acts for which unit on this request (the Actor checks clerkships afresh: revocations bite at once)."""
    return current_actor().unit


def unit_grant(op: UnitOperation):
    """The page needs the unit grant ``op`` (the gate has already checked someone acts for a unit)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = _unit()
            if not actor.may(op):
                return _denied(actor, op.label)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _denied(actor: UnitActor, what: str):
    db = get_session()
    record_unit_event(
        db,
        UnitEventKind.ACCESS_DENIED,
        unit_id=actor.unit_id,
        actor=actor.actor,
        person_id=actor.person_id,
        detail=what,
        ip=request.remote_addr,
    )
    keep_on_refusal()  # the refused access stays in the unit's log
    return render_template("web/unit/denied.html", actor=actor, what=what), 403


def _audit_query(actor: UnitActor, detail: str) -> None:
    """Every use of the unit's staff data is traced (LD/T 01 6.3.2)."""
    db = get_session()
    record_unit_event(
        db,
        UnitEventKind.QUERY,
        unit_id=actor.unit_id,
        actor=actor.actor,
        person_id=actor.person_id,
        detail=detail,
        ip=request.remote_addr,
    )


# ---------------------------------------------------------------- the unit's home: registration info


@bp.get("/")
@gate(Operation.QUERY, Audience.UNIT)
def home():
    actor = _unit()
    record = legal_rep = None
    if actor.may(UnitOperation.VIEW_INFO):
        record = get_backoffice().find_unit(actor.credit_code)
        legal_rep = mask_name(record.legal_rep) if record else None
    return render_template(
        "web/unit/home.html", actor=actor, record=record, legal_rep=legal_rep, UnitOperation=UnitOperation
    )


@bp.get("/staff")
@gate(Operation.QUERY, Audience.UNIT)
@unit_grant(UnitOperation.VIEW_STAFF)
def staff():
    actor = _unit()
    page = parse_page(request.args.get("page"))
    size = current_app.config["SETTINGS"].page_size
    result = get_backoffice().unit_staff(actor.credit_code, page, size)
    if page > result.pages:
        page = result.pages
        result = get_backoffice().unit_staff(actor.credit_code, page, size)
    _audit_query(actor, f"参保职工名册 第 {result.page} 页")
    return render_template("web/unit/staff.html", actor=actor, result=result)


@bp.get("/contributions")
@gate(Operation.QUERY, Audience.UNIT)
@unit_grant(UnitOperation.VIEW_CONTRIBUTIONS)
def contributions():
    actor = _unit()
    months = get_backoffice().unit_contribution_months(actor.credit_code, 12)
    _audit_query(actor, "单位缴费情况（近 12 个月）")
    return render_template("web/unit/contributions.html", actor=actor, months=months)


# ---------------------------------------------------------------- clerks (certificate holder only)


class ClerkForm(FlaskForm):
    id_number = StringField("经办人身份证号码", validators=[InputRequired("请输入经办人身份证号码。")])
    name = StringField("经办人姓名", validators=[InputRequired("请输入经办人姓名。")])
    valid_from = DateField("授权开始日期", validators=[Optional()])
    valid_until = DateField("授权截止日期", validators=[InputRequired("请选择授权截止日期。")])


def _form_errors(form: FlaskForm) -> list[tuple[str, str]]:
    errors = []
    for name, messages in form.errors.items():
        for message in messages:
            if name == "csrf_token":
                errors.append(("id_number", "页面已过期，请重新提交。"))
            elif name in ("valid_from", "valid_until") and "date" in message.lower():
                errors.append((name, "请按“年-月-日”填写日期。"))
            else:
                errors.append((name, message))
    return errors


def _holder_only():
    actor = _unit()
    if actor.role is not ActorRole.HOLDER:
        return actor, _denied(actor, "管理经办人")
    return actor, None


def _render_clerks(actor: UnitActor, form: ClerkForm, errors: list[tuple[str, str]], status: int = 200):
    db = get_session()
    vault = _vault()
    today = _today()
    rows = [
        {
            "id": c.id,
            "name": mask_name(vault.decrypt(c.name_enc, Purpose.CLERK_NAME, c.id_digest)),
            "id_number": mask_id_number(vault.decrypt(c.id_number_enc, Purpose.CLERK_ID_NUMBER, c.id_digest)),
            "grants": [op.label for op in UnitOperation if op in c.grants],
            "valid_from": c.valid_from,
            "valid_until": c.valid_until,
            "active": is_active(c, today),
            "revoked": c.revoked_at is not None,
        }
        for c in clerks_of(db, actor.unit_id)
    ]
    return render_template(
        "web/unit/clerks.html",
        actor=actor,
        form=form,
        errors=errors,
        clerks=rows,
        events=unit_events(db, actor.unit_id),
        today=today,
        default_until=today + timedelta(days=365),
        grant_choices=[(op.value, op.label) for op in UnitOperation],
        chosen=request.form.getlist("grants") if request.method == "POST" else [],
    ), status


@bp.route("/clerks", methods=["GET", "POST"])
@gate(Operation.ACCOUNT, Audience.UNIT)
def clerks():
    actor, refused = _holder_only()
    if refused:
        return refused
    form = ClerkForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        db = get_session()
        try:
            add_clerk(
                db,
                _vault(),
                actor,
                id_number=form.id_number.data or "",
                name=form.name.data or "",
                grants=request.form.getlist("grants"),
                valid_from=form.valid_from.data or _today(),
                valid_until=form.valid_until.data,
                today=_today(),
                ip=request.remote_addr,
            )
        except UnitError as exc:
            db.rollback()
            errors.append((exc.field, exc.message))
        else:
            return redirect(url_for("units.clerks"))
    elif request.method == "POST":
        errors = _form_errors(form)
    return _render_clerks(actor, form, errors, 400 if errors else 200)


@bp.post("/clerks/<int:clerk_id>/revoke")
@gate(Operation.ACCOUNT, Audience.UNIT)
def revoke(clerk_id: int):
    actor, refused = _holder_only()
    if refused:
        return refused
    if not FlaskForm().validate_on_submit():
        return _render_clerks(actor, ClerkForm(formdata=None), [("clerks", "页面已过期，请重新提交。")], 400)
    db = get_session()
    try:
        revoke_clerk(db, _vault(), actor, clerk_id, ip=request.remote_addr)
    except UnitError as exc:
        db.rollback()
        return _render_clerks(actor, ClerkForm(formdata=None), [(exc.field, exc.message)], 404)
    return redirect(url_for("units.clerks"))


# ---------------------------------------------------------------- a person acting for a unit as its clerk


@bp.route("/act", methods=["GET", "POST"])
@gate(Operation.ACCOUNT, level=CLERK_LEVEL)
def act():
    """List the units this person is a clerk of; choosing one starts acting for it."""
    who = current_identity()
    db = get_session()
    mine = clerkships(db, _vault(), who.id_number, who.name, _today())
    errors: list[tuple[str, str]] = []
    form = FlaskForm()
    if request.method == "POST":
        chosen = next((c for c in mine if str(c.id) == request.form.get("clerk_id", "")), None)
        if not form.validate_on_submit():
            errors.append(("units", "页面已过期，请重新提交。"))
        elif chosen is None:
            errors.append(("units", "您不是该单位的经办人，或授权已失效。"))
        else:
            session.pop("unit_id", None)
            session.pop("unit_cert", None)
            session["acting_clerk_id"] = chosen.id
            record_unit_event(
                db,
                UnitEventKind.ACTING_STARTED,
                unit_id=chosen.unit_id,
                actor=f"clerk:{chosen.id}",
                person_id=who.person_id,
                ip=request.remote_addr,
            )
            return redirect(url_for("units.home"))
    acting = _unit()
    return render_template(
        "web/unit/act.html", clerkships=mine, form=form, errors=errors, acting=acting, UnitOperation=UnitOperation
    ), (400 if errors else 200)


@bp.post("/act/stop")
@public(Operation.ACCOUNT)
def act_stop():
    actor = _unit()
    if FlaskForm().validate_on_submit() and actor is not None and actor.role is ActorRole.CLERK:
        session.pop("acting_clerk_id", None)
        db = get_session()
        record_unit_event(
            db,
            UnitEventKind.ACTING_STOPPED,
            unit_id=actor.unit_id,
            actor=actor.actor,
            person_id=actor.person_id,
            ip=request.remote_addr,
        )
    return redirect(url_for("auth.account"))


@bp.post("/logout")
@public(Operation.LOGIN)
def logout():
    actor = _unit()
    if FlaskForm().validate_on_submit() and actor is not None and actor.role is ActorRole.HOLDER:
        db = get_session()
        record_unit_event(db, UnitEventKind.LOGOUT, unit_id=actor.unit_id, actor=actor.actor, ip=request.remote_addr)
        elder = session.get("elder")
        session.clear()
        if elder is not None:
            session["elder"] = elder
    return redirect(url_for("pages.home"))
