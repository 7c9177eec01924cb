"""Booking, cancelling and checking in. Every function takes a SQLAlchemy session and flushes; its caller (the
request boundary, a job, a CLI command) commits, so a refusal leaves nothing behind.

Capacity is never checked in Python and then written: a slot is taken by one conditional UPDATE
(``booked = booked + 1 WHERE booked < capacity``), and "one active booking per person per item" is a
partial unique index, and "at most three active bookings per person" is a seat of the person's taken by an
INSERT the primary key (person, seat) refuses once all three are held — all hold on SQLite and PostgreSQL however
many workers race. The booking and its
notification are written in the same transaction (notify's outbox), so neither exists without the other.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import notify
from gateway import clock
from gateway.actor import Actor
from gateway.appointments import rules
from gateway.appointments.models import (
    Booking,
    BookingSeat,
    BookingStatus,
    Closure,
    Hall,
    HallItem,
    QueueCounter,
    Slot,
    SlotTemplate,
)
from gateway.catalog import Channel, load_catalog
from gateway.identity.service import record_operation
from gateway.problems import UserError
from gateway.proxies import service as proxies
from gateway.proxies.models import ProxyScope
from gateway.workdays import WorkCalendar, default_calendar

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L: read aloud at a window
#: The characters a booking code is made of (the kiosk's on-screen keypad offers exactly these).
CODE_ALPHABET = _CODE_ALPHABET
#: How long a booking code is.
CODE_LENGTH = 8


class BookingRefused(UserError):
    """A booking, cancellation or check-in that cannot be done, with the reason for the person."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True, slots=True)
class WeekSlot:
    """One slot of a listed week, read as plain columns: a week is some 70 slots, and making an ORM object of
    each was a fifth of the slot list, the opening morning's most frequent request (issue 18)."""

    id: int
    hall_id: int
    day: date
    start: time
    end: time
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


@dataclass(frozen=True)
class DaySlots:
    day: date
    open: bool
    slots: list[WeekSlot]


