"""The booking service against the database: capacity, one per item, limits, cancellation, check-in, queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from gateway.appointments import service
from gateway.appointments.models import Booking, BookingStatus, Closure, Slot
from gateway.catalog import Channel
from gateway.clock import BEIJING
from notify.models import NotifyMessage
from tests.appointments.conftest import NOW

TUESDAY = date(2026, 11, 24)


def slot_at(db, hall, day: date, start: time) -> Slot:
    service.open_slots(db, hall.id, [day])
    return db.scalar(select(Slot).where(Slot.hall_id == hall.id, Slot.day == day, Slot.start == start))


def book(db, person, slot, item="person-registration", now=NOW):
    return service.book(db, person_id=person, item_id=item, slot_id=slot.id, now=now, channel=Channel.WEB)


def test_slots_follow_templates_and_holidays(db, hall):
    db.add(Closure(hall_id=hall.id, day=date(2026, 11, 26), reason="设备检修"))
    db.commit()
    week = service.slots_for(db, hall.id, NOW)
    assert [d.day for d in week] == [NOW.date() + timedelta(days=n) for n in range(1, 8)]
    by_day = {d.day: d for d in week}
    assert [(s.start, s.end, s.remaining) for s in by_day[TUESDAY].slots] == [
        (time(9), time(9, 30), 5),
        (time(9, 30), time(10), 5),
    ]
    assert not by_day[date(2026, 11, 26)].open  # one-off closure
    assert not by_day[date(2026, 11, 28)].open  # Saturday


def test_capacity_is_never_exceeded(db, hall, make_person):
    slot = slot_at(db, hall, TUESDAY, time(9))
    for _ in range(5):
        book(db, make_person(), slot)
    with pytest.raises(service.BookingRefused) as refused:
        book(db, make_person(), slot)
    assert refused.value.code == "slot_full" and "约满" in refused.value.message
    db.refresh(slot)
    assert slot.booked == 5


def test_booking_writes_its_notification_in_the_same_transaction(db, hall, make_person):
    person = make_person()
    booking = book(db, person, slot_at(db, hall, TUESDAY, time(9)))
    messages = db.scalars(select(NotifyMessage).where(NotifyMessage.person_id == person)).all()
    assert messages and all(booking.code in m.idempotency_key for m in messages)


def test_one_active_booking_per_item_and_a_limit_overall(db, hall, make_person):
    person = make_person()
    first = slot_at(db, hall, TUESDAY, time(9))
    second = slot_at(db, hall, TUESDAY, time(9, 30))
    book(db, person, first)
    with pytest.raises(service.BookingRefused) as refused:
        book(db, person, second)
    assert refused.value.code == "already_booked"
    db.refresh(second)
    assert second.booked == 0  # the refused attempt gave its place back
    book(db, person, second, item="retirement-pension-claim")
    book(db, person, slot_at(db, hall, date(2026, 11, 25), time(9)), item="unit-registration-change")
    with pytest.raises(service.BookingRefused) as refused:
        book(db, person, slot_at(db, hall, date(2026, 11, 25), time(9, 30)), item="military-insurance-transfer")
    assert refused.value.code == "too_many_bookings"


def test_outside_the_window_and_started_slots_are_refused(db, hall, make_person):
    person = make_person()
    service.open_slots(db, hall.id, [date(2026, 12, 1)])  # day 9: one day too far
    far = db.scalar(select(Slot).where(Slot.hall_id == hall.id, Slot.day == date(2026, 12, 1)))
    with pytest.raises(service.BookingRefused) as refused:
        book(db, person, far)
    assert refused.value.code == "outside_window"
    slot = slot_at(db, hall, TUESDAY, time(9))
    with pytest.raises(service.BookingRefused):
        book(db, person, slot, now=datetime(2026, 11, 24, 9, 0))  # the slot has started (and is "today")


def test_item_not_served_at_the_hall(db, hall, make_person):
    with pytest.raises(service.BookingRefused) as refused:
        book(db, make_person(), slot_at(db, hall, TUESDAY, time(9)), item="unemployment-benefit-claim")
    assert refused.value.code == "item_not_served"


def test_cancel_gives_the_place_back_until_the_cutoff(db, hall, make_person):
    person = make_person()
    slot = slot_at(db, hall, TUESDAY, time(9))
    booking = book(db, person, slot)
    with pytest.raises(service.BookingRefused) as refused:
        service.cancel(db, person_id=person, code=booking.code, now=datetime(2026, 11, 24, 8, 30, 1))
    assert refused.value.code == "too_late"
    service.cancel(db, person_id=person, code=booking.code, now=datetime(2026, 11, 24, 8, 0))
    db.refresh(slot)
    assert slot.booked == 0
    with pytest.raises(service.BookingRefused):
        service.cancel(db, person_id=person, code=booking.code, now=NOW)  # twice
    # Someone else's code is "not found", not "not yours".
    with pytest.raises(service.BookingRefused) as refused:
        service.cancel(db, person_id=make_person(), code=booking.code, now=NOW)
    assert refused.value.code == "no_such_booking"


def test_check_in_issues_tickets_priority_first(db, hall, make_person):
    slot = slot_at(db, hall, TUESDAY, time(9))
    ordinary = book(db, make_person(), slot)
    military = book(db, make_person(), slot, item="military-insurance-transfer")  # Art. 17
    with pytest.raises(service.BookingRefused) as refused:
        service.check_in(db, code=ordinary.code, hall_id=hall.id, now=datetime(2026, 11, 24, 8, 0))
    assert refused.value.code == "outside_check_in"
    at = datetime(2026, 11, 24, 8, 45)
    first = service.check_in(db, code=ordinary.code.lower(), hall_id=hall.id, now=at)
    second = service.check_in(db, code=military.code, hall_id=hall.id, now=at)
    assert first.booking.ticket == "A001" and second.booking.ticket == "J002"
    queue = service.hall_queue(db, hall.id, TUESDAY)
    assert [v.booking.code for v in queue] == [military.code, ordinary.code]
    with pytest.raises(service.BookingRefused) as refused:
        service.check_in(db, code=ordinary.code, hall_id=hall.id, now=at)
    assert refused.value.code == "already_checked_in"


def test_no_shows_suspend_online_booking(db, hall, make_person):
    person = make_person()
    # Three bookings in the past that nobody came to (written directly: the window forbids past dates).
    for n, day in enumerate((date(2026, 10, 13), date(2026, 10, 20), date(2026, 11, 3))):
        service.open_slots(db, hall.id, [day])
        slot = db.scalar(select(Slot).where(Slot.hall_id == hall.id, Slot.day == day, Slot.start == time(9)))
        db.add(
            Booking(
                code=f"NS{person:04d}{n}",
                person_id=person,
                item_id=["person-registration", "retirement-pension-claim", "unit-registration-change"][n],
                slot_id=slot.id,
                status=BookingStatus.BOOKED,
                priority=False,
                channel="web",
                created_at=datetime.combine(day, time(8), tzinfo=BEIJING),
            )
        )
    db.commit()
    assert service.mark_no_shows(db, NOW) >= 3
    with pytest.raises(service.BookingRefused) as refused:
        book(db, person, slot_at(db, hall, TUESDAY, time(9)))
    assert refused.value.code == "suspended" and "暂停至 2026年12月02日" in refused.value.message
    # The booking page reads the same suspension off the bookings it lists (issue 18: one query fewer).
    shown = service.suspension_among(service.bookings_of(db, person, made_by_me=True), person, NOW.date())
    assert shown is not None and shown.message == refused.value.message
    assert service.suspension_among(service.bookings_of(db, person), person, NOW.date() + timedelta(days=31)) is None


def test_reminders_for_tomorrow_are_queued_once(db, hall, make_person):
    person = make_person()
    booking = book(db, person, slot_at(db, hall, TUESDAY, time(9)))
    evening = datetime(2026, 11, 23, 18, 0)
    key = f"booking:{booking.code}:reminder"

    def reminders() -> list[tuple[str, str]]:
        rows = db.execute(select(NotifyMessage.channel).where(NotifyMessage.idempotency_key == key)).scalars().all()
        return sorted(str(c) for c in rows)

    assert service.enqueue_reminders(db, evening) >= 1
    first = reminders()
    assert "inbox" in first  # one row per channel the person's preferences choose
    service.enqueue_reminders(db, evening)  # the job runs again: nothing new
    assert reminders() == first


@contextmanager
def watching_writes(db) -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements ``db``'s engine runs inside the block."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", watch)


def test_a_full_slot_and_an_opened_week_are_answered_without_writing(db, hall, make_person):
    # Under the opening-morning rush most requests look at the week or find the slot full; on SQLite any write,
    # even an INSERT that changes nothing, takes the database's one write lock (issue 18).
    slot = slot_at(db, hall, TUESDAY, time(9))
    for _ in range(5):
        book(db, make_person(), slot)
    late = make_person()
    service.slots_for(db, hall.id, NOW)  # the first look at the week makes its slots
    db.commit()
    with watching_writes(db) as writes:
        service.slots_for(db, hall.id, NOW)  # the next finds them made
        with pytest.raises(service.BookingRefused) as refused:
            book(db, late, slot)
    assert refused.value.code == "slot_full"
    assert writes == []
