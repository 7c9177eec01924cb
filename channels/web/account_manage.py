"""What a person manages of their own online account under /account/ (LD/T 01 6.2.5): the login log
(e), changing the registered mobile number with re-verification (a), and — linked, not duplicated — the
bound login methods (b, ``auth.credentials``), password reset (d, ``auth.reset``). Locking is automatic
after wrong passwords and unlocking is by time or staff (c, gateway.identity.service).

Changing the phone takes three steps (LD/T 01 6.1.3): prove it is still you (a code to the registered phone,
or a level-3 session), give the new number, confirm it with the code sent there."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from channels.web.auth import CodeForm, _form_errors, _send_sms_code, _verify_sms_code
from gateway import clock
from gateway.access.edge import current_identity, current_level
from gateway.access.needs import gate
from gateway.backoffice.resilient import WriteNotDelivered
from gateway.catalog.model import Channel
from gateway.channel_policy import Operation, method_label
from gateway.clients import get_backoffice
from gateway.delivery import deliver_code
from gateway.factors import FactorChange, factor_changed
from gateway.identity.models import EventKind, Person, SmsPurpose
from gateway.identity.service import events_for, record_event
from gateway.identity.sms_codes import verify_code
from gateway.request_db import get_session
from gateway.resilience.writes import queue as queue_core_write
from gateway.security.limits import limiter
from gateway.validation import ValidationError, mask_phone, normalize_phone

bp = Blueprint("account_manage", __name__, url_prefix="/account")

#: How long a re-verification (step 1) lets the person carry on with steps 2 and 3.
CHANGE_TTL_S = 600
BAD_CODE = "验证码不正确或已失效，请重新获取。"


class NewPhoneForm(FlaskForm):
    phone = StringField("新手机号码", validators=[InputRequired("请输入新手机号码。")])


def _channel_label(value: str | None) -> str:
    try:
        return Channel(value).label
    except ValueError:
        return value or ""


@bp.get("/logins")
@gate(Operation.ACCOUNT)
def logins():
    """The login log (LD/T 01 6.2.5 e): when, how, through which channel, from which network (masked)."""
    db = get_session()
    person = db.get(Person, current_identity().person_id)
    rows = [
        {
            "at": e.created_at,
            "event": e.kind,
            "method": method_label(e.method),
            "channel": _channel_label(e.channel),
            "ip": e.ip_masked or "",
        }
        for e in events_for(db, person, logins=True, limit=50)
    ]
    return render_template("web/account/logins.html", rows=rows)


# ---------------------------------------------------------------- change the registered mobile number


def _change() -> dict | None:
    """This person's phone change in progress, while its re-verification is fresh."""
    state = session.get("phone_change")
    who = current_identity()
    if not state or who is None or state.get("person_id") != who.person_id or state["until"] < time.time():
        session.pop("phone_change", None)
        return None
    return state


def _registered_phone() -> str | None:
    record = get_backoffice().find_person(current_identity().id_number)
    return record.phone if record and record.phone else None


def _verified() -> None:
    session["phone_change"] = {"person_id": current_identity().person_id, "until": time.time() + CHANGE_TTL_S}


