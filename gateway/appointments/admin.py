"""What administrators change about halls: the items they serve, their windows, weekly slot templates and
one-off closures.

Closing a day that already has bookings cancels them and tells each person, in the same transaction as the
closure, so nobody travels to a closed hall and no booking disappears without a message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

import notify
from gateway import clock
from gateway.appointments import rules
from gateway.appointments.models import (
    Booking,
    BookingStatus,
    Closure,
    Hall,
    HallItem,
    Slot,
    SlotTemplate,
    Window,
)
from gateway.appointments.service import BookingRefused, _fit, free_seats
from gateway.catalog import HandlingKind, load_catalog
from gateway.catalog.model import ServiceItem

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
MAX_CAPACITY = 200
SLOT_MINUTES = (15, 20, 30, 60)


@dataclass(frozen=True)
class TemplateInput:
    weekday: int
    start: time
    end: time
    slot_minutes: int
    capacity: int


def check_template(value: TemplateInput) -> list[tuple[str, str]]:
    """Every problem with a new weekly template, each tied to its form field (all at once)."""
    problems = []
    if not 0 <= value.weekday <= 6:
        problems.append(("weekday", "请选择星期几。"))
    if value.slot_minutes not in SLOT_MINUTES:
        problems.append(("slot_minutes", "每个时段的长度应为 15、20、30 或 60 分钟。"))
    if value.end <= value.start:
        problems.append(("end", "结束时间应晚于开始时间。"))
    elif value.slot_minutes in SLOT_MINUTES and not rules.slot_times(value.start, value.end, value.slot_minutes):
        problems.append(("end", "开始到结束的时长不足一个时段。"))
    if not 1 <= value.capacity <= MAX_CAPACITY:
        problems.append(("capacity", f"每个时段可预约人数应为 1 至 {MAX_CAPACITY}。"))
    return problems


def add_template(session: Session, hall_id: int, value: TemplateInput) -> SlotTemplate:
    """Add a weekly template; days whose slots are already open keep them (it applies to days opened later).
    Does not commit."""
    overlapping = session.scalars(
        select(SlotTemplate).where(
            SlotTemplate.hall_id == hall_id,
            SlotTemplate.weekday == value.weekday,
            SlotTemplate.start < value.end,
            SlotTemplate.end > value.start,
        )
    ).first()
    if overlapping is not None:
        raise BookingRefused(
            "template_overlaps",
            f"与已有的{WEEKDAYS[value.weekday]} {overlapping.start:%H:%M}-{overlapping.end:%H:%M} 时段重叠。",
        )
    template = SlotTemplate(
        hall_id=hall_id,
        weekday=value.weekday,
        start=value.start,
        end=value.end,
        slot_minutes=value.slot_minutes,
        capacity=value.capacity,
    )
    session.add(template)
    session.flush()
    return template


def remove_template(session: Session, hall_id: int, template_id: int) -> SlotTemplate:
    """Remove a weekly template (already opened slots and their bookings stay). Does not commit."""
    template = session.get(SlotTemplate, template_id)
    if template is None or template.hall_id != hall_id:
        raise BookingRefused("no_such_template", "没有找到该时段模板。", 404)
    session.delete(template)
    return template


def active_bookings_on(session: Session, hall_id: int, day: date) -> int:
    """How many people hold a booking at the hall on ``day``."""
    return len(
        session.scalars(
            select(Booking.id)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.hall_id == hall_id, Slot.day == day, Booking.status == BookingStatus.BOOKED)
        ).all()
    )


def close_day(session: Session, hall_id: int, day: date, reason: str, *, now: datetime) -> int:
    """Close the hall on ``day``: no more bookings, the existing ones cancelled with a message to each person.
    Returns how many bookings were cancelled. Does not commit (the caller commits with its audit entry).
    ``now`` is an instant (a naive value is Beijing wall-clock time)."""
    at, now = clock.utc(now), clock.wall(now)
    reason = reason.strip()
    if not reason or len(reason) > 60:
        raise BookingRefused("bad_reason", "请填写闭厅原因（60 字以内），它会告知已预约的群众。")
    if day <= now.date():
        raise BookingRefused("past_day", "只能设置明天及以后的闭厅日期；当天闭厅请在大厅现场公告并电话通知。")
    if session.scalar(select(Closure.id).where(Closure.hall_id == hall_id, Closure.day == day)) is not None:
        raise BookingRefused("already_closed", "该日期已设置为闭厅。")
    session.add(Closure(hall_id=hall_id, day=day, reason=reason))
    day_slots = select(Slot.id).where(Slot.hall_id == hall_id, Slot.day == day).scalar_subquery()
    # First freeze the day's slots (capacity = booked): a booking racing this closure now finds them full,
    # and on PostgreSQL it waits on these row locks until we commit.
    session.execute(update(Slot).where(Slot.id.in_(day_slots)).values(capacity=Slot.booked))
    victims = list(
        session.execute(
            select(Booking, Slot)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.hall_id == hall_id, Slot.day == day, Booking.status == BookingStatus.BOOKED)
        )
    )
    catalog = load_catalog()
    free_seats(session, [booking.id for booking, _ in victims])
    for booking, slot in victims:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = at
        notify.enqueue(
            session,
            person_id=booking.person_id,
            kind=notify.MessageKind.APPOINTMENT_CANCELLED,
            template="appointment_cancelled",
            params={
                "item": _fit(catalog.get(booking.item_id).name),
                "time": f"{slot.day:%m月%d日}{slot.start:%H:%M}-{slot.end:%H:%M}",
                "reason": _fit(f"大厅闭厅：{reason}"),
            },
            idempotency_key=f"booking:{booking.code}:cancelled",
        )
    session.flush()
    session.execute(update(Slot).where(Slot.id.in_(day_slots)).values(booked=0, capacity=0))
    return len(victims)


def reopen_day(session: Session, hall_id: int, closure_id: int) -> Closure:
    """Remove a closure: the day's slots open again with their templates' capacity. Does not commit."""
    closure = session.get(Closure, closure_id)
    if closure is None or closure.hall_id != hall_id:
        raise BookingRefused("no_such_closure", "没有找到该闭厅记录。", 404)
    # The closure froze the day's slots at zero; they get their template's capacity back (cancelled bookings
    # still point at them, so they are kept rather than made afresh).
    for slot in session.scalars(select(Slot).where(Slot.hall_id == hall_id, Slot.day == closure.day)):
        template = session.scalars(
            select(SlotTemplate).where(
                SlotTemplate.hall_id == hall_id,
                SlotTemplate.weekday == closure.day.weekday(),
                SlotTemplate.start <= slot.start,
                SlotTemplate.end >= slot.end,
            )
        ).first()
        slot.capacity = template.capacity if template else 0
    session.delete(closure)
    return closure


def window_items() -> list[ServiceItem]:
    """The catalog items a hall can serve at a window: everything that is not finished online at once."""
    return [item for item in load_catalog().items if item.handling_kind is not HandlingKind.INSTANT]


def set_items(session: Session, hall_id: int, item_ids: set[str]) -> tuple[set[str], set[str]]:
    """Make the hall serve exactly ``item_ids``; returns (added, removed). Existing bookings for a removed item
    are kept (those people are still served); only new bookings stop. Does not commit."""
    allowed = {item.id for item in window_items()}
    unknown = item_ids - allowed
    if unknown:
        raise BookingRefused("unknown_item", "所选事项不在可预约事项清单中，请刷新页面后重新选择。", 400)
    if not item_ids:
        raise BookingRefused("no_items", "网点至少要办理一个事项。", 400)
    current = set(session.scalars(select(HallItem.item_id).where(HallItem.hall_id == hall_id)))
    added, removed = item_ids - current, current - item_ids
    for item_id in added:
        session.add(HallItem(hall_id=hall_id, item_id=item_id))
    if removed:
        session.execute(delete(HallItem).where(HallItem.hall_id == hall_id, HallItem.item_id.in_(removed)))
    session.flush()
    return added, removed


def windows_of(session: Session, hall_id: int) -> list[Window]:
    return list(session.scalars(select(Window).where(Window.hall_id == hall_id).order_by(Window.number)))


def add_window(session: Session, hall_id: int, *, appointments_only: bool) -> Window:
    """Open the hall's next window number. Does not commit."""
    last = session.scalar(select(func.max(Window.number)).where(Window.hall_id == hall_id)) or 0
    window = Window(hall_id=hall_id, number=last + 1, appointments_only=appointments_only)
    session.add(window)
    session.flush()
    return window


