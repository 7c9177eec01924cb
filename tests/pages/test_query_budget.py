"""How many SQL statements a hot page costs (issue 18): counted with an SQLAlchemy event listener, so the
count cannot creep back unnoticed. The budgets are today's counts; lower them when a page gets lighter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from gateway.appointments.models import Hall
from tests.conftest import login, step_up


@contextmanager
def counted(app) -> Iterator[list[str]]:
    engine = app.extensions["shebao_engine"]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, PLR0913
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


#: The evidence of each call to the core system (issue 19: the hash-chained exchange log, the last known answer)
#: is written on a side connection of its own; on SQLite that is another engine, on PostgreSQL the app's, so it is
#: left out here to count the same thing on both. Its cost — four statements per request, whatever the number of
#: calls, written once at the request's end — is held by tests/backoffice/test_exchange_log.py.
EVIDENCE_TABLES = ("bo_exchange_head", "bo_exchange_log", "bo_last_known")


def _statements(client, app, path: str) -> list[str]:
    client.get(path)  # first visit: whatever is done once per session (a "last seen" write) is not counted
    with counted(app) as statements:
        resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return [s for s in statements if not any(table in s for table in EVIDENCE_TABLES)]


# One statement for the session row, its person and the header's unread count; then the page's own.
BUDGETS = {
    "/": 1,
    "/progress/": 2,  # + the person's applications
    "/rights/": 5,  # + the back office: person, registrations, account, transfers
    "/rights/contributions": 4,  # + the back office: person, count, one page of months
    "/appointments/": 4,  # + halls' items, bookings (with the no-shows of the suspension), proxy grants
}


@pytest.mark.parametrize("path", sorted(BUDGETS))
def test_signed_in_pages_stay_within_their_query_budget(client, app, person, path):
    login(client, person.id_number)
    step_up(client)  # rights and progress need level 2
    statements = _statements(client, app, path)
    assert len(statements) <= BUDGETS[path], "\n".join(statements)


def test_a_halls_week_stays_within_its_query_budget(client, app, person):
    """The slot list, the opening morning's most frequent request (issue 18): the session, the hall, the week's
    slots, its closures and its templates — and no write once the week is made."""
    with app.extensions["shebao_sessionmaker"]() as db:
        hall = db.scalar(select(Hall.id).order_by(Hall.id))
    assert hall is not None
    login(client, person.id_number)
    statements = _statements(client, app, f"/api/v1/appointments/slots?hall={hall}")
    assert len(statements) <= 5, "\n".join(statements)
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in statements), statements


def test_the_header_unread_count_comes_with_the_person(client, app, person):
    login(client, person.id_number)
    client.get("/")
    with counted(app) as statements:
        html = client.get("/").get_data(as_text=True)
    assert not any(s.lstrip().upper().startswith("SELECT COUNT") for s in statements), statements
    assert "inbox-link" in html  # the header with its count was rendered


def test_public_pages_are_cacheable_for_a_cookieless_visitor_only(client, person):
    anonymous = client.get("/services/")
    assert anonymous.status_code == 200
    assert anonymous.headers["Cache-Control"] == "public, no-cache"
    assert "Cookie" in anonymous.headers["Vary"]
    # Asked again with its ETag, an unchanged page is a 304 without a body.
    again = client.get("/services/", headers={"If-None-Match": anonymous.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    login(client, person.id_number)
    signed_in = client.get("/services/")
    assert signed_in.headers["Cache-Control"] == "no-store"
    # A personal page is never marked public.
    client.delete_cookie("session") if hasattr(client, "delete_cookie") else None
    assert client.get("/progress/").headers["Cache-Control"] in ("no-store", "private, no-store")