def _upsert_ignore(session: Session, table, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either database (slots may be opened by two requests at once)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    session.execute(dialect_insert(table).values(rows).on_conflict_do_nothing())


def halls_for_item(session: Session, item_id: str) -> list[Hall]:
    return list(
        session.scalars(
            select(Hall)
            .join(HallItem, HallItem.hall_id == Hall.id)
            .where(HallItem.item_id == item_id)
            .order_by(Hall.id)
        )
    )


# The statements of the hot pages are built once, with bind parameters: building a select (and its cache key)
# cost 50–300 µs, more than running it, on every look at the booking page and a hall's week (issue 18).
_BOOKABLE = select(HallItem.item_id).distinct()
_DAYS = bindparam("days", expanding=True)
_WEEK = (
    select(Slot.id, Slot.hall_id, Slot.day, Slot.start, Slot.end, Slot.capacity, Slot.booked)
    .where(Slot.hall_id == bindparam("hall_id"), Slot.day.in_(_DAYS))
    .order_by(Slot.day, Slot.start)
)
_CLOSED = select(Closure.day).where(Closure.hall_id == bindparam("hall_id"), Closure.day.in_(_DAYS))
_TEMPLATES = select(SlotTemplate).where(SlotTemplate.hall_id == bindparam("hall_id"))


def bookable_item_ids(session: Session) -> set[str]:
    return set(session.scalars(_BOOKABLE))


def open_slots(session: Session, hall_id: int, days: list[date], calendar: WorkCalendar | None = None) -> set[date]:
    """Make the slots of ``days`` from the hall's weekly templates, on open days only (idempotent); returns the
    days of ``days`` the hall is closed by a one-off closure."""
    made = {
        (day, start)
        for day, start in session.execute(
            select(Slot.day, Slot.start).where(Slot.hall_id == hall_id, Slot.day.in_(days))
        )
    }
    return _make_missing(session, hall_id, days, calendar or default_calendar(), made)[0]


def _make_missing(
    session: Session, hall_id: int, days: list[date], calendar: WorkCalendar, made: set[tuple[date, time]]
) -> tuple[set[date], bool]:
    """Write the template slots of ``days`` not in ``made`` (day, start); (the closed days, whether any was written)."""
    week = {"hall_id": hall_id, "days": days}
    closed = set(session.scalars(_CLOSED, week))
    templates = list(session.scalars(_TEMPLATES, {"hall_id": hall_id}))
    if not templates:  # slots added by hand only: nothing to make
        return closed, False
    # Only the missing slots are written: an INSERT that changes nothing still takes SQLite's write lock, and
    # every look at a hall's week came here (issue 18).
    rows = []
    for day in days:
        if not rules.hall_open_on(day, calendar, closed):
            continue
        for t in templates:
            if t.weekday != day.weekday():
                continue
            for start, end in rules.slot_times(t.start, t.end, t.slot_minutes):
                if (day, start) in made:
                    continue
                rows.append(
                    {
                        "hall_id": hall_id,
                        "day": day,
                        "start": start,
                        "end": end,
                        "capacity": t.capacity,
                        "booked": 0,
                    }
                )
    if rows:
        _upsert_ignore(session, Slot.__table__, rows)
        session.flush()
    return closed, bool(rows)


def slots_for(session: Session, hall_id: int, now: datetime, calendar: WorkCalendar | None = None) -> list[DaySlots]:
    """The bookable week at a hall with each slot's remaining capacity (``now``: an instant, or Beijing wall time)."""
    calendar = calendar or default_calendar()
    days = rules.bookable_days(clock.wall(now))
    week = {"hall_id": hall_id, "days": days}
    # The week is read once; it is read again only when its first look made slots (once per hall and day).
    slots = [WeekSlot(*row) for row in session.execute(_WEEK, week)]
    closed, wrote = _make_missing(session, hall_id, days, calendar, {(s.day, s.start) for s in slots})
    if wrote:
        slots = [WeekSlot(*row) for row in session.execute(_WEEK, week)]
    out = []
    for day in days:
        is_open = rules.hall_open_on(day, calendar, closed)
        out.append(DaySlots(day=day, open=is_open, slots=[s for s in slots if s.day == day] if is_open else []))
    return out


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


ALREADY_BOOKED = "您已预约过该事项，请勿重复预约。如需改约，请先取消原预约。"
SLOT_FULL = "该时段已约满，请选择其他时段。"


@dataclass(frozen=True)
class Standing:
    """What a booking asks of the person's own bookings, as this transaction sees them (a racing request may
    see fewer): the items of their active bookings and the days of their recent no-shows."""

    active_items: tuple[str, ...]
    no_show_days: tuple[date, ...]

    def suspension(self, today: date) -> rules.Suspension | None:
        return rules.suspension(list(self.no_show_days), today)


# One statement for the suspension, the limit and the one-per-item rule: three were three round trips to
# PostgreSQL on every try of the opening morning (issue 18).
_STANDING = (
    select(Booking.status, Booking.item_id, Slot.day)
    .join(Slot, Booking.slot_id == Slot.id)
    .where(
        Booking.person_id == bindparam("person_id"),
        or_(
            Booking.status == BookingStatus.BOOKED,
            and_(Booking.status == BookingStatus.NO_SHOW, Slot.day >= bindparam("since")),
        ),
    )
)


def _standing(session: Session, person_id: int, today: date) -> Standing:
    rows = session.execute(_STANDING, {"person_id": person_id, "since": today - rules.NO_SHOW_WINDOW}).all()
    return Standing(
        active_items=tuple(item for status, item, _ in rows if status == BookingStatus.BOOKED),
        no_show_days=tuple(day for status, _, day in rows if status == BookingStatus.NO_SHOW),
    )


def _claim(session: Session, table, row: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING of one row: whether it went in (False when the key was already held; on
    PostgreSQL a key another transaction holds uncommitted is waited for, then decided)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # RETURNING, not rowcount: the PostgreSQL driver reports no row count for a skipped conflict.
    returned = dialect_insert(table).values(row).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return session.execute(returned).first() is not None


def _take_seat(session: Session, person_id: int) -> int | None:
    """A free active-booking seat of the person's, taken (its number), or None when all are held. The database
    decides: two requests never get the same seat, so a fourth booking cannot slip through a race."""
    for seat in range(1, rules.MAX_ACTIVE_BOOKINGS + 1):
        if _claim(session, BookingSeat.__table__, {"person_id": person_id, "seat": seat}):
            return seat
    return None


def free_seats(session: Session, booking_ids: list[int]) -> None:
    """The bookings are no longer active (cancelled, checked in, missed): their people's seats are free again."""
    if booking_ids:
        session.execute(delete(BookingSeat).where(BookingSeat.booking_id.in_(booking_ids)))


def book(
    session: Session,
    *,
    person_id: int,
    item_id: str,
    slot_id: int,
    now: datetime,
    channel: Channel,
    booked_by: int | None = None,
) -> Booking:
    """Book ``slot_id`` for ``item_id``: an immediate yes (the booking) or no (``BookingRefused``) (LD/T 01 5.1 b).
    ``now`` is an instant (a naive value is Beijing wall-clock time); the rules read it on the agency's wall clock."""
    at, now = clock.utc(now), clock.wall(now)
    item = load_catalog().get(item_id)
    found = session.execute(
        select(Slot, HallItem.id)
        .outerjoin(HallItem, and_(HallItem.hall_id == Slot.hall_id, HallItem.item_id == item.id))
        .where(Slot.id == slot_id)
    ).first()
    if found is None:
        raise BookingRefused("no_such_slot", "没有找到该预约时段，请重新选择。", 404)
    slot, served = found
    if served is None:
        raise BookingRefused("item_not_served", "该服务网点不办理此事项，请选择其他网点。")
    if slot.day not in rules.bookable_days(now) or rules.slot_started(slot.day, slot.start, now):
        raise BookingRefused("outside_window", "该时段不在可预约范围内（可预约明天起一周内的时段），请重新选择。")
    standing = _standing(session, person_id, now.date())
    stop = standing.suspension(now.date())
    if stop is not None:
        raise BookingRefused("suspended", stop.message, 403)
    active = len(standing.active_items)
    if active >= rules.MAX_ACTIVE_BOOKINGS:
        raise BookingRefused("too_many_bookings", f"您已有 {active} 个未完成的预约，请先办理或取消后再预约。")
    if item.id in standing.active_items:
        raise BookingRefused("already_booked", ALREADY_BOOKED)
    if slot.booked >= slot.capacity:
        # Answered from the read above, before anything is written: on the opening morning most requests find
        # the slot full, and refusing them without the seat claim below keeps SQLite's one write lock for the
        # requests that can still win (issue 18). A place freed a moment ago is found on the next try.
        raise BookingRefused("slot_full", SLOT_FULL)
    # The count above answers the usual case with its number; the seat is what holds under a race.
    seat = _take_seat(session, person_id)
    if seat is None:
        raise BookingRefused(
            "too_many_bookings", f"您已有 {rules.MAX_ACTIVE_BOOKINGS} 个未完成的预约，请先办理或取消后再预约。"
        )

    taken = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked < Slot.capacity).values(booked=Slot.booked + 1)
    )
    if taken.rowcount != 1:
        raise BookingRefused("slot_full", SLOT_FULL)
    booking = Booking(
        code=_new_code(),
        person_id=person_id,
        booked_by_person_id=booked_by,
        item_id=item.id,
        slot_id=slot_id,
        status=BookingStatus.BOOKED,
        priority=item.priority,
        channel=channel.value,
        created_at=at,
    )
    session.add(booking)
    try:
        session.flush()
    except IntegrityError:
        # The same person booked the same item in another request at this instant (the check above came first
        # for both). The failed flush has rolled the transaction back, slot place included; so must the caller.
        session.rollback()
        raise BookingRefused("already_booked", ALREADY_BOOKED) from None
    session.execute(
        update(BookingSeat)
        .where(BookingSeat.person_id == person_id, BookingSeat.seat == seat)
        .values(booking_id=booking.id)
    )
    hall = session.get(Hall, slot.hall_id)
    notify.enqueue(
        session,
        person_id=person_id,
        kind=notify.MessageKind.APPOINTMENT_BOOKED,
        template="appointment_booked",
        params=_message_params(booking, item.name, hall, slot),
        idempotency_key=f"booking:{booking.code}:booked",
        link=f"/appointments/{booking.code}",
    )
    if booked_by is not None and booked_by != person_id:
        # The proxy who booked gets the confirmation too: often they are the one who will go along (Art. 30).
        notify.enqueue(
            session,
            person_id=booked_by,
            kind=notify.MessageKind.APPOINTMENT_BOOKED,
            template="appointment_booked",
            params=_message_params(booking, item.name, hall, slot),
            idempotency_key=f"booking:{booking.code}:booked:proxy",
            link=f"/appointments/{booking.code}",
        )
    session.flush()
    return booking


