"""Fixtures for the push platform: the shared test database, a dispatcher wired to the sandboxes with a clock
the test controls, and clean-up of this package's rows (the PostgreSQL lane shares one database)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.local import LocalBackOffice
from gateway.clock import ShiftedClock, set_clock
from gateway.config import Settings
from gateway.db import make_engine
from gateway.identity.models import Person
from gateway.identity.service import (
    ensure_person,  # noqa: F401  (documented helper for other tests)
    identity_of,
)
from gateway.security.pii import PiiVault
from gateway.worker import build_dispatcher
from notify.clock import QuietHours
from notify.models import NotifyAttempt, NotifyAudit, NotifyMessage, NotifyPreference


@pytest.fixture(scope="session")
def notify_engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(notify_engine):
    return sessionmaker(bind=notify_engine, expire_on_commit=False)


@pytest.fixture(autouse=True)
def _clean_notify_rows(sessions) -> Iterator[None]:
    """Every test starts and ends with empty notify tables (only this package's tables are touched)."""

    def wipe() -> None:
        with sessions.begin() as s:
            for model in (NotifyAudit, NotifyAttempt, NotifyMessage, NotifyPreference):
                s.execute(sa.delete(model))

    wipe()
    yield
    wipe()


@pytest.fixture(scope="session")
def people(sessions, accounts, settings) -> list[tuple[int, str]]:
    """(person id, registered phone) of the demo people."""
    vault = PiiVault(settings.secret_key)
    backoffice = LocalBackOffice(sessions)
    out = []
    with sessions() as s:
        for person in s.scalars(sa.select(Person).order_by(Person.id)):
            record = backoffice.find_person(identity_of(vault, person).id_number)
            if record is not None and record.phone:
                out.append((person.id, record.phone))
    assert len(out) >= 2, "the demo data should give at least two people with phones"
    return out


@pytest.fixture
def clock() -> Iterator[ShiftedClock]:
    """The one clock (:mod:`gateway.clock`) for this test, shifted by an offset the test sets: retries and quiet
    hours are tested without sleeping; ``enqueue`` and the dispatcher read the same clock."""
    with set_clock(ShiftedClock()) as shifted:
        yield shifted


@pytest.fixture
def notify_settings(settings: Settings) -> Settings:
    """Settings with an SMS account of this test's own, so receipts never mix between tests."""
    return replace(settings, sms_api_key=f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def make_dispatcher(notify_settings, notify_engine, clock):
    made = []

    def make(**overrides):
        options = {"rng": random.Random(7), "quiet_hours": QuietHours("off"), "concurrency": 4}
        options.update(overrides)
        d = build_dispatcher(notify_settings, notify_engine, **options)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


class SmsSandbox:
    """The SMS gateway sandbox's control API, as tests use it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.phones: set[str] = set()

    def rule(self, number: str, **rule) -> None:
        self.phones.add(number)
        requests.put(f"{self.base}/sandbox/rules/{number}", json=rule, timeout=5).raise_for_status()

    def sent(self, number: str | None = None, account: str | None = None) -> list[dict]:
        params = {k: v for k, v in {"phone": number, "account": account}.items() if v}
        return requests.get(f"{self.base}/sandbox/messages", params=params, timeout=5).json()["messages"]

    def clear(self) -> None:
        for number in self.phones:
            requests.delete(f"{self.base}/sandbox/rules/{number}", timeout=5)


@pytest.fixture
def sms_sandbox(sandbox_url) -> Iterator[SmsSandbox]:
    box = SmsSandbox(f"{sandbox_url}/sms")
    yield box
    box.clear()
