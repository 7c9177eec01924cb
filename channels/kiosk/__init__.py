"""The self-service kiosk in a service hall (1080×1920 touch screen, card reader, printer).

A kiosk is installed at one hall, so its pages live under ``/kiosk/<hall code>/``: appointment check-in and
queue tickets for anyone; after a social security card + PIN or e-SSC QR login (level 3), the person's
inbox, today's appointments and a printed proof of insurance (``me.py``). The session dies 90 idle seconds
after the last touch, with a visible countdown, and 10 minutes after login at the latest (DESIGN
"Identity", kiosk policy in :mod:`gateway.channel_policy`).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from gateway import clock
from gateway.access.edge import current_identity
from gateway.access.needs import public
from gateway.appointments import service
from gateway.appointments.models import Hall
from gateway.catalog import Channel
from gateway.channel_policy import Operation, policy_for
from gateway.identity.service import Identity
from gateway.request_db import get_session
from gateway.security.headers import CSP

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")


def _hall(code: str) -> Hall:
    hall = get_session().scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        abort(404)
    return hall


def bridge_url() -> str:
    """Where the kiosk page finds its card-reader bridge (a loopback service; the sandbox by default)."""
    settings = current_app.config["SETTINGS"]
    return (settings.kiosk_bridge_url or settings.sandbox_url + "/card-reader").rstrip("/")


def printer_url() -> str:
    """The kiosk's ticket-printer bridge: the same loopback service as the card reader's, under ``/printer``."""
    parts = urlsplit(bridge_url())
    return f"{parts.scheme}://{parts.netloc}/printer"


def kiosk_identity(hall_code: str) -> Identity | None:
    """The person logged in at this hall's kiosk, or None (the Actor counts no other channel's session, nor
    another hall's)."""
    who = current_identity()
    return who if who is not None and session.get("kiosk_hall") == hall_code else None


@bp.context_processor
def _kiosk_policy():
    policy = policy_for(Channel.KIOSK)
    left = None
    if session.get("kiosk_hall") and session.get("auth_at"):
        # The absolute limit runs from login; the page leaves on its own when it is reached.
        left = max(0, int(session["auth_at"]) + policy.absolute_timeout_s - int(time.time()))
    logged_in_hall = session.get("kiosk_hall") if current_identity() is not None else None
    return {
        "idle_seconds": policy.idle_timeout_s,
        "session_seconds_left": left,
        "kiosk_hall": logged_in_hall,
        # 长辈版 (Regulation Art. 30): kept through a login, dropped when the person is finished (end_session).
        "kiosk_elder": session.get("elder") is True,
    }


@bp.after_request
def _bridge_csp(response):
    # The card-login script talks to the reader's bridge, another origin: allow exactly that one.
    parts = urlsplit(bridge_url())
    origin = f"{parts.scheme}://{parts.netloc}"
    response.headers.setdefault(
        "Content-Security-Policy",
        CSP.replace("default-src 'self';", f"default-src 'self'; connect-src 'self' {origin};"),
    )
    return response


@bp.get("/")
@public(Operation.QUERY)
def index():
    halls = list(get_session().scalars(select(Hall).order_by(Hall.code)))
    return render_template("kiosk/halls.html", halls=halls)


@bp.get("/<hall_code>/")
@public(Operation.QUERY)
def home(hall_code: str):
    hall = _hall(hall_code)
    return render_template("kiosk/home.html", hall=hall, who=kiosk_identity(hall.code))


@bp.post("/<hall_code>/elder")
@public(Operation.QUERY)
def elder(hall_code: str):
    """Switch the kiosk's elder mode (长辈版: larger type, higher contrast) for whoever stands here now; "完成",
    logging out or the idle timeout ends it for the next person."""
    hall = _hall(hall_code)
    session["elder"] = request.form.get("on") == "1"
    return redirect(url_for("kiosk.home", hall_code=hall.code))


def _check_in_page(hall: Hall, error: str | None = None, code: str = "") -> str:
    # The on-screen keypad offers the booking code's own characters (no 0/O, 1/I/L), in keyboard order of
    # digits then letters, so a kiosk without a physical keyboard can type any code.
    return render_template("kiosk/check_in.html", hall=hall, error=error, code=code,
                           keys=list(service.CODE_ALPHABET), code_length=service.CODE_LENGTH)  # fmt: skip


@bp.route("/<hall_code>/check-in", methods=["GET", "POST"])
@public(Operation.BOOK)
def check_in(hall_code: str):
    hall = _hall(hall_code)
    if request.method == "GET":
        return _check_in_page(hall)
    code = (request.form.get("code") or "").strip()
    if not code or len(code) > 12:
        return _check_in_page(hall, error="请扫描预约二维码或输入 8 位预约码。"), 400
    try:
        view = service.check_in(get_session(), code=code, hall_id=hall.id, now=clock.now())
    except service.BookingRefused as refused:
        return _check_in_page(hall, error=refused.message, code=code), refused.status
    return redirect(url_for("kiosk.ticket", hall_code=hall.code, code=view.booking.code))


@bp.get("/<hall_code>/ticket/<code>")
@public(Operation.QUERY)
def ticket(hall_code: str, code: str):
    """The printable queue ticket (the kiosk prints this page)."""
    hall = _hall(hall_code)
    view = service.ticket_view(get_session(), code=code, hall_id=hall.id)
    if view is None:
        abort(404)
    return render_template("kiosk/ticket.html", hall=hall, v=view, printed_at=clock.now(), printer=printer_url())


from channels.kiosk import login, me  # noqa: E402,F401  (their routes join the blueprint)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
