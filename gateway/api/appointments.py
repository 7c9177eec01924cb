"""``/api/v1/appointments``: halls, slots, book, cancel and my bookings (mini-program, kiosk, hotline).

Check-in is done on the hall kiosk's own page (``/kiosk/<hall>/check-in``), not through this API.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from gateway.appointments import service
from gateway.appointments.models import Hall
from gateway.catalog import load_catalog
from gateway.clock import local_now
from gateway.db import get_session
from gateway.problems import UserError

bp = Blueprint("api_appointments", __name__, url_prefix="/api/v1/appointments")


def _identity():
    """The caller: a bearer token (mini-program, kiosk) or, for the web's own scripts, the session cookie."""
    from gateway import csrf
    from gateway.api.auth import bearer_identity
    from gateway.identity.current import current_identity

    bearer = bearer_identity()
    if bearer is not None:
        return bearer[0]
    who = current_identity()
    if who is None:
        raise UserError("login_required", "请先登录。", 401)
    if request.method == "POST":
        csrf.protect()  # a write carried by a cookie needs the page's CSRF token (X-CSRFToken)
    return who


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError("bad_request", "请求内容应为 JSON 对象。", 400)
    return data


#: Database ids are 32-bit: anything larger is not an id (and would overflow the driver).
MAX_ID = 2**31 - 1


def _int_field(data: dict, name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise UserError("invalid_parameter", f"参数 {name} 应为正整数。", 400)
    return value


def _hall_json(hall: Hall) -> dict:
    return {
        "id": hall.id,
        "name": hall.name,
        "address": hall.address,
        "phone": hall.phone,
        "hours": hall.hours,
        "map_url": hall.map_url,
    }


def _booking_json(v: service.BookingView) -> dict:
    return {
        "code": v.booking.code,
        "status": v.booking.status.value,
        "status_label": v.booking.status.label,
        "item": {"id": v.booking.item_id, "name": v.item_name},
        "hall": _hall_json(v.hall),
        "day": v.slot.day.isoformat(),
        "start": v.slot.start.strftime("%H:%M"),
        "end": v.slot.end.strftime("%H:%M"),
        "ticket": v.booking.ticket,
        "priority": v.booking.priority,
    }


@bp.get("/halls")
def halls():
    item = load_catalog().get(request.args.get("item", ""))
    return jsonify({"halls": [_hall_json(h) for h in service.halls_for_item(get_session(), item.id)]})


@bp.get("/slots")
def slots():
    raw = request.args.get("hall", "")
    if not raw.isdigit() or len(raw) > 9:
        raise UserError("invalid_parameter", "参数 hall 应为服务网点编号。", 400)
    session = get_session()
    hall = session.get(Hall, int(raw))
    if hall is None:
        raise UserError("no_such_hall", "没有找到该服务网点。", 404)
    week = service.slots_for(session, hall.id, local_now())
    return jsonify(
        {
            "hall": _hall_json(hall),
            "days": [
                {
                    "day": d.day.isoformat(),
                    "open": d.open,
                    "slots": [
                        {
                            "id": s.id,
                            "start": s.start.strftime("%H:%M"),
                            "end": s.end.strftime("%H:%M"),
                            "capacity": s.capacity,
                            "remaining": s.remaining,
                        }
                        for s in d.slots
                    ],
                }
                for d in week
            ],
        }
    )


@bp.get("")
def mine():
    who = _identity()
    return jsonify({"bookings": [_booking_json(v) for v in service.bookings_of(get_session(), who.person_id)]})


@bp.post("")
def book():
    who = _identity()
    data = _json_body()
    item = load_catalog().get(str(data.get("item", "")))
    session = get_session()
    booking = service.book(
        session,
        person_id=who.person_id,
        item_id=item.id,
        slot_id=_int_field(data, "slot"),
        now=local_now(),
        channel=g.channel,
    )
    return jsonify(_booking_json(service.booking_view(session, who.person_id, booking.code))), 201


@bp.post("/<code>/cancel")
def cancel(code: str):
    who = _identity()
    session = get_session()
    service.cancel(session, person_id=who.person_id, code=code, now=local_now())
    return jsonify(_booking_json(service.booking_view(session, who.person_id, code)))


@bp.post("/<code>/check-in")
def check_in(code: str):
    """Check in at the hall (a kiosk or the mini-program at the door): the booking must be the caller's, at that
    hall, within the check-in window; the answer carries the queue ticket."""
    who = _identity()
    data = _json_body()
    session = get_session()
    hall = session.scalar(select(Hall).where(Hall.code == str(data.get("hall", ""))[:16]))
    if hall is None:
        raise UserError("no_such_hall", "没有找到该服务网点。", 404)
    service.booking_view(session, who.person_id, code)  # someone else's code: "no such booking"
    view = service.check_in(session, code=code, hall_id=hall.id, now=local_now())
    return jsonify(_booking_json(view))


def init_app(app) -> None:
    from gateway import csrf

    # CSRF is checked in _identity() for cookie-carried writes only: bearer tokens are not sent by browsers.
    csrf.exempt(bp)
    app.register_blueprint(bp)