def _fit(text: str, limit: int = 20) -> str:
    """WeChat "thing" fields and the SMS templates allow 20 characters: shorten long names visibly."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message_params(booking: Booking, item_name: str, hall: Hall, slot: Slot) -> dict[str, str]:
    return {
        "item": _fit(item_name),
        "hall": _fit(hall.name),
        "time": f"{slot.day:%m月%d日}{slot.start:%H:%M}-{slot.end:%H:%M}",
        "code": booking.code,
    }


def _own_booking(session: Session, person_id: int, code: str, now: datetime) -> Booking:
    """A booking of ``person_id``'s, or one they made as a proxy whose grant still holds (Regulation Art. 30:
    the grant is checked at every use, so a revoked or expired proxy loses the booking with the grant)."""
    booking = session.scalar(select(Booking).where(Booking.code == code.strip().upper()))
    mine = booking is not None and booking.person_id == person_id
    as_proxy = (
        booking is not None
        and booking.booked_by_person_id == person_id
        and proxies.may_act(session, proxy_id=person_id, grantor_id=booking.person_id, scope=ProxyScope.BOOK, now=now)
    )
    if not (mine or as_proxy):
        # The same answer for someone else's booking as for none: codes are not a way to find people.
        raise BookingRefused("no_such_booking", "没有找到该预约。", 404)
    return booking


def cancel(session: Session, *, person_id: int, code: str, now: datetime, reason: str | None = None) -> Booking:
    """Cancel a booking up to the cut-off before its slot, and give the place back. The person is told
    ``reason`` (at most 20 characters), by default who cancelled: themselves or their authorised proxy."""
    at, now = clock.utc(now), clock.wall(now)
    booking = _own_booking(session, person_id, code, at)
    reason = reason or ("本人取消" if person_id == booking.person_id else "代办人取消")
    slot = session.get(Slot, booking.slot_id)
    if booking.status != BookingStatus.BOOKED:
        raise BookingRefused("not_active", f"该预约当前状态为“{booking.status.label}”，不能取消。")
    if not rules.can_cancel(slot.day, slot.start, now):
        raise BookingRefused("too_late", "距预约时间不足 1 小时，已不能在网上取消。如不能前往，请拨打 12333。")
    changed = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.BOOKED)
        .values(status=BookingStatus.CANCELLED, cancelled_at=at)
    )
    if changed.rowcount != 1:  # cancelled twice at once: the first one wins
        raise BookingRefused("not_active", "该预约已取消。")
    free_seats(session, [booking.id])
    session.execute(update(Slot).where(Slot.id == slot.id, Slot.booked > 0).values(booked=Slot.booked - 1))
    notify.enqueue(
        session,
        person_id=booking.person_id,
        kind=notify.MessageKind.APPOINTMENT_CANCELLED,
        template="appointment_cancelled",
        params={
            "item": _fit(load_catalog().get(booking.item_id).name),
            "time": f"{slot.day:%m月%d日}{slot.start:%H:%M}-{slot.end:%H:%M}",
            "reason": _fit(reason),
        },
        idempotency_key=f"booking:{booking.code}:cancelled",
    )
    session.flush()
    session.refresh(booking)
    return booking


@dataclass(frozen=True)
class BookingView:
    """A booking with what a page needs to show it."""

    booking: Booking
    slot: Slot
    hall: Hall
    item_name: str

    @property
    def can_cancel_at(self) -> datetime:
        """The last instant (aware, Beijing) the booking can be cancelled online."""
        return datetime.combine(self.slot.day, self.slot.start, tzinfo=clock.BEIJING) - rules.CANCEL_CUTOFF


def bookings_of(
    session: Session,
    person_id: int,
    *,
    active_only: bool = False,
    made_by_me: bool = False,
    now: datetime | None = None,
) -> list[BookingView]:
    """The person's bookings; with ``made_by_me`` also those they made as someone's authorised proxy while
    that grant still holds."""
    query = _bookings_query(active_only=active_only, made_by_me=made_by_me)
    params = proxies.live_at(now or clock.now(), person_id=person_id)
    catalog = load_catalog()
    return [BookingView(b, s, h, catalog.get(b.item_id).name) for b, s, h in session.execute(query, params)]


@functools.cache
def _bookings_query(*, active_only: bool, made_by_me: bool) -> Select:
    person = bindparam("person_id")
    mine = Booking.person_id == person
    if made_by_me:
        live = proxies.live_grant_exists(proxy_id=person, grantor_id=Booking.person_id)
        mine = or_(mine, and_(Booking.booked_by_person_id == person, live))
    query = (
        select(Booking, Slot, Hall)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Hall, Hall.id == Slot.hall_id)
        .where(mine)
        .order_by(Slot.day.desc(), Slot.start.desc())
    )
    return query.where(Booking.status == BookingStatus.BOOKED) if active_only else query


def suspension_among(views: list[BookingView], person_id: int, today: date) -> rules.Suspension | None:
    """The person's suspension, read off their bookings as :func:`bookings_of` listed them (every status, so
    every no-show): the booking page shows both, and a second query for the no-shows was a round trip more."""
    return rules.suspension(
        [v.slot.day for v in views if v.booking.person_id == person_id and v.booking.status == BookingStatus.NO_SHOW],
        today,
    )


def booking_view(session: Session, person_id: int, code: str, now: datetime | None = None) -> BookingView:
    booking = _own_booking(session, person_id, code, clock.utc(now or clock.now()))
    slot = session.get(Slot, booking.slot_id)
    return BookingView(booking, slot, session.get(Hall, slot.hall_id), load_catalog().get(booking.item_id).name)


def _next_ticket(session: Session, hall_id: int, day: date) -> int:
    _upsert_ignore(session, QueueCounter.__table__, [{"hall_id": hall_id, "day": day, "last": 0}])
    return session.execute(
        update(QueueCounter)
        .where(QueueCounter.hall_id == hall_id, QueueCounter.day == day)
        .values(last=QueueCounter.last + 1)
        .returning(QueueCounter.last)
    ).scalar_one()


def check_in(session: Session, *, code: str, hall_id: int, now: datetime, actor: Actor | None = None) -> BookingView:
    """Check in at a hall within the window around the slot; issue a queue ticket. Anyone holding the code may
    check in at the hall's kiosk; a logged-in ``actor`` (kiosk, mini-program) only for their own booking, and
    that use is traced in their operation trail in the same transaction."""
    at, now = clock.utc(now), clock.wall(now)
    booking = session.scalar(select(Booking).where(Booking.code == code.strip().upper()))
    slot = session.get(Slot, booking.slot_id) if booking else None
    not_theirs = actor is not None and booking is not None and booking.person_id != actor.subject_id
    if booking is None or slot.hall_id != hall_id or not_theirs:
        raise BookingRefused("no_such_booking", "没有找到本服务网点的该预约，请核对预约码。", 404)
    if booking.status == BookingStatus.CHECKED_IN:
        raise BookingRefused("already_checked_in", f"您已签到，排队号 {booking.ticket}。")
    if booking.status != BookingStatus.BOOKED:
        raise BookingRefused("not_active", f"该预约当前状态为“{booking.status.label}”，不能签到。")
    if not rules.in_check_in_window(slot.day, slot.start, now):
        raise BookingRefused(
            "outside_check_in",
            f"请在预约时段开始前 30 分钟至开始后 30 分钟内签到（您的时段：{slot.day:%m月%d日} {slot.start:%H:%M}）。",
        )
    if actor is not None:
        # LD/T 01 6.3.2: the check-in is traced with the booking it changes, not in a second commit.
        record_operation(session, actor.subject_id, f"预约签到 {booking.code}", channel=actor.channel.value)
    number = _next_ticket(session, hall_id, slot.day)
    # Art. 17: military transfers are served first; their tickets carry J and are called before A.
    ticket = f"{'J' if booking.priority else 'A'}{number:03d}"
    changed = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.BOOKED)
        .values(status=BookingStatus.CHECKED_IN, checked_in_at=at, ticket=ticket)
    )
    if changed.rowcount != 1:
        raise BookingRefused("already_checked_in", "该预约已签到。")
    free_seats(session, [booking.id])
    session.flush()
    session.refresh(booking)
    return BookingView(booking, slot, session.get(Hall, hall_id), load_catalog().get(booking.item_id).name)


def ticket_view(session: Session, *, code: str, hall_id: int) -> BookingView | None:
    """A checked-in booking at a hall, for printing its ticket."""
    booking = session.scalar(select(Booking).where(Booking.code == code.strip().upper()))
    if booking is None or booking.ticket is None:
        return None
    slot = session.get(Slot, booking.slot_id)
    if slot.hall_id != hall_id:
        return None
    return BookingView(booking, slot, session.get(Hall, hall_id), load_catalog().get(booking.item_id).name)


def hall_queue(session: Session, hall_id: int, day: date) -> list[BookingView]:
    """Today's bookings at a hall in the order windows call them: priority first, then slot, then ticket."""
    rows = session.execute(
        select(Booking, Slot, Hall)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Hall, Hall.id == Slot.hall_id)
        .where(Slot.hall_id == hall_id, Slot.day == day, Booking.status != BookingStatus.CANCELLED)
        .order_by(Booking.priority.desc(), Slot.start, Booking.checked_in_at.is_(None), Booking.ticket, Booking.id)
    )
    catalog = load_catalog()
    return [BookingView(b, s, h, catalog.get(b.item_id).name) for b, s, h in rows]


