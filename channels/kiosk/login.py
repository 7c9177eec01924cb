"""Kiosk login: social security card + PIN through the reader's bridge, or the e-SSC QR (both level 3).

The card page's script (static/js/kiosk-card.js) asks the bridge to read the card, the holder types the
PIN on the reader's keypad, and the script posts the bridge's signed result here: the gateway checks the
kiosk's signature, timestamp and nonce (gateway/kiosk/devices.py), then the card and PIN verdict
(gateway/identity/kiosk_card.py). The e-SSC QR reuses the web's relying party (gateway/identity/essc.py).
"""

from __future__ import annotations

import logging
import time

from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from channels.kiosk import _hall, bp, bridge_url
from gateway.access.edge import begin_session, current_identity, end_session
from gateway.access.needs import public
from gateway.catalog.model import Channel
from gateway.channel_policy import LoginMethod, Operation
from gateway.clients import get_backoffice
from gateway.identity.kiosk_card import CHANNEL, CardReading, card_login
from gateway.identity.models import EventKind
from gateway.identity.service import Identity, IdentityError, identity_of, record_event
from gateway.kiosk.devices import verify
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.csrf import csrf
from gateway.security.limits import limiter

log = logging.getLogger("shebao.kiosk")


def start_kiosk_session(identity: Identity, hall_code: str, method: LoginMethod) -> None:
    """A fresh session (new id, no fixation) bound to this hall's kiosk at level 3."""
    begin_session(
        Channel.KIOSK,
        person_id=identity.person_id,
        auth_level=3,
        auth_methods=[method.value],
        auth_at=int(time.time()),
        kiosk_hall=hall_code,
    )


#: HTTP status of each card-login refusal (the rest, e.g. an unknown card, are 403).
CARD_REFUSALS = {"bad_card_read": 400, "wrong_pin": 401, "card_locked": 423, "card_pin_blocked": 423}


def _refused(code: str, message: str, status: int):
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.get("/<hall_code>/login/card")
@public(Operation.LOGIN)
def card_page(hall_code: str):
    hall = _hall(hall_code)
    return render_template("kiosk/login_card.html", hall=hall, bridge=bridge_url())


@bp.post("/<hall_code>/login/card")
@public(Operation.LOGIN)
@limiter.limit("30 per minute")
def card_submit(hall_code: str):
    """Accept the bridge's signed card-read result (JSON ``{payload, signature}``); never a PIN."""
    hall = _hall(hall_code)
    body = request.get_json(silent=True) or {}
    db = get_session()
    try:
        device, payload = verify(db, hall.id, body.get("payload"), body.get("signature"))
        reading = CardReading.from_payload(payload)
        identity = card_login(
            db, current_app.extensions["shebao_vault"], get_backoffice(), reading,
            device_id=device.device_id, ip=request.remote_addr,
        )  # fmt: skip
    except UserError as exc:
        db.rollback()
        log.warning("kiosk card login refused", extra={"fields": {"why": exc.code, "hall": hall.code}})
        return _refused(exc.code, exc.message, exc.status)
    except IdentityError as exc:
        db.rollback()
        log.warning("kiosk card login refused", extra={"fields": {"why": exc.code, "hall": hall.code}})
        return _refused(exc.code, exc.message, CARD_REFUSALS.get(exc.code, 403))
    start_kiosk_session(identity, hall.code, LoginMethod.CARD_PIN)
    return jsonify({"next": url_for("kiosk.me_home", hall_code=hall.code)})


# ---------------------------------------------------------------- e-SSC QR on the kiosk


def _essc_config():
    from gateway.identity.essc import config_from

    # The same relying-party registration as the web site: one redirect URI for the platform.
    return config_from(current_app.config["SETTINGS"], url_for("auth.essc_callback", _external=True))


@bp.get("/<hall_code>/login/qr")
@public(Operation.LOGIN)
def qr_page(hall_code: str):
    """Show a QR of a fresh e-SSC authorization request; static/js/essc-qr.js polls until approved."""
    import segno

    from gateway.identity.essc import start_flow

    hall = _hall(hall_code)
    flow, url = start_flow(get_session(), _essc_config(), "qr", CHANNEL)
    session["kiosk_qr_state"] = flow.state
    qr = segno.make(url, error="m").svg_data_uri(scale=6, border=2)
    return render_template("kiosk/login_qr.html", hall=hall, qr=qr, seconds=120)


@bp.get("/<hall_code>/login/qr/status")
@public(Operation.LOGIN)
@limiter.limit("60 per minute")
def qr_status(hall_code: str):
    from gateway.identity.essc import finish_flow, pending_flow, person_for_holder, poll_qr

    hall = _hall(hall_code)
    state = session.get("kiosk_qr_state")
    flow = pending_flow(get_session(), state) if state else None
    if flow is None:
        session.pop("kiosk_qr_state", None)
        return {"status": "expired", "message": "二维码已过期，请返回重新扫码。"}
    code = poll_qr(_essc_config(), flow.state)
    if code is None:
        return {"status": "pending"}
    session.pop("kiosk_qr_state", None)
    db = get_session()
    vault = current_app.extensions["shebao_vault"]
    try:
        holder = finish_flow(db, _essc_config(), flow, code)
        person = person_for_holder(db, vault, get_backoffice(), holder, CHANNEL)
    except IdentityError as exc:
        db.rollback()
        return {"status": "refused", "message": exc.message}, 400
    record_event(db, EventKind.LOGIN, person_id=person.id, method=LoginMethod.ESSC_QR.value, channel=CHANNEL,
                 ip=request.remote_addr, detail=f"网点 {hall.code}")  # fmt: skip
    start_kiosk_session(identity_of(vault, person), hall.code, LoginMethod.ESSC_QR)
    return {"status": "done", "next": url_for("kiosk.me_home", hall_code=hall.code)}


def _end_kiosk_session(hall_code: str) -> None:
    """Log the person out (if anyone is logged in), delete their printouts and drop the whole session."""
    from channels.kiosk.me import forget_prints

    who = current_identity()
    if who is not None:
        record_event(get_session(), EventKind.LOGOUT, person_id=who.person_id, channel=CHANNEL,
                     ip=request.remote_addr, detail=f"网点 {hall_code}")  # fmt: skip
    forget_prints()
    end_session()


@bp.post("/<hall_code>/logout")
@public(Operation.LOGIN)
@csrf.exempt  # a forced logout harms nobody, and the idle countdown must log out even after the session died
def logout(hall_code: str):
    """Log out (the button, or the idle countdown running out) and go back to the kiosk's start."""
    hall = _hall(hall_code)
    _end_kiosk_session(hall.code)
    return redirect(url_for("kiosk.home", hall_code=hall.code))


@bp.post("/<hall_code>/done")
@public(Operation.LOGIN)
@csrf.exempt  # like logout: ending a session harms nobody, and it must work even after the session died
def done(hall_code: str):
    """ "完成" on any kiosk screen: whoever stands here is finished — end the session at once (no waiting for
    the idle countdown) and show the card screen for the next person."""
    hall = _hall(hall_code)
    _end_kiosk_session(hall.code)
    return redirect(url_for("kiosk.card_page", hall_code=hall.code))
