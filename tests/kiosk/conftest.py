"""Kiosk fixtures: an enrolled kiosk at hall H01, its bridge (the card-reader sandbox) configured with the
device key, demo people's cards as the back office has them, and signed card-read results."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.local import LocalBackOffice
from gateway.db import make_engine
from gateway.identity.models import LoginGuard
from gateway.kiosk.devices import EnrolledDevice, enrol, sign
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET

HALL = "H01"
#: What the sandbox chips are personalised with in these tests (the PIN never reaches the gateway).
PIN = "135790"


@pytest.fixture(scope="session")
def settings(settings, tmp_path_factory):
    """The shared settings with a var/ of our own holding the local agency seal (``shebao seal init``), so the
    kiosk can print sealed proofs and the printouts stay out of other tests' folders."""
    from dataclasses import replace
    from pathlib import Path

    from esign import pki

    own = replace(settings, var_dir=tmp_path_factory.mktemp("kiosk-var"))
    pki.init_local(Path(own.var_dir) / "seal", own.agency_name)
    return own


@pytest.fixture(scope="session")
def kiosk_sessions(database_url: str) -> Iterator[sessionmaker]:
    engine = make_engine(database_url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def device(kiosk_sessions) -> EnrolledDevice:
    with kiosk_sessions.begin() as s:
        return enrol(s, HALL)


@pytest.fixture
def card_of(kiosk_sessions):
    """The back office's card record of a demo account: (card number, ID number, name)."""
    bo = LocalBackOffice(kiosk_sessions)

    def lookup(account) -> tuple[str, str, str]:
        record = bo.find_person(account.id_number)
        return record.card_number, record.id_number, record.name

    return lookup


@pytest.fixture
def clear_card_guards(kiosk_sessions):
    """Lockout rows are keyed per card: drop the ones a test made so other tests start clean."""
    touched: list[str] = []
    vault = PiiVault(TEST_SECRET)

    def track(card_number: str) -> None:
        touched.append(vault.digest("card:" + card_number))

    yield track
    with kiosk_sessions.begin() as s:
        s.execute(sa.delete(LoginGuard).where(LoginGuard.subject_digest.in_(touched)))


def card_read(device: EnrolledDevice, card: tuple[str, str, str], verdict: str = "ok", **overrides) -> dict:
    """A card-read result as the bridge signs it."""
    card_number, id_number, name = card
    payload = {
        "device_id": device.device_id,
        "card_number": card_number,
        "aac002": id_number,
        "aac003": name,
        "pin_verdict": verdict,
        "ts": int(time.time()),
        "nonce": secrets.token_urlsafe(18),
    } | overrides
    return {"payload": payload, "signature": sign(device.private_key, payload)}


@pytest.fixture
def bridge(sandbox_url: str, device: EnrolledDevice) -> str:
    """The card-reader sandbox, configured with this test's kiosk credentials and no card in the slot."""
    url = sandbox_url + "/card-reader"
    requests.post(url + "/test/configure", json={"device_id": device.device_id, "private_key": device.private_key},
                  timeout=5).raise_for_status()  # fmt: skip
    return url


def kiosk_login(client, device: EnrolledDevice, card: tuple[str, str, str]):
    """Log in at the kiosk through the card page's endpoint with a signed card read (what the script does)."""
    import re

    page = client.get(f"/kiosk/{HALL}/login/card")
    token = re.search(r'data-csrf="([^"]+)"', page.get_data(as_text=True)).group(1)
    resp = client.post(f"/kiosk/{HALL}/login/card", json=card_read(device, card), headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp


@pytest.fixture
def person_row(kiosk_sessions):
    """The gateway Person of a demo account (made on first sight, as a first login would)."""
    from gateway.identity.service import ensure_person

    def make(account) -> int:
        with kiosk_sessions() as s:
            person = ensure_person(s, PiiVault(TEST_SECRET), account.id_number, account.name)
            s.commit()
            return person.id

    return make


@pytest.fixture
def deliver_inbox(settings, kiosk_sessions):
    """Queue appointment messages for a person and run the push platform's dispatcher until they are in the
    inbox; removes them afterwards."""
    from gateway.worker import build_dispatcher
    from notify import MessageKind, enqueue
    from notify.clock import QuietHours
    from notify.models import NotifyAttempt, NotifyMessage

    keys: list[str] = []
    engine = make_engine(settings.database_url)

    def deliver(person_id: int, count: int) -> None:
        # The demo people's inboxes are shared with other tests: send what is pending, mark it all read, so the
        # counts this test sees are its own.
        flush = build_dispatcher(settings, engine, quiet_hours=QuietHours("off"))
        try:
            flush.run_until_idle()
        finally:
            flush.close()
        with kiosk_sessions.begin() as s:
            s.execute(
                sa.update(NotifyMessage)
                .where(NotifyMessage.person_id == person_id, NotifyMessage.read_at.is_(None))
                .values(read_at=datetime.now(UTC))
            )
        with kiosk_sessions.begin() as s:
            for n in range(count):
                key = f"kiosk-test-{secrets.token_hex(6)}"
                keys.append(key)
                enqueue(s, person_id=person_id, kind=MessageKind.APPOINTMENT_BOOKED, template="appointment_booked",
                        params={"item": "养老保险关系转移", "hall": "高新区政务服务中心",
                                "time": f"2026-11-2{5 + n} 09:30", "code": f"A00{n + 1}"},
                        idempotency_key=key)  # fmt: skip
        dispatcher = build_dispatcher(settings, engine, quiet_hours=QuietHours("off"))
        try:
            dispatcher.run_until_idle()
        finally:
            dispatcher.close()

    yield deliver
    with kiosk_sessions.begin() as s:
        ids = sa.select(NotifyMessage.id).where(NotifyMessage.idempotency_key.in_(keys))
        s.execute(sa.delete(NotifyAttempt).where(NotifyAttempt.message_id.in_(ids)))
        s.execute(sa.delete(NotifyMessage).where(NotifyMessage.id.in_(ids)))
    engine.dispose()


@pytest.fixture
def booking_now(kiosk_sessions):
    """A booking at H01 for a person whose slot began five minutes ago (inside the check-in window)."""
    from datetime import timedelta

    from gateway.appointments.models import Booking, BookingStatus, Hall, Slot
    from gateway.appointments.service import CODE_ALPHABET, CODE_LENGTH  # codes the service could have made
    from gateway.clock import local_now, utc

    made: list[str] = []

    def book(person_id: int) -> str:
        now = local_now().replace(second=0, microsecond=0)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        with kiosk_sessions.begin() as s:
            hall = s.scalar(sa.select(Hall).where(Hall.code == HALL))
            # Five minutes ago or a little earlier (still inside the 30-minute check-in window) where this hall
            # has no slot yet — other tests' slots of the same minute stay — but never yesterday: just after
            # midnight the slot starts at 00:00.
            taken = set(s.scalars(sa.select(Slot.start).where(Slot.hall_id == hall.id, Slot.day == now.date())))
            begins = next(
                (b for m in range(5, 25) if (b := now - timedelta(minutes=m)).date() == now.date()
                 and b.time() not in taken),
                now.replace(hour=0, minute=0),
            )  # fmt: skip
            slot = Slot(hall_id=hall.id, day=begins.date(), start=begins.time(),
                        end=(begins + timedelta(minutes=30)).time(), capacity=1, booked=1)  # fmt: skip
            s.add(slot)
            s.flush()
            s.add(Booking(code=code, person_id=person_id, item_id="person-registration", slot_id=slot.id,
                          status=BookingStatus.BOOKED, priority=False, channel="web",
                          created_at=utc(begins)))  # fmt: skip
        made.append(code)
        return code

    yield book
    # Other tests book for the same demo people: leave no booking of ours behind.
    with kiosk_sessions.begin() as s:
        slots = list(s.scalars(sa.select(Booking.slot_id).where(Booking.code.in_(made))))
        s.execute(sa.delete(Booking).where(Booking.code.in_(made)))
        s.execute(sa.delete(Slot).where(Slot.id.in_(slots)))
