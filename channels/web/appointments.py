"""Window appointments on the web in three steps: item → hall, date and time → confirm (LD/T 01 5.1)."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from channels.web.pages import ELDER_COOKIE
from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import gate, public
from gateway.appointments import service
from gateway.appointments.models import BookingStatus, Hall, Slot
from gateway.catalog import load_catalog
from gateway.catalog.life_events import is_citizen_item, load_life_events
from gateway.channel_policy import Operation
from gateway.proxies import service as proxies
from gateway.request_db import get_session
from gateway.validation import ValidationError, mask_name

bp = Blueprint("appointments", __name__, url_prefix="/appointments")


def _int_arg(name: str) -> int | None:
    raw = request.values.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError("invalid_parameter", "请求参数不正确，请从页面上重新选择。")
    return int(raw)


@dataclass(frozen=True)
class OnBehalf:
    """What the booking pages show of the grant a proxy books under."""

    id: int
    other_masked_name: str


def _on_behalf() -> OnBehalf | None:
    """The grant when the logged-in person books as someone's authorised proxy (Art. 30): the gate has already
    checked it and put the grantor on the Actor."""
    actor = current_actor()
    if actor.proxy_grant_id is None:
        return None
    return OnBehalf(actor.proxy_grant_id, mask_name(actor.on_behalf_of.name))


@bp.get("/")
@public(Operation.BOOK)  # step 1 of booking (for oneself, or for whom the ``for`` grant names)
def index():
    """Step 1: choose the item (and, for an authorised proxy, for whom). Also lists the person's bookings."""
    session = get_session()
    catalog = load_catalog()
    bookable = service.bookable_item_ids(session)
    # A citizen's list: employer items are booked from the unit area, never shown here (issue 15).
    items = [i for i in catalog.items if i.id in bookable and is_citizen_item(i)]
    who = current_identity()
    mine = service.bookings_of(session, who.person_id, made_by_me=True) if who else []
    suspended = service.suspension_among(mine, who.person_id, clock.today()) if who else None
    vault = current_app.extensions["shebao_vault"]
    principals = proxies.acting_for(session, vault, who.person_id, clock.now()) if who else []
    groups = load_life_events().group(items)
    if request.cookies.get(ELDER_COOKIE) == "1" and not request.args.get("all") and not principals:
        # 长辈版: fewer choices — the hall visits older people make most (retirement and pension, the card), each a
        # big button; every other item one tap away (``?all=1``). Someone who books for others gets the full page.
        few = [(event, its) for event, its in groups if event.id in ELDER_EVENTS]
        return render_template("web/elder/appointments.html", groups=few, mine=mine, suspended=suspended)
    return render_template(
        "web/appointments/index.html",
        groups=groups,
        mine=mine,
        suspended=suspended,
        principals=principals,
        on_behalf=_on_behalf(),
    )


#: The life events whose items 长辈版 offers first on the booking page (the MIIT 2021 rules: the few things most
#: done, first).
ELDER_EVENTS = ("retirement", "card")


@bp.get("/book")
@gate(Operation.BOOK, item="appointment-booking")
def choose_slot():
    """Step 2: choose the hall, then a date and time with places left."""
    item = load_catalog().get(request.args.get("item", ""))
    session = get_session()
    halls = service.halls_for_item(session, item.id)
    if not halls:
        abort(404)
    hall_id = _int_arg("hall") or halls[0].id
    hall = next((h for h in halls if h.id == hall_id), None)
    if hall is None:
        raise ValidationError("invalid_parameter", "该服务网点不办理此事项，请重新选择。")
    week = service.slots_for(session, hall.id, clock.now())
    return render_template(
        "web/appointments/choose.html",
        item=item,
        halls=halls,
        hall=hall,
        week=week,
        day=_chosen_day(week),
        now=clock.now(),
        on_behalf=_on_behalf(),
    )


def _chosen_day(week: list[service.DaySlots]) -> service.DaySlots | None:
    """Step 2 shows one day's times: the day asked for (?day=YYYY-MM-DD), else the first with places left."""
    asked = request.args.get("day", "")
    chosen = next((d for d in week if d.open and d.day.isoformat() == asked), None)
    return chosen or next((d for d in week if any(s.remaining > 0 for s in d.slots)), None)


@bp.get("/confirm")
@gate(Operation.BOOK, item="appointment-booking")
def confirm():
    """Step 3: check the details, then confirm."""
    item = load_catalog().get(request.args.get("item", ""))
    slot_id = _int_arg("slot")
    if slot_id is None:
        return _choose_again(item.id, "请选择预约时段。")
    session = get_session()
    slot = session.get(Slot, slot_id)
    if slot is None:
        return _choose_again(item.id, "没有找到该预约时段，请重新选择。")
    return render_template(
        "web/appointments/confirm.html",
        item=item,
        slot=slot,
        hall=session.get(Hall, slot.hall_id),
        on_behalf=_on_behalf(),
    )


def _choose_again(item_id: str, message: str):
    return redirect(
        url_for("appointments.choose_slot", item=item_id, error=message, **{"for": request.values.get("for")})
    )


@bp.post("/confirm")
@gate(Operation.BOOK, item="appointment-booking")
def book():
    item = load_catalog().get(request.form.get("item", ""))
    slot_id = _int_arg("slot")
    if slot_id is None:
        return _choose_again(item.id, "请选择预约时段。")
    session = get_session()
    actor = current_actor()
    on_behalf = _on_behalf()
    try:
        booking = service.book(
            session,
            person_id=actor.subject_id,
            item_id=item.id,
            slot_id=slot_id,
            now=clock.now(),
            channel=g.channel,
            booked_by=actor.person.person_id if actor.proxy_grant_id else None,
        )
    except service.BookingRefused as refused:
        slot = session.get(Slot, slot_id)
        hall = session.get(Hall, slot.hall_id) if slot else None
        return render_template(
            "web/appointments/confirm.html", item=item, slot=slot, hall=hall, refused=refused, on_behalf=on_behalf
        ), refused.status
    return redirect(url_for("appointments.detail", code=booking.code, new=1))


@bp.get("/<code>")
@gate(Operation.QUERY, item="appointment-booking")
def detail(code: str):
    view = service.booking_view(get_session(), current_identity().person_id, code)
    qr = segno.make(view.booking.code, error="m").svg_data_uri(scale=6, border=2)
    confirming = request.args.get("confirm") == "cancel" and view.booking.status is BookingStatus.BOOKED
    return render_template(
        "web/appointments/detail.html", v=view, qr=qr, new=request.args.get("new") == "1", confirming=confirming
    )


@bp.post("/<code>/cancel")
@gate(Operation.BOOK, item="appointment-cancel")
def cancel(code: str):
    """Cancel after the person confirmed it on the detail page (LD/T 01 5.3.2: a risky step is confirmed)."""
    session = get_session()
    if request.form.get("confirmed") != "1":
        return redirect(url_for("appointments.detail", code=code, confirm="cancel") + "#cancel")
    try:
        service.cancel(session, person_id=current_identity().person_id, code=code, now=clock.now())
    except service.BookingRefused as refused:
        view = service.booking_view(session, current_identity().person_id, code)
        qr = segno.make(view.booking.code, error="m").svg_data_uri(scale=6, border=2)
        return render_template("web/appointments/detail.html", v=view, qr=qr, refused=refused), refused.status
    return redirect(url_for("appointments.detail", code=code, cancelled=1))
