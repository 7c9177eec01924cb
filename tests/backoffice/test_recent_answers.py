"""Answers of moments ago (issue 18): a page that only shows a person's records may answer a question the core
system answered within the last 30 s, without calling it again; every other look-up always asks, and a write
about the person forgets what was kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.backoffice.exchange_log import ExchangeEntry
from gateway.backoffice.resilient import RECENT_ANSWER_AGE, recent_answers
from gateway.clock import ShiftedClock, set_clock
from tests.conftest import login, step_up


def _entries(app) -> int:
    with app.extensions["shebao_sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(ExchangeEntry))


@pytest.fixture
def calls(app, monkeypatch) -> dict[str, int]:
    """How often the core system itself was asked, by operation."""
    inner = app.extensions["shebao_backoffice"].inner
    counted: dict[str, int] = {}
    for name in ("find_person", "registrations", "account", "transfers", "contributions"):
        real = getattr(inner, name)

        def spy(*args, _real=real, _name=name, **kwargs):  # noqa: ANN202
            counted[_name] = counted.get(_name, 0) + 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(inner, name, spy)
    return counted


def test_the_rights_page_seen_again_within_half_a_minute_asks_the_core_system_nothing(app, person, calls) -> None:
    client = app.test_client()
    login(client, person.id_number)
    step_up(client)
    first = client.get("/rights/")
    assert first.status_code == 200
    asked = dict(calls)
    assert asked["registrations"] == asked["account"] == asked["transfers"] == 1
    entries = _entries(app)
    again = client.get("/rights/")
    assert again.status_code == 200
    assert again.get_data(as_text=True).count("<tr") == first.get_data(as_text=True).count("<tr")  # same records
    assert calls == asked  # nothing asked: the answers of moments ago
    assert _entries(app) == entries  # and no exchange, so no evidence
    with set_clock(ShiftedClock(RECENT_ANSWER_AGE + timedelta(seconds=1))):
        assert client.get("/rights/").status_code == 200
    assert calls["registrations"] == 2  # older than that: asked again, and logged
    assert _entries(app) > entries


def test_other_look_ups_always_ask(app, person, calls) -> None:
    bo = app.extensions["shebao_backoffice"]
    with app.test_request_context():
        bo.find_person(person.id_number)
        bo.find_person(person.id_number)  # a login's or an SMS's look-up decides something: always live
        assert calls["find_person"] == 2
        with recent_answers():
            bo.find_person(person.id_number)
            bo.find_person(person.id_number)
        assert calls["find_person"] == 3
        with recent_answers():
            bo.contributions(person.id_number, 1, 12)
            bo.contributions(person.id_number, 2, 12)  # other arguments, another question
        assert calls["contributions"] == 2


def test_a_write_about_the_person_forgets_what_was_kept(app, person, calls) -> None:
    bo = app.extensions["shebao_backoffice"]
    with app.test_request_context():
        with recent_answers():
            record = bo.find_person(person.id_number)
        bo.update_phone(person.id_number, record.phone)  # the same number again: a write, with no change
        with recent_answers():
            bo.find_person(person.id_number)
    assert calls["find_person"] == 2
