"""The worker reads phone numbers from the configured back office: with ``SHEBAO_BACKOFFICE=http`` the SMS goes
to the number the remote core system answers, not to whatever the embedded back office's tables hold."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gateway.backoffice.interface import PersonRecord
from gateway.backoffice.local import LocalBackOffice
from gateway.backoffice.server import create_backoffice_app
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.security.pii import PiiVault
from gateway.worker import build_dispatcher
from notify import Channel, MessageKind, MessageStatus
from notify.clock import QuietHours
from notify.preferences import set_channels
from tests.backoffice.conftest import API_KEY, Unreliable
from tests.notify.helpers import messages, queue_booked
from tests.sandbox_server import serve_in_thread

# A number only the served core system knows (the person changed it there); no demo person has it.
CORE_PHONE = "13700000417"


class CoreSystem(LocalBackOffice):
    """The reference back office as the remote core system, where some people's phone numbers have changed."""

    def __init__(self, sessions, phones: dict[str, str]) -> None:
        super().__init__(sessions)
        self.phones = phones

    def find_person(self, id_number: str) -> PersonRecord | None:
        record = super().find_person(id_number)
        if record is not None and id_number in self.phones:
            record = dataclasses.replace(record, phone=self.phones[id_number])
        return record


@pytest.fixture
def core(sessions) -> Iterator[tuple[Unreliable, str, dict[str, str]]]:
    """The core system served over HTTP (counting its requests): the middleware, its URL and its phone changes."""
    phones: dict[str, str] = {}
    served = Unreliable(create_backoffice_app(CoreSystem(sessions, phones), API_KEY))
    with serve_in_thread(served) as url:
        yield served, url, phones


def test_the_worker_sends_to_the_phone_the_http_back_office_answers(
    sessions, notify_engine, people, settings, notify_settings, sms_sandbox, core
):
    served, url, phones = core
    pid, local_phone = people[0]
    with sessions() as s:
        id_number = identity_of(PiiVault(settings.secret_key), s.get(Person, pid)).id_number
        taken = s.scalar(sa.text("SELECT count(*) FROM bo_person WHERE phone = :p"), {"p": CORE_PHONE})
    assert taken == 0 and local_phone != CORE_PHONE
    phones[id_number] = CORE_PHONE
    with sessions.begin() as s:
        set_channels(s, pid, MessageKind.APPOINTMENT_BOOKED, {Channel.SMS})
        queue_booked(s, pid, "worker-http-backoffice")

    http_settings = dataclasses.replace(
        notify_settings, backoffice="http", backoffice_url=url, backoffice_api_key=API_KEY
    )
    http_settings.check()
    dispatcher = build_dispatcher(http_settings, notify_engine, quiet_hours=QuietHours("off"), concurrency=1)
    try:
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()

    (row,) = messages(sessions)
    assert row.status is MessageStatus.DELIVERED
    sent = sms_sandbox.sent(account=notify_settings.sms_api_key)
    assert [m["phone"] for m in sent] == [CORE_PHONE]
    assert sms_sandbox.sent(number=local_phone, account=notify_settings.sms_api_key) == []
    assert served.requests >= 1, "the phone number came over HTTP from the core system"


def test_the_worker_on_the_local_back_office_reads_the_embedded_tables(
    sessions, notify_engine, people, notify_settings, sms_sandbox, core
):
    served, _, _ = core
    pid, local_phone = people[0]
    with sessions.begin() as s:
        set_channels(s, pid, MessageKind.APPOINTMENT_BOOKED, {Channel.SMS})
        queue_booked(s, pid, "worker-local-backoffice")
    dispatcher = build_dispatcher(notify_settings, notify_engine, quiet_hours=QuietHours("off"))
    try:
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()
    sent = sms_sandbox.sent(account=notify_settings.sms_api_key)
    assert [m["phone"] for m in sent] == [local_phone]
    assert served.requests == 0
