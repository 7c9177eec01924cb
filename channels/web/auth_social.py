"""WeChat website login and Alipay login on the web channel, and binding such an identity to a real-name
person once (DESIGN "Identity": a bound third-party login is level 2; an unbound one sees no personal data
until it is bound with an SMS code to the phone the back office has; LD/T 01 6.2.5 b).

Each login is an authorization-code redirect with a single-use ``state`` (login CSRF): kept in this
browser's server-side session and in an ``AuthFlow`` row that only one callback can consume."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired

from channels.web.auth import CodeForm, _form_errors, _safe_next, _start_session, _vault
from gateway.access.edge import current_identity, current_level
from gateway.access.needs import public
from gateway.catalog.model import Channel
from gateway.channel_policy import LoginMethod, Operation
from gateway.clients import get_backoffice
from gateway.delivery import deliver_code
from gateway.factors import FactorChange, factor_changed
from gateway.identity.binding import bound_person, claim_person, claimed_id_number, complete_binding, open_binding
from gateway.identity.flows import open_flow, spend
from gateway.identity.models import AuthFlow, CredentialKind, EventKind, Person, SmsPurpose
from gateway.identity.service import IdentityError, bind_credential, identity_of, record_event, utcnow
from gateway.identity.sms_codes import verify_code
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import DocumentType, passport_countries

bp = Blueprint("social", __name__, url_prefix="/account")
log = logging.getLogger("shebao.auth")

FLOW_TTL = timedelta(minutes=10)
BINDING_TTL_S = 600
LEVEL = 2  # DESIGN "Identity": a bound third-party login is level 2
PROVIDERS = {
    "wechat": (CredentialKind.WECHAT, LoginMethod.WECHAT, "微信"),
    "alipay": (CredentialKind.ALIPAY, LoginMethod.ALIPAY, "支付宝"),
}
STALE = "登录请求已失效，请重新发起登录。"
BINDING_EXPIRED = "绑定已超时，请重新用微信或支付宝登录。"


class BindForm(FlaskForm):
    doc_type = StringField("证件类型")  # LD/T 01 6.2.3 b; blank: the resident ID
    country = StringField("护照签发国家（地区）")
    id_number = StringField("证件号码", validators=[InputRequired("请输入证件号码。")])
    name = StringField("姓名", validators=[InputRequired("请输入姓名。")])


def _settings():
    return current_app.config["SETTINGS"]


def _wechat_cfg():
    from gateway.identity import wechat_web

    return wechat_web.config_from(_settings(), url_for("social.wechat_callback", _external=True))


def _alipay_cfg():
    from gateway.identity import alipay

    return alipay.config_from(_settings(), url_for("social.alipay_callback", _external=True))


def _refused(message: str, status: int = 400):
    return render_template("web/social/result.html", message=message), status


# ---------------------------------------------------------------- start and finish a provider's redirect


def _start(provider: str, make_url: Callable[[str], str]):
    """Record a fresh single-use state, remember it in this browser's session, and go to the provider."""
    bind = request.args.get("bind") == "1" and current_identity() is not None
    if bind and current_level() < LEVEL:
        # Adding a login method to an account needs the account holder proven at level 2 first.
        back = url_for(f"social.{provider}_start", bind=1)
        return redirect(url_for("auth.step_up", level=LEVEL, next=back))
    flow = open_flow(get_session(), provider, Channel.WEB.value, FLOW_TTL)
    session["social_flow"] = {
        "provider": provider,
        "state": flow.state,
        "next": _safe_next(request.args.get("next")),
        "bind": bind,
    }
    return redirect(make_url(flow.state))


def _consume(provider: str, state: str) -> bool:
    """Spend the flow of ``state``: True once, for the provider that started it, while unexpired."""
    return spend(get_session(), AuthFlow.state == state, AuthFlow.kind == provider, AuthFlow.expires_at > utcnow())


def _finish(provider: str, code_param: str, fetch: Callable[[str], str]):
    """The callback: check the state, exchange the code, then log in, bind, or open a binding."""
    kind, method, label = PROVIDERS[provider]
    pending = session.pop("social_flow", None)
    state = request.args.get("state", "")
    if (
        not pending
        or pending.get("provider") != provider
        or not state
        or not secrets.compare_digest(pending["state"], state)
        or not _consume(provider, state)
    ):
        return _refused(STALE)
    code = request.args.get(code_param, "")
    if not code:
        return _refused(f"您已取消{label}授权。可以重新发起，或使用其他方式登录。")
    try:
        external_id = fetch(code)
    except IdentityError as exc:
        log.warning("social login refused", extra={"fields": {"provider": provider, "why": exc.code}})
        return _refused(exc.message)
    db = get_session()
    owner = bound_person(db, kind, external_id)
    who = current_identity()
    if pending.get("bind") and who is not None:
        return _bind_to_current(kind, label, external_id, owner, who.person_id)
    if owner is not None:
        record_event(db, EventKind.LOGIN, person_id=owner.id, method=method.value, ip=request.remote_addr)
        _start_session(identity_of(_vault(), owner), LEVEL, method)
        return redirect(pending["next"])
    # Unbound: no personal data until the identity is bound to a real-name person, once.
    ticket = open_binding(db, kind, external_id)
    session["social_binding"] = {
        "ticket": ticket,
        "provider": provider,
        "next": pending["next"],
        "until": time.time() + BINDING_TTL_S,
    }
    return redirect(url_for("social.bind"))


