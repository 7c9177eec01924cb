"""Web identity pages under /account/: login (password; password + SMS code; e-SSC), real-name
registration, step-up to a higher assurance level, the login log and operation trail (LD/T 01 6.2)."""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired

from gateway.access.edge import actor_changed, begin_session, current_identity, current_level, end_session
from gateway.access.needs import gate, public
from gateway.backoffice.interface import BackOfficeUnavailable
from gateway.catalog.model import Channel
from gateway.channel_policy import LoginMethod, Operation, policy_for
from gateway.clients import get_backoffice
from gateway.delivery import deliver_code, rate_ok
from gateway.factors import FactorChange, factor_changed
from gateway.identity import captcha, web_sessions
from gateway.identity.documents import Document, login_name, person_document, read_document
from gateway.identity.models import EventKind, Person, SmsPurpose
from gateway.identity.passwords import hash_password, password_problem
from gateway.identity.service import (
    AGREEMENT_VERSION,
    Identity,
    IdentityError,
    LoginOutcome,
    Registration,
    authenticate_password,
    check_registration,
    create_account,
    events_for,
    identity_of,
    needs_captcha,
    record_event,
)
from gateway.identity.sms_codes import phone_digest
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import (
    DocumentType,
    ErrorCode,
    ValidationError,
    mask_card_number,
    normalize_social_security_number,
    passport_countries,
)

bp = Blueprint("auth", __name__, url_prefix="/account")
log = logging.getLogger("shebao.auth")

BAD_LOGIN = "证件号码或密码不正确。"
LOCKED = "密码连续输错次数过多，账户已临时锁定 15 分钟。请稍后再试，或用短信验证码、电子社保卡登录。"
#: Which login methods reach which assurance level (DESIGN "Identity").
METHOD_LEVEL = {
    LoginMethod.PASSWORD: 1,
    LoginMethod.PASSWORD_SMS: 2,
    LoginMethod.WECHAT: 2,
    LoginMethod.ALIPAY: 2,
    LoginMethod.ESSC: 3,
    LoginMethod.ESSC_QR: 3,
    LoginMethod.CERTIFICATE: 3,
}
#: Step-up methods built so far, with the page that does each.
STEP_UP_PAGES = {
    LoginMethod.PASSWORD_SMS: ("auth.step_up_sms", "短信验证码"),
    LoginMethod.ESSC: ("auth.essc_start", "电子社保卡"),
    LoginMethod.ESSC_QR: ("auth.essc_qr", "电子社保卡扫码"),
}
# The pending half of a two-step login (password accepted, SMS code not yet) lives this long.
PENDING_TTL_S = 300


class LoginForm(FlaskForm):
    # LD/T 01 6.2.3 b: the document type (blank = resident ID), a passport's country, the number.
    doc_type = StringField("证件类型")
    country = StringField("护照签发国家（地区）")
    id_number = StringField("证件号码", validators=[InputRequired("请输入证件号码。")])
    password = PasswordField("密码", validators=[InputRequired("请输入密码。")])


class CodeForm(FlaskForm):
    code = StringField("短信验证码", validators=[InputRequired("请输入短信验证码。")])


class RegisterForm(FlaskForm):
    doc_type = StringField("证件类型")
    country = StringField("护照签发国家（地区）")
    id_number = StringField("证件号码", validators=[InputRequired("请输入证件号码。")])
    name = StringField("姓名", validators=[InputRequired("请输入姓名。")])
    phone = StringField("手机号码", validators=[InputRequired("请输入手机号码。")])
    password = PasswordField("设置密码", validators=[InputRequired("请设置密码。")])
    password_again = PasswordField("再次输入密码", validators=[InputRequired("请再次输入密码。")])
    agree = BooleanField("我已阅读并同意《网上经办服务协议》")


# ---------------------------------------------------------------- who is logged in, and how strongly


def _vault():
    return current_app.extensions["shebao_vault"]


def _login_redirect():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    # Only local paths: never an open redirect to another site.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("pages.home")


#: The session key of the one-time "logged in" message shown on the page after a login.
LOGIN_NOTICE = "login_notice"


