"""Closing a day while people book it, for real: threads with their own database connections race
``admin.close_day`` against ``service.book``. On PostgreSQL (the CI's second lane) this is a true concurrent race;
on SQLite the writers take turns, and the same rules must hold.

Whatever the interleaving: no booking stays active on the closed day, every booking that was made before the
closure is cancelled with a message to its person, and the day's slots end at capacity 0."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from gateway.appointments import admin, service
from gateway.appointments.models import Booking, BookingStatus, Hall, HallItem, Slot, SlotTemplate
from gateway.catalog import Channel
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from notify.models import NotifyMessage
from tests.appointments.conftest import NOW
from tests.conftest import TEST_SECRET

ON_POSTGRES = bool(os.environ.get("SHEBAO_TEST_DATABASE_URL"))
BOOKERS = 40 if ON_POSTGRES else 12
TUESDAY = date(2026, 11, 24)
ITEM = "person-registration"


@pytest.fixture
def race(database_url):
    engine = sa.create_engine(database_url, pool_size=BOOKERS + 2, max_overflow=0)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    vault = PiiVault(TEST_SECRET)
    tag = os.urandom(3).hex().upper()
    with sessions() as s:
        hall = Hall(code=f"C{tag}", name="闭厅竞争测试", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id=ITEM))
        s.add(SlotTemplate(hall_id=hall.id, weekday=1, start=time(9), end=time(11), slot_minutes=30, capacity=10))
        s.commit()
        service.open_slots(s, hall.id, [TUESDAY])
        slots = [x.id for x in s.scalars(sa.select(Slot).where(Slot.hall_id == hall.id))]
        people = [
            ensure_person(s, vault, make_id_number("610302", date(1970, 1 + n % 12, 1 + n % 28), 600 + n), f"竞{n}").id
            for n in range(BOOKERS)
        ]
        s.commit()
    yield sessions, hall.id, slots, people
    engine.dispose()


def _book(sessions, slot_id: int, person_id: int, start: threading.Event) -> str:
    start.wait()
    with sessions() as s:
        try:
            service.book(s, person_id=person_id, item_id=ITEM, slot_id=slot_id, now=NOW, channel=Channel.WEB)
            s.commit()
            return "booked"
        except service.BookingRefused:
            return "refused"
        except OperationalError:  # SQLite: "database is locked" when the writer queue is long; nothing written
            s.rollback()
            return "busy"


def _close(sessions, hall_id: int, start: threading.Event) -> int:
    start.wait()
    with sessions() as s:
        for _ in range(20):
            try:
                cancelled = admin.close_day(s, hall_id, TUESDAY, "临时停电", now=NOW)
                s.commit()
                return cancelled
            except OperationalError:  # SQLite only: try again once the other writers are through
                s.rollback()
        raise AssertionError("the closure never got the database")


def test_no_booking_survives_a_closure_whatever_the_interleaving(race):
    sessions, hall_id, slots, people = race
    start = threading.Event()
    with ThreadPoolExecutor(max_workers=BOOKERS + 1) as pool:
        bookers = [pool.submit(_book, sessions, slots[n % len(slots)], pid, start) for n, pid in enumerate(people)]
        closer = pool.submit(_close, sessions, hall_id, start)
        start.set()
        outcomes = [f.result(timeout=120) for f in bookers]
        cancelled = closer.result(timeout=120)

    assert "booked" in outcomes or "refused" in outcomes
    with sessions() as s:
        on_day = list(
            s.scalars(
                sa.select(Booking)
                .join(Slot, Slot.id == Booking.slot_id)
                .where(Slot.hall_id == hall_id, Slot.day == TUESDAY)
            )
        )
        # Nobody holds a place on the closed day: those who got in before the closure were cancelled.
        assert all(b.status is BookingStatus.CANCELLED for b in on_day)
        assert len(on_day) == cancelled == outcomes.count("booked")
        # ... and each of them is told (one cancellation message per booking and channel).
        told = {
            m.idempotency_key
            for m in s.scalars(sa.select(NotifyMessage).where(NotifyMessage.template == "appointment_cancelled"))
        }
        assert {f"booking:{b.code}:cancelled" for b in on_day} <= told
        # The day's slots are frozen empty: a late booker finds them full, whatever they try next.
        assert all(x.capacity == 0 and x.booked == 0 for x in s.scalars(sa.select(Slot).where(Slot.id.in_(slots))))
    with sessions() as s, pytest.raises(service.BookingRefused):
        service.book(s, person_id=people[0], item_id=ITEM, slot_id=slots[0], now=NOW, channel=Channel.WEB)
