"""Web login (ID number + password for now; every other method arrives with the identity issue)."""

from __future__ import annotations

import logging
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from gateway.db import get_session
from gateway.identity.models import Person
from gateway.identity.service import Identity, check_password
from gateway.security.limits import limiter
from gateway.validation import ValidationError, mask_id_number, normalize_id_number

bp = Blueprint("auth", __name__, url_prefix="/account")
log = logging.getLogger("shebao.auth")


class LoginForm(FlaskForm):
    id_number = StringField("身份证号码", validators=[InputRequired("请输入身份证号码。")])
    password = PasswordField("密码", validators=[InputRequired("请输入密码。")])


def current_identity() -> Identity | None:
    """The logged-in person of this request, loaded once from the session's person id."""
    if "identity" in g:
        return g.identity
    g.identity = None
    person_id = session.get("person_id")
    if person_id is not None:
        person = get_session().get(Person, person_id)
        if person is not None:
            vault = current_app.extensions["shebao_vault"]
            g.identity = Identity(
                person_id=person.id,
                id_number=vault.decrypt(person.id_number_enc),
                name=vault.decrypt(person.name_enc),
            )
    return g.identity


def login_required(view):
    """Send anonymous visitors to the login page, then back to where they were going."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_identity() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    # Only local paths: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    form = LoginForm()
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        try:
            id_number = normalize_id_number(form.id_number.data or "")
        except ValidationError as exc:
            errors.append(("id_number", exc.message))
        else:
            identity = check_password(
                get_session(), current_app.extensions["shebao_vault"], id_number, form.password.data
            )
            if identity is None:
                # One message for an unknown person and a wrong password: no user enumeration.
                errors.append(("password", "身份证号码或密码不正确。"))
                log.info("login failed", extra={"fields": {"who": mask_id_number(id_number)}})
            else:
                session.clear()  # a fresh session at login (no fixation)
                session["person_id"] = identity.person_id
                session["auth_level"] = 1
                session.permanent = False
                log.info("login", extra={"fields": {"person_id": identity.person_id, "method": "password"}})
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        for name, field_errors in form.errors.items():
            for message in field_errors:
                errors.append((name if name != "csrf_token" else "id_number", _csrf_message(name, message)))
    status = 400 if errors else 200
    return render_template("web/login.html", form=form, errors=errors), status


def _csrf_message(field: str, message: str) -> str:
    return "页面已过期，请重新提交。" if field == "csrf_token" else message


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("pages.home"))


@bp.get("/")
@login_required
def account():
    identity = current_identity()
    return render_template("web/account.html", identity=identity)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _identity():
        return {"current_identity": current_identity}