def _start_session(identity: Identity, level: int, method: LoginMethod) -> None:
    """A fresh web session with a new id (no fixation) at the level the method reached."""
    begin_session(
        Channel.WEB,
        person_id=identity.person_id,
        auth_level=level,
        auth_methods=[method.value],
        auth_at=int(time.time()),
    )
    # Said once on the next page (base.html): the person knows the login worked and how.
    session[LOGIN_NOTICE] = f"您已通过{method.label}登录。"


def _login_notice() -> str | None:
    """The "logged in" message, once: the page that shows it takes it out of the session."""
    return session.pop(LOGIN_NOTICE, None) if LOGIN_NOTICE in session else None


def _raise_level(level: int, method: LoginMethod) -> None:
    """Step-up done: keep the session's data, give it a new id, and note how the level was reached."""
    web_sessions.rotate()
    session["auth_level"] = max(current_level(), level)
    session["auth_methods"] = [*session.get("auth_methods", []), method.value]
    actor_changed()
    who = current_identity()
    record_event(
        get_session(),
        EventKind.STEP_UP,
        person_id=who.person_id if who else None,
        method=method.value,
        ip=request.remote_addr,
        detail=f"提升至 {level} 级",
    )


def _form_errors(form: FlaskForm) -> list[tuple[str, str]]:
    errors = []
    for name, field_errors in form.errors.items():
        for message in field_errors:
            if name == "csrf_token":
                errors.append((next(iter(form._fields)), "页面已过期，请重新提交。"))
            else:
                errors.append((name, message))
    return errors


# ---------------------------------------------------------------- captcha (after failures)


def _new_captcha() -> str:
    """A fresh ALTCHA proof-of-work challenge (JSON for the widget): no picture, no question to read."""
    return captcha.new_challenge(current_app.config["SECRET_KEY"])


def _captcha_ok() -> bool:
    """The widget's solution is ours, in time, and not used before (it is spent now, whatever follows)."""
    return captcha.verify(get_session(), current_app.config["SECRET_KEY"], request.form.get(captcha.FIELD))


# ---------------------------------------------------------------- password (level 1); + SMS code (level 2)


def _document_choices() -> dict:
    """The document type and passport country selects of the login and registration forms."""
    return {"doc_types": list(DocumentType), "countries": passport_countries()}


def _check_password_form(form: LoginForm, errors: list[tuple[str, str]]) -> tuple[Identity | None, bool]:
    """Run the password half of a login; (identity or None, whether a captcha is now needed)."""
    try:
        document = read_document(form.doc_type.data, form.id_number.data, form.country.data)
    except ValidationError as exc:
        errors.append(("doc_type" if exc.code == ErrorCode.INVALID_DOCUMENT_TYPE else "id_number", exc.message))
        return None, False
    db = get_session()
    # The login name: the social security number behind the document (one person, one record, whichever
    # document is shown); an unknown document gets a name of its own, so it answers like a wrong password.
    id_number = login_name(db, _vault(), get_backoffice(), document)
    if needs_captcha(db, _vault(), id_number) and not _captcha_ok():
        errors.append(("captcha", "请勾选“我不是自动程序”完成人机验证后再登录。"))
        return None, True
    result = authenticate_password(
        db, _vault(), id_number, form.password.data or "", channel=Channel.WEB.value, ip=request.remote_addr
    )
    if result.outcome is LoginOutcome.OK:
        return result.identity, False
    # One message for an unknown person and a wrong password: no user enumeration.
    errors.append(("password", LOCKED if result.outcome is LoginOutcome.LOCKED else BAD_LOGIN))
    log.info("login refused", extra={"fields": {"who": document.masked, "why": result.outcome}})
    return None, needs_captcha(db, _vault(), id_number)


