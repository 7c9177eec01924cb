"""At most three active bookings per person, held by the database (issue 13: 8 parallel requests made 4).

Each active booking holds one of the person's seats (``appt_booking_seat``, primary key (person, seat)); the seat
is taken by an INSERT, so a request that read a stale count still cannot get a fourth. On PostgreSQL (the CI's
second lane) the race is run for real: threads with their own connections, the same person, 8 different items."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

from gateway.appointments import service
from gateway.appointments.models import Booking, BookingSeat, BookingStatus, Hall, HallItem, SlotTemplate
from gateway.catalog import Channel
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from tests.appointments.conftest import NOW
from tests.appointments.test_booking import TUESDAY, book, slot_at
from tests.conftest import TEST_SECRET

ON_POSTGRES = bool(os.environ.get("SHEBAO_TEST_DATABASE_URL"))
ITEMS = [
    "person-registration",
    "military-insurance-transfer",
    "retirement-pension-claim",
    "unit-registration-change",
]


def _seats(db, person: int) -> list[int]:
    return sorted(db.scalars(sa.select(BookingSeat.seat).where(BookingSeat.person_id == person)))


def test_a_stale_count_still_cannot_make_a_fourth_booking(db, hall, make_person, monkeypatch):
    person = make_person()
    places = [(TUESDAY, time(9)), (TUESDAY, time(9, 30)), (date(2026, 11, 25), time(9))]
    for item, (day, start) in zip(ITEMS[:3], places, strict=True):
        book(db, person, slot_at(db, hall, day, start), item)
    db.commit()
    assert _seats(db, person) == [1, 2, 3]
    # What a racing request sees: the three bookings of the others not yet committed, so a count of 0.
    monkeypatch.setattr(service, "_standing", lambda session, person_id, today: service.Standing((), ()))
    with pytest.raises(service.BookingRefused) as refused:
        book(db, person, slot_at(db, hall, date(2026, 11, 25), time(9, 30)), ITEMS[3])
    assert refused.value.code == "too_many_bookings" and "3 个未完成的预约" in refused.value.message
    db.rollback()
    active = db.scalar(
        sa.select(sa.func.count()).where(Booking.person_id == person, Booking.status == BookingStatus.BOOKED)
    )
    assert active == 3


def test_the_database_refuses_a_seat_twice_or_a_fourth_seat(db, make_person):
    person = make_person()
    for seat in (1, 2, 3):
        db.add(BookingSeat(person_id=person, seat=seat))
    db.commit()
    for seat in (2, 4):
        db.add(BookingSeat(person_id=person, seat=seat))
        with pytest.raises(IntegrityError):
            db.flush()
        db.rollback()


def test_cancelling_or_checking_in_frees_the_seat(db, hall, make_person):
    person = make_person()
    first = book(db, person, slot_at(db, hall, TUESDAY, time(9)), ITEMS[0])
    second = book(db, person, slot_at(db, hall, TUESDAY, time(9, 30)), ITEMS[1])
    book(db, person, slot_at(db, hall, date(2026, 11, 25), time(9)), ITEMS[2])
    db.commit()
    service.cancel(db, person_id=person, code=first.code, now=NOW)
    assert _seats(db, person) == [2, 3]
    again = book(db, person, slot_at(db, hall, date(2026, 11, 25), time(9, 30)), ITEMS[3])
    assert _seats(db, person) == [1, 2, 3]
    assert (
        db.scalar(sa.select(BookingSeat.booking_id).where(BookingSeat.person_id == person, BookingSeat.seat == 1))
        == again.id
    )
    # Checked in: no longer active, so the seat is free again.
    service.check_in(db, code=second.code, hall_id=hall.id, now=datetime(2026, 11, 24, 9, 20))
    assert _seats(db, person) == [1, 3]


def test_a_proxy_booking_counts_for_the_person_booked_for(db, hall, make_person):
    grantor, proxy = make_person(), make_person()
    days = [(TUESDAY, time(9)), (TUESDAY, time(9, 30)), (date(2026, 11, 25), time(9))]
    for item, (day, start) in zip(ITEMS[:3], days, strict=True):
        service.book(
            db,
            person_id=grantor,
            item_id=item,
            slot_id=slot_at(db, hall, day, start).id,
            now=NOW,
            channel=Channel.WEB,
            booked_by=proxy,
        )
    assert _seats(db, grantor) == [1, 2, 3] and _seats(db, proxy) == []
    with pytest.raises(service.BookingRefused) as refused:
        book(db, grantor, slot_at(db, hall, date(2026, 11, 25), time(9, 30)), ITEMS[3])
    assert refused.value.code == "too_many_bookings"
    db.rollback()
    book(db, proxy, slot_at(db, hall, date(2026, 11, 25), time(9, 30)), ITEMS[3])  # the proxy's own seats are free


# ---------------------------------------------------------------- the real race (PostgreSQL)

RACE_ITEMS = [
    "person-registration",
    "military-insurance-transfer",
    "retirement-pension-claim",
    "unit-registration-change",
    "appointment-booking",
    "rights-registration",
    "rights-contributions",
    "rights-transfers",
]


@pytest.fixture
def racer(database_url):
    engine = sa.create_engine(database_url, pool_size=len(RACE_ITEMS) + 2, max_overflow=0)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    tag = os.urandom(3).hex().upper()
    with sessions() as s:
        hall = Hall(code=f"L{tag}", name="预约上限竞争测试", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        for item in RACE_ITEMS:
            s.add(HallItem(hall_id=hall.id, item_id=item))
        s.add(SlotTemplate(hall_id=hall.id, weekday=1, start=time(9), end=time(11), slot_minutes=30, capacity=20))
        s.commit()
        service.open_slots(s, hall.id, [TUESDAY])
        s.commit()
        slot = s.scalar(sa.select(service.Slot.id).where(service.Slot.hall_id == hall.id).limit(1))
        person = ensure_person(
            s, PiiVault(TEST_SECRET), make_id_number("610302", date(1966, 6, 6), int(tag, 16) % 900 + 50), "限额"
        ).id
        s.commit()
    yield sessions, slot, person
    engine.dispose()


def _book(sessions, slot_id: int, person_id: int, item: str, start: threading.Barrier) -> str:
    start.wait()
    with sessions() as s:
        try:
            service.book(s, person_id=person_id, item_id=item, slot_id=slot_id, now=NOW, channel=Channel.WEB)
            s.commit()
            return "booked"
        except service.BookingRefused as exc:
            return exc.code
        except OperationalError:
            s.rollback()
            return "busy"


@pytest.mark.skipif(not ON_POSTGRES, reason="a true concurrent race needs PostgreSQL (SHEBAO_TEST_DATABASE_URL)")
def test_eight_parallel_requests_make_at_most_three_bookings(racer):
    sessions, slot, person = racer
    start = threading.Barrier(len(RACE_ITEMS))
    with ThreadPoolExecutor(max_workers=len(RACE_ITEMS)) as pool:
        outcomes = [
            f.result(timeout=60)
            for f in [pool.submit(_book, sessions, slot, person, item, start) for item in RACE_ITEMS]
        ]
    assert outcomes.count("booked") == 3, outcomes
    assert set(outcomes) <= {"booked", "too_many_bookings"}
    with sessions() as s:
        active = s.scalar(
            sa.select(sa.func.count()).where(Booking.person_id == person, Booking.status == BookingStatus.BOOKED)
        )
        assert active == 3
        assert sorted(s.scalars(sa.select(BookingSeat.seat).where(BookingSeat.person_id == person))) == [1, 2, 3]
