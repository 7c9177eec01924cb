"""Fixtures for appointment tests: a fresh hall per test, people to book, a fixed 'now'."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.appointments.models import Hall, HallItem, SlotTemplate
from gateway.identity.service import ensure_person
from gateway.validation import make_id_number

#: A Monday morning; bookable days are Tue 24 … Mon 30 November 2026.
NOW = datetime(2026, 11, 23, 10, 0)
_hall_codes = itertools.count(1)
_people = itertools.count(1)


@pytest.fixture
def db(app) -> Session:
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


@pytest.fixture
def hall(db: Session) -> Hall:
    """A hall of its own for each test, open weekdays 9:00–10:00 in two 30-minute slots of 5."""
    code = f"T{next(_hall_codes):04d}"
    hall = Hall(
        code=code,
        name=f"测试大厅{code}",
        address="示例市测试路 1 号",
        phone="0917-0000000",
        hours="工作日",
        map_url="",
    )
    db.add(hall)
    db.flush()
    for item in (
        "person-registration",
        "military-insurance-transfer",
        "retirement-pension-claim",
        "unit-registration-change",
    ):
        db.add(HallItem(hall_id=hall.id, item_id=item))
    for weekday in range(5):
        db.add(SlotTemplate(hall_id=hall.id, weekday=weekday, start=time(9), end=time(10), slot_minutes=30, capacity=5))
    db.commit()
    return hall


@pytest.fixture
def make_person(app, db: Session):
    """Create a gateway person with a fresh valid ID number; returns the person id."""
    vault = app.extensions["shebao_vault"]

    def make() -> int:
        n = next(_people)
        id_number = make_id_number("610302", date(1980, 1, 1 + n % 28), 500 + n % 400)
        person = ensure_person(db, vault, id_number, f"测试{n}")
        db.commit()
        return person.id

    return make