def set_appointments_only(session: Session, hall_id: int, window_id: int, value: bool) -> Window:
    """Dedicate a window to people with appointments, or open it to everyone (LD/T 01 5.1 c). Does not commit."""
    window = session.get(Window, window_id)
    if window is None or window.hall_id != hall_id:
        raise BookingRefused("no_such_window", "没有找到该窗口。", 404)
    if not value and window.appointments_only:
        others = [w for w in windows_of(session, hall_id) if w.appointments_only and w.id != window.id]
        if not others:
            # LD/T 01 5.1 c: a hall taking appointments keeps at least one window for them.
            raise BookingRefused("last_appointment_window", "至少要保留一个预约专用窗口（LD/T 01 5.1 c）。")
    window.appointments_only = value
    session.flush()
    return window


#: GCJ-02 is defined for mainland China only; a place outside these bounds is a typing error (or WGS-84 swapped).
LATITUDES = (3.0, 54.0)
LONGITUDES = (73.0, 136.0)


def _degrees(text: str, bounds: tuple[float, float], what: str) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise BookingRefused("invalid_place", f"请按小数度数填写{what}，例如 34.362186。", 400) from None
    if not bounds[0] <= value <= bounds[1]:
        raise BookingRefused("invalid_place", f"{what}应在 {bounds[0]:g} 至 {bounds[1]:g} 之间（中国境内）。", 400)
    return round(value, 6)


def set_place(session: Session, hall: Hall, latitude: str, longitude: str) -> Hall:
    """Place the hall on the map in GCJ-02 (what wx.openLocation and China's maps take), or clear its place when
    both are empty. Does not commit."""
    if not (latitude or "").strip() and not (longitude or "").strip():
        hall.latitude = hall.longitude = None
    else:
        hall.latitude = _degrees(latitude, LATITUDES, "纬度")
        hall.longitude = _degrees(longitude, LONGITUDES, "经度")
    session.flush()
    return hall
