"""Unit login with the unit's digital certificate (DESIGN "Identity": assurance level 3).

``GET /account/login/certificate`` issues a nonce (single use, 2 minutes) and shows the page whose script
(``static/js/ukey-login.js``) asks the USB key's middleware, a local HTTP service, to sign it;
``POST`` checks the signed nonce (:mod:`gateway.units.certificates`), opens the unit's account and starts
a unit session. Refusals are audited with their precise reason; the page only says the login failed.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField

from gateway.access.edge import begin_session
from gateway.access.needs import public
from gateway.catalog.model import Channel
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.request_db import get_session, keep_on_refusal
from gateway.security.headers import CSP
from gateway.security.limits import limiter
from gateway.units.certificates import (
    CertificateRefused,
    Refusal,
    consume_challenge,
    credit_code_of,
    new_challenge,
    parse_certificate,
    trust_store,
    verify_login,
)
from gateway.units.models import UnitAccount, UnitEventKind
from gateway.units.service import open_unit_account, record_unit_event

bp = Blueprint("auth_cert", __name__, url_prefix="/account")
log = logging.getLogger("shebao.auth.certificate")

EXPIRED_PAGE = "页面已过期，请重新点击“使用数字证书登录”。"


class CertLoginForm(FlaskForm):
    certificate = HiddenField()
    signature = HiddenField()


def ukey_url() -> str:
    """Where the browser reaches the USB-key middleware (the sandbox unless configured)."""
    settings = current_app.config["SETTINGS"]
    return (settings.ukey_url or settings.sandbox_url.rstrip("/") + "/ukey").rstrip("/")


def _page(form: CertLoginForm, errors: list[tuple[str, str]], status: int):
    nonce = new_challenge(get_session())
    session["unit_nonce"] = nonce
    parts = urlsplit(ukey_url())
    response = current_app.make_response(
        (render_template("web/unit/login.html", form=form, errors=errors, nonce=nonce, ukey_url=ukey_url()), status)
    )
    # The page's script may talk to the middleware's origin, and only to it (the rest of the policy stays).
    response.headers["Content-Security-Policy"] = f"{CSP}; connect-src 'self' {parts.scheme}://{parts.netloc}"
    return response


def _claimed_unit(certificate: str) -> tuple[int | None, str]:
    """The unit account and serial a refused certificate claims, when it parses (so the unit sees the attempt)."""
    try:
        cert = parse_certificate(certificate)
        serial = format(cert.serial_number, "x")
        code = credit_code_of(cert)
    except (CertificateRefused, ValueError):
        return None, "?"
    return get_session().scalar(select(UnitAccount.id).where(UnitAccount.credit_code == code)), serial


def _refuse(exc: CertificateRefused, certificate: str = ""):
    db = get_session()
    db.rollback()
    unit_id, serial = _claimed_unit(certificate) if certificate else (None, "?")
    record_unit_event(
        db,
        UnitEventKind.LOGIN_REFUSED,
        unit_id=unit_id,
        actor=f"cert:{serial}",
        reason=exc.reason.value,
        detail=exc.detail,
        ip=request.remote_addr,
    )
    keep_on_refusal()  # the refused login stays in the unit's log
    log.warning("certificate login refused", extra={"fields": {"why": exc.reason.value, "detail": exc.detail}})
    field = "cert-login-button"
    message = EXPIRED_PAGE if exc.reason is Refusal.NONCE_INVALID else exc.message
    return _page(CertLoginForm(formdata=None), [(field, message)], 400)


@bp.route("/login/certificate", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login_certificate():
    form = CertLoginForm()
    if request.method == "GET":
        return _page(form, [], 200)
    nonce = session.pop("unit_nonce", None)
    if not form.validate_on_submit():
        return _page(CertLoginForm(formdata=None), [("cert-login-button", EXPIRED_PAGE)], 400)
    db = get_session()
    try:
        # Use the nonce up first: a replayed answer fails here whatever else it carries.
        if not nonce or not consume_challenge(db, nonce):
            raise CertificateRefused(Refusal.NONCE_INVALID, "nonce unknown, expired or already used")
        holder = verify_login(form.certificate.data or "", form.signature.data or "", nonce, trust_store(_settings()))
        unit = open_unit_account(db, current_app.extensions["shebao_vault"], get_backoffice(), holder)
    except CertificateRefused as exc:
        return _refuse(exc, form.certificate.data or "")
    record_unit_event(
        db,
        UnitEventKind.LOGIN,
        unit_id=unit.id,
        actor=f"cert:{holder.serial}",
        # The whole serial is in ``actor``; the line a person reads stays short.
        detail=f"证书“{holder.subject_name[:60]}”，序列号尾号 {holder.serial[-8:]}",
        ip=request.remote_addr,
    )
    _start_unit_session(unit.id, holder.serial)
    log.info("unit login", extra={"fields": {"unit_id": unit.id, "method": "certificate"}})
    return redirect(url_for("units.home"))


def _settings():
    return current_app.config["SETTINGS"]


def _start_unit_session(unit_id: int, serial: str) -> None:
    """A fresh session (new id: no fixation) for the certificate holder, at assurance level 3."""
    begin_session(
        Channel.WEB,
        unit_id=unit_id,
        unit_cert=serial,
        auth_level=3,
        auth_methods=["certificate"],
        auth_at=int(time.time()),
    )
