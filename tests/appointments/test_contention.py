"""The opening-morning storm, for real: many clients over HTTP to gunicorn with several workers.

On PostgreSQL (the CI's second lane, ``SHEBAO_TEST_DATABASE_URL``) with the sizes the issue names:
200 clients for a slot of capacity 5, and one person from 20 connections. On SQLite (the embedded mode)
the same test runs smaller, because SQLite serialises writers anyway.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time, timedelta

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.appointments.models import Booking, BookingStatus, Hall, HallItem, Slot
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.clock import local_now
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.passwords import hash_password
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET
from tests.gateway_process import gunicorn_gateway

ON_POSTGRES = bool(os.environ.get("SHEBAO_TEST_DATABASE_URL"))
CLIENTS = 200 if ON_POSTGRES else 40
SAME_PERSON_CONNECTIONS = 20 if ON_POSTGRES else 10
CAPACITY = 5
ITEM = "person-registration"


def _next_working_weekday(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def storm(database_url):
    """A hall with one capacity-5 slot tomorrow (or the next weekday in the window) and CLIENTS people."""
    engine = sa.create_engine(database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    vault = PiiVault(TEST_SECRET)
    stored = hash_password(DEMO_PASSWORD)  # hashed once: Argon2 per person would only slow the setup
    tag = os.urandom(3).hex().upper()
    with sessions() as s:
        hall = Hall(code=f"S{tag}", name="压力测试大厅", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id=ITEM))
        day = _next_working_weekday(local_now().date())
        slot = Slot(hall_id=hall.id, day=day, start=time(9), end=time(9, 30), capacity=CAPACITY, booked=0)
        big = Slot(hall_id=hall.id, day=day, start=time(9, 30), end=time(10), capacity=100, booked=0)
        s.add_all([slot, big])
        people = []
        for n in range(CLIENTS):
            id_number = make_id_number(
                "610302", date(1970, 1, 1) + timedelta(days=int(tag, 16) % 5000 + n), 300 + n % 600
            )
            person = ensure_person(s, vault, id_number, f"压测{n}")
            s.add(
                Credential(
                    person_id=person.id,
                    kind=CredentialKind.PASSWORD,
                    identifier=person.id_digest,
                    secret_hash=stored,
                )
            )
            people.append(id_number)
        s.commit()
        yield {"slot": slot.id, "big": big.id, "people": people, "sessions": sessions}
    engine.dispose()


def _logged_in(base: str, id_number: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/account/login", timeout=60).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    resp = http.post(
        f"{base}/account/login",
        data={"id_number": id_number, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    assert resp.status_code == 302, resp.text[:200]
    page = http.get(f"{base}/appointments/", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)" name="csrf_token"', page
    )
    return http, token.group(1)


def _log_in_all(base: str, id_numbers: list[str]) -> list[tuple[requests.Session, str]]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda n: _logged_in(base, n), id_numbers))


def _race(clients: list[tuple[requests.Session, str]], base: str, slot: int) -> list[tuple[int, str]]:
    """Fire every client's booking at once (a barrier), return (status, error code) per client."""
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def go(http: requests.Session, token: str) -> None:
        # A kept-alive connection left idle while the others log in may be closed by gunicorn (keepalive 2 s)
        # just as we reuse it, which reads as "connection reset". Race on fresh connections instead.
        http.close()
        barrier.wait()
        resp = http.post(
            f"{base}/api/v1/appointments",
            json={"item": ITEM, "slot": slot},
            headers={"X-CSRFToken": token},
            timeout=120,
        )
        code = resp.json().get("error", {}).get("code", "") if resp.status_code != 201 else ""
        with lock:
            results.append((resp.status_code, code))

    threads = [threading.Thread(target=go, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_many_clients_one_small_slot(storm, database_url):
    with gunicorn_gateway(database_url, TEST_SECRET, workers=4, RATE_LIMITS="0") as base:
        clients = _log_in_all(base, storm["people"])
        results = _race(clients, base, storm["slot"])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == CAPACITY, statuses
    assert statuses[409] == CLIENTS - CAPACITY, statuses
    assert {code for status, code in results if status == 409} == {"slot_full"}
    assert not [s for s in statuses if s >= 500]
    with storm["sessions"]() as s:
        assert s.get(Slot, storm["slot"]).booked == CAPACITY
        assert (
            s.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.slot_id == storm["slot"]))
            == CAPACITY
        )


def test_one_person_from_many_connections_gets_one_booking(storm, database_url):
    with gunicorn_gateway(database_url, TEST_SECRET, workers=4, RATE_LIMITS="0") as base:
        clients = _log_in_all(base, [storm["people"][0]] * SAME_PERSON_CONNECTIONS)
        results = _race(clients, base, storm["big"])
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, statuses
    assert {code for status, code in results if status != 201} == {"already_booked"}
    with storm["sessions"]() as s:
        assert s.get(Slot, storm["big"]).booked == 1
        active = s.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(Booking.slot_id == storm["big"], Booking.status == BookingStatus.BOOKED)
        )
        assert active == 1
