"""The self-service kiosk in a service hall (1080×1920 touch screen): check-in for appointments, queue tickets.

A kiosk is installed at one hall, so its pages live under ``/kiosk/<hall code>/``. Pages return to the
kiosk's start screen after 90 idle seconds with a visible countdown (DESIGN "Identity", kiosk policy).
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.appointments import service
from gateway.appointments.models import Hall
from gateway.catalog import Channel
from gateway.channel_policy import policy_for
from gateway.clock import local_now
from gateway.db import get_session

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")


def _hall(code: str) -> Hall:
    hall = get_session().scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        abort(404)
    return hall


@bp.context_processor
def _kiosk_policy():
    return {"idle_seconds": policy_for(Channel.KIOSK).idle_timeout_s}


@bp.get("/")
def index():
    halls = list(get_session().scalars(select(Hall).order_by(Hall.code)))
    return render_template("kiosk/halls.html", halls=halls)


@bp.get("/<hall_code>/")
def home(hall_code: str):
    return render_template("kiosk/home.html", hall=_hall(hall_code))


@bp.route("/<hall_code>/check-in", methods=["GET", "POST"])
def check_in(hall_code: str):
    hall = _hall(hall_code)
    if request.method == "GET":
        return render_template("kiosk/check_in.html", hall=hall)
    code = (request.form.get("code") or "").strip()
    if not code or len(code) > 12:
        return render_template("kiosk/check_in.html", hall=hall, error="请扫描预约二维码或输入 8 位预约码。"), 400
    try:
        view = service.check_in(get_session(), code=code, hall_id=hall.id, now=local_now())
    except service.BookingRefused as refused:
        return render_template("kiosk/check_in.html", hall=hall, error=refused.message, code=code), refused.status
    return redirect(url_for("kiosk.ticket", hall_code=hall.code, code=view.booking.code))


@bp.get("/<hall_code>/ticket/<code>")
def ticket(hall_code: str, code: str):
    """The printable queue ticket (the kiosk prints this page)."""
    hall = _hall(hall_code)
    view = service.ticket_view(get_session(), code=code, hall_id=hall.id)
    if view is None:
        abort(404)
    return render_template("kiosk/ticket.html", hall=hall, v=view, printed_at=local_now())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