@bp.route("/phone", methods=["GET", "POST"])
@gate(Operation.ACCOUNT)
@limiter.limit("10 per minute", methods=["POST"])
def phone():
    """Step 1 of 3: re-verify with a code to the registered phone (or a level-3 session skips this)."""
    old = _registered_phone()
    if current_level() >= 3:
        _verified()
        return redirect(url_for("account_manage.phone_new"))
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    sent_to = session.get("phone_change_sent")
    who = current_identity()
    if request.method == "POST" and old is None:
        errors.append(("code", "登记信息中没有手机号码，请用电子社保卡核验身份后更换。"))
    elif request.method == "POST" and request.form.get("send"):
        if not FlaskForm().validate_on_submit():  # CSRF only: no code typed yet
            errors.append(("code", "页面已过期，请重新提交。"))
        else:
            sent, info = _send_sms_code(who.person_id, SmsPurpose.STEP_UP)
            if sent:
                session["phone_change_sent"] = sent_to = info
            else:
                errors.append(("code", info))
    elif form.validate_on_submit():
        if _verify_sms_code(who.person_id, SmsPurpose.STEP_UP, form.code.data or ""):
            session.pop("phone_change_sent", None)
            _verified()
            return redirect(url_for("account_manage.phone_new"))
        errors.append(("code", BAD_CODE))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/account/phone.html",
        form=form,
        errors=errors,
        old=mask_phone(old) if old else None,
        sent_to=sent_to,
        step_up=url_for("auth.essc_start", next=url_for("account_manage.phone")),
    ), (400 if errors else 200)


@bp.route("/phone/new", methods=["GET", "POST"])
@gate(Operation.ACCOUNT)
@limiter.limit("10 per minute", methods=["POST"])
def phone_new():
    """Step 2 of 3: the new number; a code goes there to prove the person holds it."""
    state = _change()
    if state is None:
        return redirect(url_for("account_manage.phone"))
    form = NewPhoneForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        try:
            number = normalize_phone(form.phone.data)
        except ValidationError as exc:
            errors.append(("phone", exc.message))
        else:
            if number == _registered_phone():
                errors.append(("phone", "新手机号码与登记的号码相同，无需更换。"))
            else:
                sent, info = deliver_code(number, SmsPurpose.BIND, current_identity().person_id)
                if sent:
                    session["phone_change"] = {**state, "new": number, "new_masked": info}
                    return redirect(url_for("account_manage.phone_confirm"))
                errors.append(("phone", info))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template("web/account/phone_new.html", form=form, errors=errors), (400 if errors else 200)


@bp.route("/phone/confirm", methods=["GET", "POST"])
@gate(Operation.ACCOUNT)
@limiter.limit("10 per minute", methods=["POST"])
def phone_confirm():
    """Step 3 of 3: the code from the new phone; then the back office records the new number."""
    state = _change()
    if state is None or "new" not in state:
        return redirect(url_for("account_manage.phone"))
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        db = get_session()
        secret = current_app.config["SECRET_KEY"]
        if not verify_code(db, secret, state["new"], SmsPurpose.BIND, form.code.data or ""):
            errors.append(("code", BAD_CODE))
        else:
            who = current_identity()
            old = _registered_phone()
            update = getattr(get_backoffice(), "update_phone", None)
            if update is None:
                # A core system without an online contact-change interface: the formal route is the
                # 个人参保信息变更 service (catalog item person-info-change), handled at level 3.
                session.pop("phone_change", None)
                return render_template("web/account/phone_done.html", ok=False), 409
            queued = False
            try:
                update(who.id_number, state["new"])
            except WriteNotDelivered as undelivered:
                # Issue 19: the core system did not answer; the change waits in the write queue (committed with
                # this request) and is sent when it is back; the person is told now and when it is done.
                queue_core_write(db, undelivered, who.person_id, clock.now())
                queued = True
            record_event(
                db,
                EventKind.OPERATION,
                person_id=who.person_id,
                method="phone_change",
                ip=request.remote_addr,
                detail=f"登记手机号码由 {mask_phone(old)} 更换为 {mask_phone(state['new'])}"
                + ("（核心系统恢复后提交）" if queued else ""),
            )
            factor_changed(db, who.person_id, FactorChange.PHONE)
            session.pop("phone_change", None)
            return render_template(
                "web/account/phone_done.html", ok=True, queued=queued, phone=mask_phone(state["new"])
            )
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template("web/account/phone_code.html", form=form, errors=errors, phone=state.get("new_masked")), (
        400 if errors else 200
    )


def init_app(app) -> None:
    app.register_blueprint(bp)
