"""Fixtures for public information and evaluation: a database session, seeded applications and bookings."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from gateway.applications.models import Application, ApplicationStatus
from gateway.appointments.models import Booking, BookingStatus, Hall, Slot
from gateway.catalog import HandlingKind, load_catalog
from gateway.identity.service import find_person
from tests.conftest import login

_numbers = itertools.count(1)


@pytest.fixture
def db(app) -> Session:
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


def promised_item():
    return next(i for i in load_catalog().items if i.handling_kind is HandlingKind.PROMISED and i.legal_limit_days)


def seed_application(
    db: Session,
    person_id: int,
    *,
    submitted: datetime,
    decided: datetime | None,
    due: date,
    item=None,
    channel: str = "web",
    minutes: int = 12,
    steps: int | None = None,
) -> Application:
    """An application as the records would hold it (times are Beijing wall time, stored as UTC)."""
    item = item or promised_item()
    n = next(_numbers)
    sent = clock.utc(submitted)
    app = Application(
        number=f"SQ9{submitted:%y%m%d}{n:05d}{person_id % 100:02d}",
        item_id=item.id,
        item_name=item.name,
        handling_kind=item.handling_kind.value,
        person_id=person_id,
        status=ApplicationStatus.APPROVED if decided else ApplicationStatus.ACCEPTED,
        channel=channel,
        department="养老保险科",
        created_at=sent - timedelta(minutes=minutes),
        submitted_at=sent,
        accepted_at=sent,
        due_date=due,
        decided_at=clock.utc(decided) if decided else None,
        result="准予办理" if decided else None,
        updated_at=sent,
        steps=steps,
    )
    db.add(app)
    db.commit()
    return app


@pytest.fixture
def logged_in(client, person, db, app):
    """The demo person logged in on ``client``; returns their gateway person id."""
    assert login(client, person.id_number).status_code == 302
    found = find_person(db, app.extensions["shebao_vault"], person.id_number)
    return found.id


def seed_checked_in_booking(db: Session, person_id: int, day: date, at: time = time(9)) -> Booking:
    """A booking at the first hall that was checked in at ``day`` ``at`` (Beijing)."""
    hall = db.scalars(select(Hall).order_by(Hall.code)).first()
    slot = db.scalar(select(Slot).where(Slot.hall_id == hall.id, Slot.day == day, Slot.start == at))
    if slot is None:
        slot = Slot(hall_id=hall.id, day=day, start=at, end=time(at.hour, 30), capacity=50, booked=0)
        db.add(slot)
        db.flush()
    slot.booked += 1
    n = next(_numbers)
    booking = Booking(
        code=f"Q{n:04d}{person_id % 1000:03d}",
        person_id=person_id,
        item_id=promised_item().id,
        slot_id=slot.id,
        status=BookingStatus.CHECKED_IN,
        priority=False,
        channel="web",
        created_at=clock.utc(datetime.combine(day, at)),
        checked_in_at=clock.utc(datetime.combine(day, at)),
        ticket=f"A{n:03d}",
    )
    db.add(booking)
    db.commit()
    return booking