@bp.route("/login", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    form = LoginForm()
    errors: list[tuple[str, str]] = []
    show_captcha = False
    if form.validate_on_submit():
        identity, show_captcha = _check_password_form(form, errors)
        if identity is not None:
            _start_session(identity, 1, LoginMethod.PASSWORD)
            log.info("login", extra={"fields": {"person_id": identity.person_id, "method": "password"}})
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        errors = _form_errors(form)
    question = _new_captcha() if show_captcha else None
    return render_template(
        "web/login.html",
        form=form,
        errors=errors,
        captcha=question,
        next=request.args.get("next"),
        **_document_choices(),
    ), (400 if errors else 200)


def _send_sms_code(person_id: int, purpose: SmsPurpose) -> tuple[bool, str]:
    """Send a code to the phone on file for the person; (sent?, masked phone or an error message)."""
    person = get_session().get(Person, person_id)
    if person is None:
        return False, "请重新登录。"
    record = get_backoffice().find_person(identity_of(_vault(), person).id_number)
    if record is None or not record.phone:
        return False, "登记信息中没有手机号码，请到经办窗口更新联系方式，或使用电子社保卡登录。"
    return deliver_code(record.phone, purpose, person_id)


def _verify_sms_code(person_id: int, purpose: SmsPurpose, code: str) -> bool:
    from gateway.identity.sms_codes import verify_code

    person = get_session().get(Person, person_id)
    record = get_backoffice().find_person(identity_of(_vault(), person).id_number) if person else None
    if record is None:
        return False
    return verify_code(get_session(), current_app.config["SECRET_KEY"], record.phone, purpose, code)


def _resend(send) -> tuple[bool, list[tuple[str, str]]]:
    """The "重新发送验证码" button: CSRF checked, then ``send()`` within the SMS rate limits; (sent?, errors)."""
    if not FlaskForm().validate_on_submit():  # CSRF only: no code is typed yet
        return False, [("code", "页面已过期，请重新提交。")]
    sent, info = send()
    if not sent:
        return False, [("code", info)]
    session["pending_phone"] = info
    return True, []


@bp.route("/login/sms", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login_sms():
    """Password, then an SMS code to the phone on file: assurance level 2 (step 1 of 2)."""
    form = LoginForm()
    errors: list[tuple[str, str]] = []
    show_captcha = False
    if form.validate_on_submit():
        identity, show_captcha = _check_password_form(form, errors)
        if identity is not None:
            sent, info = _send_sms_code(identity.person_id, SmsPurpose.LOGIN)
            if sent:
                session["pending_login"] = {
                    "person_id": identity.person_id,
                    "until": time.time() + PENDING_TTL_S,
                }
                session["pending_phone"] = info
                return redirect(url_for("auth.login_sms_code", next=request.args.get("next")))
            errors.append(("password", info))
    elif request.method == "POST":
        errors = _form_errors(form)
    question = _new_captcha() if show_captcha else None
    return render_template(
        "web/login_sms.html", form=form, errors=errors, captcha=question, next=request.args.get("next")
    ), (400 if errors else 200)


@bp.route("/login/sms/code", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute", methods=["POST"])
def login_sms_code():
    """Step 2 of 2: the code from the SMS."""
    pending = session.get("pending_login")
    if not pending or pending["until"] < time.time():
        session.pop("pending_login", None)
        return redirect(url_for("auth.login_sms", next=request.args.get("next")))
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    sent_now = False
    if request.method == "POST" and request.form.get("resend"):
        sent_now, errors = _resend(lambda: _send_sms_code(pending["person_id"], SmsPurpose.LOGIN))
    elif form.validate_on_submit():
        if _verify_sms_code(pending["person_id"], SmsPurpose.LOGIN, form.code.data or ""):
            person = get_session().get(Person, pending["person_id"])
            identity = identity_of(_vault(), person)
            _start_session(identity, 2, LoginMethod.PASSWORD_SMS)
            record_event(
                get_session(),
                EventKind.LOGIN,
                person_id=person.id,
                method=LoginMethod.PASSWORD_SMS.value,
                ip=request.remote_addr,
            )
            return redirect(_safe_next(request.args.get("next")))
        errors.append(("code", "验证码不正确或已失效，请重新获取。"))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/sms_code.html",
        form=form,
        errors=errors,
        phone=session.get("pending_phone"),
        title="短信验证",
        resend=True,
        sent_now=sent_now,
    ), (400 if errors else 200)


# ---------------------------------------------------------------- step-up


@bp.get("/step-up")
@gate(Operation.LOGIN)
def step_up():
    """Offer the methods this channel allows that reach the level the service needs (DESIGN "Identity")."""
    try:
        level = int(request.args.get("level", "2"))
    except ValueError:
        level = 2
    level = min(max(level, 2), 3)
    target = _safe_next(request.args.get("next"))
    if current_level() >= level:
        return redirect(target)
    allowed = policy_for(Channel.WEB).login_methods
    methods = [
        (url_for(STEP_UP_PAGES[m][0], next=target, level=level), STEP_UP_PAGES[m][1])
        for m in allowed
        if m in STEP_UP_PAGES and METHOD_LEVEL[m] >= level
    ]
    return render_template("web/step_up.html", level=level, methods=methods, current=current_level())


@bp.route("/step-up/sms", methods=["GET", "POST"])
@gate(Operation.LOGIN)
@limiter.limit("10 per minute", methods=["POST"])
def step_up_sms():
    """Level 2 for a logged-in person: a code to the phone on file."""
    target = _safe_next(request.args.get("next"))
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    who = current_identity()
    sent_now = False
    if request.method == "GET":
        pass  # a GET never sends an SMS: the person presses the button
    elif request.form.get("resend"):
        sent_now, errors = _resend(lambda: _send_sms_code(who.person_id, SmsPurpose.STEP_UP))
    elif form.validate_on_submit():
        if _verify_sms_code(who.person_id, SmsPurpose.STEP_UP, form.code.data or ""):
            _raise_level(2, LoginMethod.PASSWORD_SMS)
            return redirect(target)
        errors.append(("code", "验证码不正确或已失效，请重新获取。"))
    else:
        errors = _form_errors(form)
    return render_template(
        "web/sms_code.html",
        form=form,
        errors=errors,
        phone=session.get("pending_phone"),
        title="身份核验",
        resend=True,
        sent_now=sent_now,
    ), (400 if errors and request.method == "POST" else 200)


# ---------------------------------------------------------------- registration (LD/T 01 6.2.4)


@bp.route("/register", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 30 per hour", methods=["POST"])
def register_page():
    """Real-name registration, step 1 of 2: ID number, name, phone, password, agreement."""
    form = RegisterForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        reg = Registration(
            id_number=form.id_number.data or "",
            name=form.name.data or "",
            phone=form.phone.data or "",
            password=form.password.data or "",
            password_again=form.password_again.data or "",
            agreement_version=request.form.get("agreement_version") if form.agree.data else None,
            doc_type=form.doc_type.data,
            country=form.country.data,
        )
        try:
            checked = check_registration(get_backoffice(), reg)
            id_number, name, phone = checked
        except IdentityError as exc:
            errors.append((exc.field, exc.message))
        else:
            sent, info = deliver_code(phone, SmsPurpose.REGISTER)
            if sent:
                # Only the Argon2 hash waits (server-side) until the phone is proven in step 2.
                session["pending_registration"] = {
                    "id_number": id_number,
                    "doc_type": checked.document.doc_type.value,
                    "doc_number": checked.document.number,
                    "name": name,
                    "phone": phone,
                    "password_hash": hash_password(reg.password),
                    "until": time.time() + PENDING_TTL_S,
                }
                session["pending_phone"] = info
                return redirect(url_for("auth.register_code"))
            errors.append(("phone", info))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/register.html", form=form, errors=errors, agreement_version=AGREEMENT_VERSION, **_document_choices()
    ), (400 if errors else 200)


@bp.route("/register/code", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute", methods=["POST"])
def register_code():
    """Registration, step 2 of 2: the SMS code proves the phone; then the account exists."""
    from gateway.identity.sms_codes import verify_code

    pending = session.get("pending_registration")
    if not pending or pending["until"] < time.time():
        session.pop("pending_registration", None)
        return redirect(url_for("auth.register_page"))
    form = CodeForm()
    errors: list[tuple[str, str]] = []
    sent_now = False
    if request.method == "POST" and request.form.get("resend"):
        sent_now, errors = _resend(lambda: deliver_code(pending["phone"], SmsPurpose.REGISTER))
    elif form.validate_on_submit():
        secret = current_app.config["SECRET_KEY"]
        if verify_code(get_session(), secret, pending["phone"], SmsPurpose.REGISTER, form.code.data or ""):
            session.pop("pending_registration", None)
            try:
                identity = create_account(
                    get_session(),
                    _vault(),
                    pending["id_number"],
                    pending["name"],
                    pending["password_hash"],
                    document=Document(
                        DocumentType(pending.get("doc_type", DocumentType.RESIDENT_ID.value)),
                        pending.get("doc_number", pending["id_number"]),
                    ),
                )
            except IdentityError as exc:
                return render_template("web/register_done.html", message=exc.message, ok=False), 409
            _start_session(identity, 2, LoginMethod.PASSWORD_SMS)
            session.pop(LOGIN_NOTICE, None)  # the done page says it all
            return render_template("web/register_done.html", message=None, ok=True)
        errors.append(("code", "验证码不正确或已失效，请重新获取。"))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template(
        "web/sms_code.html",
        form=form,
        errors=errors,
        phone=session.get("pending_phone"),
        title="验证手机号码",
        resend=True,
        sent_now=sent_now,
    ), (400 if errors else 200)


# ---------------------------------------------------------------- password reset (LD/T 01 6.2.5 d)


class ResetForm(FlaskForm):
    doc_type = StringField("证件类型")
    country = StringField("护照签发国家（地区）")
    id_number = StringField("证件号码", validators=[InputRequired("请输入证件号码。")])
    name = StringField("姓名", validators=[InputRequired("请输入姓名。")])


class NewPasswordForm(FlaskForm):
    code = StringField("短信验证码", validators=[InputRequired("请输入短信验证码。")])
    password = PasswordField("新密码", validators=[InputRequired("请设置新密码。")])
    password_again = PasswordField("再次输入新密码", validators=[InputRequired("请再次输入新密码。")])


#: Every reset request answers after at least this long, whether a code was sent or nobody matched.
RESET_ANSWER_S = 0.4


@bp.route("/reset", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 30 per hour", methods=["POST"])
def reset():
    """Forgotten password, step 1 of 2: ID number and name; a code goes to the phone on file."""
    from gateway.identity.service import reset_target

    form = ResetForm()
    errors: list[tuple[str, str]] = []
    started = time.monotonic()
    if form.validate_on_submit():
        # The page must not tell who has an account (ASVS 5.0 6.3.8): one request a minute per ID number typed,
        # account or not, is the only "too often" answer; a real account's code goes out within the same
        # answer time as nobody's.
        typed = (form.id_number.data or "").strip().upper()
        if not rate_ok("1 per minute; 5 per hour", "reset-id", phone_digest(current_app.config["SECRET_KEY"], typed)):
            errors.append(("id_number", "验证码发送太频繁，请稍后再试。"))
        else:
            # The social security number behind the document typed (LD/T 01 6.2.3 b), when someone online holds it.
            subject = typed
            try:
                document = read_document(form.doc_type.data, form.id_number.data, form.country.data)
                subject = login_name(get_session(), _vault(), get_backoffice(), document)
            except ValidationError:
                pass
            phone = reset_target(get_session(), _vault(), get_backoffice(), subject, form.name.data)
            if phone is not None:
                deliver_code(phone, SmsPurpose.RESET)  # a refusal (its phone's own limits) is not told either
        time.sleep(max(0.0, RESET_ANSWER_S - (time.monotonic() - started)))
        if not errors:
            # The same answer whether or not the details matched: the page must not tell who has an account.
            session["pending_reset"] = {
                "id_number": subject,
                "phone": phone,
                "until": time.time() + PENDING_TTL_S,
            }
            return redirect(url_for("auth.reset_code"))
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template("web/reset.html", form=form, errors=errors, **_document_choices()), (400 if errors else 200)


@bp.route("/reset/code", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute", methods=["POST"])
def reset_code():
    """Step 2 of 2: the SMS code and the new password."""
    from gateway.identity.service import reset_password
    from gateway.identity.sms_codes import verify_code

    pending = session.get("pending_reset")
    if not pending or pending["until"] < time.time():
        session.pop("pending_reset", None)
        return redirect(url_for("auth.reset"))
    form = NewPasswordForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        phone = pending.get("phone")
        # The new password's strength is checked before the code is spent: a weak one costs no new SMS.
        weak = password_problem(form.password.data or "", pending["id_number"], phone or "")
        if form.password.data != form.password_again.data:
            errors.append(("password_again", "两次输入的密码不一致。"))
        elif weak:
            errors.append(("password", weak))
        elif not phone or not verify_code(
            get_session(), current_app.config["SECRET_KEY"], phone, SmsPurpose.RESET, form.code.data or ""
        ):
            errors.append(("code", "验证码不正确或已失效，请重新获取。"))
        else:
            try:
                person_id = reset_password(
                    get_session(),
                    _vault(),
                    normalize_social_security_number(pending["id_number"]),
                    form.password.data,
                    phone,
                )
            except IdentityError as exc:
                errors.append((exc.field, exc.message))
            else:
                factor_changed(get_session(), person_id, FactorChange.PASSWORD)
                session.pop("pending_reset", None)
                return render_template("web/reset_done.html")
    elif request.method == "POST":
        errors = _form_errors(form)
    return render_template("web/reset_code.html", form=form, errors=errors), (400 if errors else 200)


# ---------------------------------------------------------------- the account section


@bp.post("/logout")
@public(Operation.LOGIN)
def logout():
    who = current_identity()
    if who is not None:
        record_event(get_session(), EventKind.LOGOUT, person_id=who.person_id, ip=request.remote_addr)
    end_session(keep_elder=True)
    return redirect(url_for("pages.home"))


@bp.get("/")
@gate(Operation.ACCOUNT)
def account():
    identity = current_identity()
    db = get_session()
    person = db.get(Person, identity.person_id)
    # LD/T 01 6.2.3 b–d: the document registered with, the social security number and the card number.
    document = person_document(db, _vault(), person, identity.id_number)
    try:
        record = get_backoffice().find_person(identity.id_number)
    except BackOfficeUnavailable:
        record = None
    return render_template(
        "web/account.html",
        identity=identity,
        document=document,
        card_number=mask_card_number(record.card_number) if record else None,
        level=current_level(),
        logins=events_for(db, person, logins=True),
        trail=events_for(db, person, logins=False),
        credentials=sorted(person.credentials, key=lambda c: c.id),
    )


@bp.get("/agreement")
@public(Operation.QUERY)
def agreement():
    return render_template("web/agreement.html", version=AGREEMENT_VERSION)


def init_app(app: Flask) -> None:
    web_sessions.init_app(app)

    @app.context_processor
    def _identity():
        return {"current_identity": current_identity, "current_level": current_level, "login_notice": _login_notice}

    app.jinja_env.globals.setdefault("EVENT_LABELS", EVENT_LABELS)


#: The login log's event names, in words (kept for the templates that index it).
EVENT_LABELS = {kind: kind.label for kind in EventKind}


# ---------------------------------------------------------------- e-SSC (level 3): web redirect and QR


def _essc_config():
    from gateway.identity.essc import config_from

    return config_from(current_app.config["SETTINGS"], url_for("auth.essc_callback", _external=True))


def _essc_sign_in(holder) -> str | None:
    """Log in (or step up) the verified card holder; an error message when that cannot be."""
    from gateway.identity.essc import person_for_holder

    who = current_identity()
    if who is not None and who.id_number != holder.id_number:
        return "电子社保卡持卡人与当前登录用户不一致，请先退出再登录。"
    db = get_session()
    try:
        person = person_for_holder(db, _vault(), get_backoffice(), holder, Channel.WEB.value)
    except IdentityError as exc:
        db.rollback()
        return exc.message
    method = LoginMethod.ESSC_QR if holder.channel == "qr" else LoginMethod.ESSC
    if who is not None:
        _raise_level(3, method)
    else:
        record_event(db, EventKind.LOGIN, person_id=person.id, method=method.value, ip=request.remote_addr)
        _start_session(identity_of(_vault(), person), 3, method)
    return None


@bp.get("/essc/start")
@public(Operation.LOGIN)
def essc_start():
    """Go to the e-SSC platform's authorization page (a link, so CSP form-action stays 'self')."""
    from gateway.identity.essc import start_flow

    flow, url = start_flow(get_session(), _essc_config(), "web", Channel.WEB.value)
    session["essc_state"] = flow.state
    session["essc_next"] = _safe_next(request.args.get("next"))
    return redirect(url)


def _essc_refused(message: str):
    return render_template("web/essc_result.html", message=message), 400


@bp.get("/essc/callback")
@public(Operation.LOGIN)
@limiter.limit("20 per minute")
def essc_callback():
    from gateway.identity.essc import finish_flow, pending_flow

    state = request.args.get("state", "")
    expected = session.pop("essc_state", None)
    # The state must be the one this browser started (login CSRF), and still pending.
    if not expected or not secrets.compare_digest(expected, state):
        return _essc_refused("登录请求已失效，请重新发起电子社保卡登录。")
    flow = pending_flow(get_session(), state)
    if flow is None:
        return _essc_refused("登录请求已失效，请重新发起电子社保卡登录。")
    try:
        holder = finish_flow(get_session(), _essc_config(), flow, request.args.get("code", ""))
    except IdentityError as exc:
        log.warning("essc refused", extra={"fields": {"why": exc.code}})
        return _essc_refused(exc.message)
    target = session.pop("essc_next", None) or url_for("auth.account")
    problem = _essc_sign_in(holder)
    if problem:
        return _essc_refused(problem)
    return redirect(target)


@bp.get("/essc/qr")
@public(Operation.LOGIN)
def essc_qr():
    """Show a QR of a fresh authorization request; static/js/essc-qr.js polls until approved."""
    import segno

    from gateway.identity.essc import start_flow

    flow, url = start_flow(get_session(), _essc_config(), "qr", Channel.WEB.value)
    session["essc_qr_state"] = flow.state
    session["essc_next"] = _safe_next(request.args.get("next"))
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    return render_template("web/essc_qr.html", qr=qr, url=url, seconds=120)


@bp.get("/essc/qr/status")
@public(Operation.LOGIN)
@limiter.limit("60 per minute")
def essc_qr_status():
    from gateway.identity.essc import finish_flow, pending_flow, poll_qr

    state = session.get("essc_qr_state")
    flow = pending_flow(get_session(), state) if state else None
    if flow is None:
        session.pop("essc_qr_state", None)
        return {"status": "expired", "message": "二维码已过期，请刷新页面重新扫码。"}
    code = poll_qr(_essc_config(), flow.state)
    if code is None:
        return {"status": "pending"}
    session.pop("essc_qr_state", None)
    try:
        holder = finish_flow(get_session(), _essc_config(), flow, code)
    except IdentityError as exc:
        return {"status": "refused", "message": exc.message}, 400
    target = session.pop("essc_next", None) or url_for("auth.account")
    problem = _essc_sign_in(holder)
    if problem:
        return {"status": "refused", "message": problem}, 400
    return {"status": "done", "next": target}


# ---------------------------------------------------------------- credentials (LD/T 01 6.2.5 b)

CREDENTIAL_LABELS = {
    "password": "密码",
    "essc": "电子社保卡",
    "wechat": "微信",
    "alipay": "支付宝",
    "certificate": "数字证书",
}


@bp.route("/credentials", methods=["GET", "POST"])
@gate(Operation.ACCOUNT)
def credentials():
    """The person's ways to log in; unbinding one needs level 2 and never removes the last."""
    from gateway.identity.service import unbind_credential

    if request.method == "POST" and current_level() < 2:
        return redirect(url_for("auth.step_up", level=2, next=url_for("auth.credentials")))

    db = get_session()
    person = db.get(Person, current_identity().person_id)
    errors: list[tuple[str, str]] = []
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            errors.append(("credentials", "页面已过期，请重新提交。"))
        else:
            try:
                unbind_credential(db, person, int(request.form.get("credential_id", "0") or 0))
                factor_changed(db, person.id, FactorChange.UNBOUND)
                return redirect(url_for("auth.credentials"))
            except (IdentityError, ValueError) as exc:
                db.rollback()
                errors.append(("credentials", getattr(exc, "message", "没有找到该登录方式。")))
    return render_template(
        "web/credentials.html",
        form=form,
        errors=errors,
        credentials=sorted(person.credentials, key=lambda c: c.id),
        labels=CREDENTIAL_LABELS,
    ), (400 if errors else 200)