def mark_no_shows(session: Session, now: datetime) -> int:
    """Bookings whose check-in window has closed without a check-in become no-shows (a scheduled job)."""
    late = clock.wall(now) - rules.CHECK_IN_LATE
    ids = list(
        session.scalars(
            select(Booking.id)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.status == BookingStatus.BOOKED, Slot.day <= late.date())
        )
    )
    count = 0
    for booking_id in ids:
        booking = session.get(Booking, booking_id)
        slot = session.get(Slot, booking.slot_id)
        if datetime.combine(slot.day, slot.start) < late:
            missed = session.execute(
                update(Booking)
                .where(Booking.id == booking_id, Booking.status == BookingStatus.BOOKED)
                .values(status=BookingStatus.NO_SHOW)
            ).rowcount
            if missed:
                free_seats(session, [booking_id])
            count += missed
    session.flush()
    return count


def enqueue_reminders(session: Session, now: datetime) -> int:
    """Queue the day-before reminder for tomorrow's bookings (idempotent: safe to run every few minutes)."""
    tomorrow = clock.wall(now).date() + timedelta(days=1)
    rows = session.execute(
        select(Booking, Slot, Hall)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Hall, Hall.id == Slot.hall_id)
        .where(Booking.status == BookingStatus.BOOKED, Slot.day == tomorrow)
    ).all()
    catalog = load_catalog()
    for booking, slot, hall in rows:
        notify.enqueue(
            session,
            person_id=booking.person_id,
            kind=notify.MessageKind.APPOINTMENT_REMINDER,
            template="appointment_reminder",
            params=_message_params(booking, catalog.get(booking.item_id).name, hall, slot),
            idempotency_key=f"booking:{booking.code}:reminder",
            link=f"/appointments/{booking.code}",
        )
    session.flush()
    return len(rows)


__all__ = [
    "BookingRefused",
    "BookingView",
    "DaySlots",
    "WeekSlot",
    "book",
    "bookable_item_ids",
    "booking_view",
    "bookings_of",
    "cancel",
    "check_in",
    "enqueue_reminders",
    "free_seats",
    "hall_queue",
    "halls_for_item",
    "mark_no_shows",
    "open_slots",
    "slots_for",
    "suspension_among",
    "ticket_view",
]