def _bind_to_current(kind: CredentialKind, label: str, external_id: str, owner: Person | None, person_id: int):
    """A logged-in person (level 2 or more) adds this login method to their own account."""
    if owner is not None and owner.id != person_id:
        return _refused(f"该{label}账号已绑定其他用户，不能重复绑定。", 409)
    db = get_session()
    try:
        bind_credential(db, db.get(Person, person_id), kind, external_id, channel=Channel.WEB.value)
        if owner is None:  # a new login method, not the one already bound
            factor_changed(db, person_id, FactorChange.BOUND)
    except IdentityError as exc:
        db.rollback()
        return _refused(exc.message, 409)
    return redirect(url_for("auth.credentials"))


@bp.get("/wechat/start")
@public(Operation.LOGIN)
@limiter.limit("30 per minute")  # each start writes a flow row
def wechat_start():
    """Go to WeChat's QR-connect page (a link, so the CSP's form-action stays 'self')."""
    from gateway.identity import wechat_web

    cfg = _wechat_cfg()
    return _start("wechat", lambda state: wechat_web.authorize_url(cfg, state))


@bp.get("/wechat/callback")
@public(Operation.LOGIN)
@limiter.limit("20 per minute")
def wechat_callback():
    from gateway.identity import wechat_web

    return _finish("wechat", "code", lambda code: wechat_web.joined_openid(get_session(), _wechat_cfg(), code))


@bp.get("/alipay/start")
@public(Operation.LOGIN)
@limiter.limit("30 per minute")  # each start writes a flow row
def alipay_start():
    """Go to Alipay's authorization page (``scope=auth_user``)."""
    from gateway.identity import alipay

    cfg = _alipay_cfg()
    return _start("alipay", lambda state: alipay.authorize_url(cfg, state))


@bp.get("/alipay/callback")
@public(Operation.LOGIN)
@limiter.limit("20 per minute")
def alipay_callback():
    from gateway.identity import alipay

    return _finish("alipay", "auth_code", lambda code: alipay.fetch_user(_alipay_cfg(), code).user_id)


# ---------------------------------------------------------------- bind once: ID number + name, then SMS code


def _binding() -> dict | None:
    pending = session.get("social_binding")
    if not pending or pending["until"] < time.time():
        session.pop("social_binding", None)
        return None
    return pending


@bp.route("/social/bind", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 30 per hour", methods=["POST"])
def bind():
    """Step 1 of 2: name the real person; a code goes to the phone the back office has for them."""
    pending = _binding()
    if pending is None:
        return _refused(BINDING_EXPIRED)
    label = PROVIDERS[pending["provider"]][2]
    form = BindForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        try:
            phone = claim_person(
                get_session(),
                _vault(),
                get_backoffice(),
                pending["ticket"],
                form.id_number.data,
                form.name.data,
                doc_type=form.doc_type.data,
                country=form.country.data,
            )
        except IdentityError as exc:
            if exc.code == "invalid_binding_ticket":
                session.pop("social_binding", None)
                return _refused(BINDING_EXPIRED)
            errors.append((exc.field, exc.message))
        else:
            sent, info = deliver_code(phone, SmsPurpose.BIND)
            if sent:
                session["social_binding"] = {**pending, "phone": info}
                return redirect(url_for("social.bind_code"))
            errors.append(("id_number", info))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/social/bind.html",
        form=form,
        errors=errors,
        label=label,
        doc_types=list(DocumentType),
        countries=passport_countries(),
    ), (400 if errors else 200)


@bp.route("/social/bind/code", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute", methods=["POST"])
def bind_code():
    """Step 2 of 2: the SMS code proves the person; the identity is bound (once) and the session is level 2."""
    pending = _binding()
    if pending is None or "phone" not in pending:
        return redirect(url_for("social.bind")) if pending else _refused(BINDING_EXPIRED)
    kind, method, label = PROVIDERS[pending["provider"]]
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        db = get_session()
        try:
            id_number = claimed_id_number(db, _vault(), pending["ticket"])
            record = get_backoffice().find_person(id_number)
            secret = current_app.config["SECRET_KEY"]
            if record is None or not verify_code(db, secret, record.phone, SmsPurpose.BIND, form.code.data or ""):
                errors.append(("code", "验证码不正确或已失效，请重新获取。"))
            else:
                person = complete_binding(db, _vault(), get_backoffice(), pending["ticket"], Channel.WEB.value)
                factor_changed(db, person.id, FactorChange.BOUND)
        except IdentityError as exc:
            db.rollback()
            session.pop("social_binding", None)
            if exc.code == "credential_taken":
                return _refused(f"该{label}账号已绑定其他用户，不能重复绑定。", 409)
            return _refused(BINDING_EXPIRED if exc.code == "invalid_binding_ticket" else exc.message)
        if not errors:
            record_event(db, EventKind.LOGIN, person_id=person.id, method=method.value, ip=request.remote_addr)
            _start_session(identity_of(_vault(), person), LEVEL, method)
            return redirect(pending["next"])
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/sms_code.html", form=form, errors=errors, phone=pending.get("phone"), title=f"绑定{label}：短信验证"
    ), (400 if errors else 200)


def init_app(app) -> None:
    """Nothing beyond the blueprint; kept so channels/web/__init__.py treats every module alike."""
    app.register_blueprint(bp)
