"""Authorised proxies (Regulation Art. 30): granting checks the proxy against the back office and their account,
a proxy books for the grantor through the same three steps, both are told, and either side can end the grant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.appointments.models import Booking, BookingStatus
from gateway.appointments.service import free_seats
from gateway.backoffice.local import LocalBackOffice
from gateway.clock import BEIJING
from gateway.identity.service import ensure_person, find_person
from gateway.proxies import service as proxies
from gateway.proxies.models import ProxyGrant
from gateway.security.pii import PiiVault
from notify.models import NotifyAttempt, NotifyMessage
from tests.conftest import TEST_SECRET, csrf_token, login

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)


@dataclass(frozen=True)
class Proxy:
    id_number: str
    name: str


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def pair(db, accounts):
    """(grantor, proxy, their person ids): the retiree lets the transfer applicant book for him."""
    vault = PiiVault(TEST_SECRET)
    grantor, proxy = accounts[1], accounts[2]
    ids = find_person(db, vault, grantor.id_number).id, find_person(db, vault, proxy.id_number).id
    db.execute(sa.delete(ProxyGrant))
    _release_bookings(db, ids)  # the demo people also book in other tests (their three seats, the same item)
    db.commit()
    yield grantor, proxy, ids
    db.execute(sa.delete(ProxyGrant))
    # Bookings a test left active would refuse the next test's booking of the same item ("already booked").
    _release_bookings(db, ids)
    # The demo people's inboxes are shared with other tests' counts: take our booking messages back.
    ours = sa.select(NotifyMessage.id).where(
        NotifyMessage.person_id.in_(ids), NotifyMessage.idempotency_key.like("booking:%")
    )
    db.execute(sa.delete(NotifyAttempt).where(NotifyAttempt.message_id.in_(ours)))
    db.execute(sa.delete(NotifyMessage).where(NotifyMessage.id.in_(ours)))
    db.commit()


def _release_bookings(db, person_ids) -> None:
    """Cancel the people's active bookings and give their seats back, as a cancellation would."""
    active = list(
        db.scalars(
            sa.select(Booking.id).where(Booking.person_id.in_(person_ids), Booking.status == BookingStatus.BOOKED)
        )
    )
    db.execute(sa.update(Booking).where(Booking.id.in_(active)).values(status=BookingStatus.CANCELLED))
    free_seats(db, active)


def _grant(db, database_url, grantor_id, proxy, *, name=None, months=6, now=NOW):
    backoffice = LocalBackOffice(sessionmaker(bind=db.get_bind()))
    made = proxies.grant(
        db,
        PiiVault(TEST_SECRET),
        backoffice,
        grantor_id=grantor_id,
        proxy_id_number=proxy.id_number,
        proxy_name=name or proxy.name,
        months=months,
        now=now,
    )
    db.commit()  # as the web request would
    return made


def test_grant_rules(db, database_url, pair, accounts):
    grantor, proxy, (grantor_id, proxy_id) = pair
    # A wrong name answers like an unknown person (nothing to probe).
    with pytest.raises(proxies.ProxyRefused) as wrong:
        _grant(db, database_url, grantor_id, proxy, name="某某某")
    assert wrong.value.message == proxies.NOT_FOUND
    with pytest.raises(proxies.ProxyRefused, match="不能授权本人"):
        _grant(db, database_url, grantor_id, grantor)
    with pytest.raises(proxies.ProxyRefused, match="授权期限"):
        _grant(db, database_url, grantor_id, proxy, months=5)
    made = _grant(db, database_url, grantor_id, proxy)
    assert made.valid_until == NOW + timedelta(days=180)
    with pytest.raises(proxies.ProxyRefused, match="已授权过"):
        _grant(db, database_url, grantor_id, proxy)
    assert proxies.may_act(db, proxy_id=proxy_id, grantor_id=grantor_id, scope=made.scope, now=NOW)
    # Grants run out on their own.
    assert not proxies.may_act(
        db, proxy_id=proxy_id, grantor_id=grantor_id, scope=made.scope, now=NOW + timedelta(days=181)
    )
    # The proxy may give it up; a stranger may not touch it.
    with pytest.raises(proxies.ProxyRefused):
        proxies.revoke(
            db,
            grant_id=made.id,
            person_id=accounts[0] and find_person(db, PiiVault(TEST_SECRET), accounts[0].id_number).id,
            now=NOW,
        )
    proxies.revoke(db, grant_id=made.id, person_id=proxy_id, now=NOW)
    db.commit()
    assert not proxies.may_act(db, proxy_id=proxy_id, grantor_id=grantor_id, scope=made.scope, now=NOW)
    # ...and then the pair can be granted afresh.
    assert _grant(db, database_url, grantor_id, proxy).id != made.id


def test_at_most_three_live_grants(db, database_url, pair, accounts):
    grantor, _proxy, (grantor_id, _) = pair
    others = [a for a in accounts if a.id_number != grantor.id_number]
    for other in others[:3]:
        _grant(db, database_url, grantor_id, other)
    # A fourth real-name account: someone from the back office who registers online.
    known = {a.id_number for a in accounts}
    fourth = next(
        Proxy(r.id_number, r.name)
        for r in db.execute(sa.text("SELECT id_number, name FROM bo_person ORDER BY id"))
        if r.id_number not in known
    )
    ensure_person(db, PiiVault(TEST_SECRET), fourth.id_number, fourth.name)
    db.commit()
    with pytest.raises(proxies.ProxyRefused, match="最多"):
        _grant(db, database_url, grantor_id, fourth)
    assert len(proxies.active_grants_by(db, grantor_id, NOW)) == 3


def test_granting_on_the_web_needs_level_two(client, pair):
    grantor, proxy, _ = pair
    login(client, grantor.id_number)
    page = client.get("/account/proxies/")
    assert page.status_code == 200 and "新增代办人" in page.text
    answer = client.post(
        "/account/proxies/",
        data={
            "csrf_token": csrf_token(page.text),
            "proxy_id_number": proxy.id_number,
            "proxy_name": proxy.name,
            "months": "6",
            "understood": "yes",
        },
    )
    assert answer.status_code == 302 and "/account/step-up" in answer.headers["Location"]


def test_form_problems_are_listed_together(client, app, pair):
    grantor, _proxy, _ = pair
    login(client, grantor.id_number)
    with client.session_transaction() as s:  # as if the SMS step-up was done (it has its own tests)
        s["auth_level"] = 2
    page = client.get("/account/proxies/")
    answer = client.post(
        "/account/proxies/",
        data={"csrf_token": csrf_token(page.text), "proxy_id_number": "123", "proxy_name": "", "months": "7"},
    )
    assert answer.status_code == 400
    summary = answer.text[
        answer.text.index("error-summary") : answer.text.index("</ul>", answer.text.index("error-summary"))
    ]
    for field in ("proxy_id_number", "proxy_name", "months", "understood"):
        assert f'href="#{field}"' in summary


def test_proxy_books_for_the_grantor_and_both_are_told(client, app, db, database_url, pair):
    grantor, proxy, (grantor_id, proxy_id) = pair
    made = _grant(db, database_url, grantor_id, proxy, now=datetime.now())
    login(client, proxy.id_number)
    index = client.get("/appointments/")
    assert "为谁预约" in index.text and f"for={made.id}" in index.text
    chosen = client.get(f"/appointments/?for={made.id}")
    assert 'id="on-behalf"' in chosen.text
    item = re.search(r"/appointments/book\?item=([a-z-]+)&amp;for=" + str(made.id), chosen.text).group(1)
    step2 = client.get(f"/appointments/book?item={item}&for={made.id}")
    assert step2.status_code == 200
    slot_id = int(re.search(r'name="slot" id="slot-\d+" value="(\d+)">', step2.text).group(1))  # a free one
    step3 = client.get(f"/appointments/confirm?item={item}&slot={slot_id}&for={made.id}")
    assert "由您代办" in step3.text
    done = client.post(
        "/appointments/confirm",
        data={"csrf_token": csrf_token(step3.text), "item": item, "slot": slot_id, "for": made.id},
    )
    assert done.status_code == 302, done.text
    db.expire_all()
    booking = db.scalars(
        sa.select(Booking).where(
            Booking.person_id == grantor_id, Booking.item_id == item, Booking.status == BookingStatus.BOOKED
        )
    ).one()  # the one active booking: earlier tests' cancelled ones of the same item stay on record
    assert booking.booked_by_person_id == proxy_id and booking.status is BookingStatus.BOOKED
    told = set(
        db.scalars(
            sa.select(NotifyMessage.person_id).where(
                NotifyMessage.idempotency_key.like(f"booking:{booking.code}:booked%")
            )
        )
    )
    assert told == {grantor_id, proxy_id}
    # The proxy sees it among their bookings, marked, and may cancel it.
    assert "代他人预约" in client.get("/appointments/").text
    detail = client.get(f"/appointments/{booking.code}")
    cancelled = client.post(
        f"/appointments/{booking.code}/cancel", data={"csrf_token": csrf_token(detail.text), "confirmed": "1"}
    )
    assert cancelled.status_code == 302
    db.expire_all()
    assert db.get(Booking, booking.id).status is BookingStatus.CANCELLED
    # The grantor is told who cancelled.
    notice = db.scalars(
        sa.select(NotifyMessage).where(
            NotifyMessage.person_id == grantor_id, NotifyMessage.idempotency_key == f"booking:{booking.code}:cancelled"
        )
    ).first()
    assert "代办人取消" in notice.body


def test_after_revocation_the_proxy_cannot_book(client, db, database_url, pair):
    grantor, proxy, (grantor_id, proxy_id) = pair
    made = _grant(db, database_url, grantor_id, proxy, now=datetime.now())
    proxies.revoke(db, grant_id=made.id, person_id=grantor_id, now=datetime.now())
    db.commit()
    login(client, proxy.id_number)
    refused = client.get(f"/appointments/?for={made.id}")
    assert refused.status_code == 400 and "代办授权已失效" in refused.text
    assert "为谁预约" not in client.get("/appointments/").text


def _book(client, grant_id: int | None = None) -> str:
    """Book the first free slot of the first item through the three web steps (for the grantor when
    ``grant_id`` names a proxy grant); returns the booking code."""
    extra = f"&for={grant_id}" if grant_id else ""
    chosen = client.get(f"/appointments/?{extra.lstrip('&')}")
    item = re.search(r"/appointments/book\?item=([a-z-]+)" + extra.replace("&", "&amp;"), chosen.text).group(1)
    step2 = client.get(f"/appointments/book?item={item}{extra}")
    slot_id = int(re.search(r'name="slot" id="slot-\d+" value="(\d+)">', step2.text).group(1))
    step3 = client.get(f"/appointments/confirm?item={item}&slot={slot_id}{extra}")
    form = {"csrf_token": csrf_token(step3.text), "item": item, "slot": slot_id}
    done = client.post("/appointments/confirm", data=form | ({"for": grant_id} if grant_id else {}))
    assert done.status_code == 302, done.text
    return re.search(r"/appointments/([A-Z0-9]+)", done.location).group(1)


def test_a_revoked_proxy_loses_the_bookings_made_under_the_grant(client, db, database_url, pair):
    """Issue 13 (Must fix 6): the grant is checked at every use, not only when booking."""
    grantor, proxy, (grantor_id, proxy_id) = pair
    made = _grant(db, database_url, grantor_id, proxy, now=datetime.now())
    login(client, proxy.id_number)
    code = _book(client, made.id)
    detail = client.get(f"/appointments/{code}")
    assert detail.status_code == 200
    proxies.revoke(db, grant_id=made.id, person_id=grantor_id, now=datetime.now())
    db.commit()
    assert client.get(f"/appointments/{code}").status_code == 404
    cancel = client.post(f"/appointments/{code}/cancel", data={"csrf_token": csrf_token(detail.text), "confirmed": "1"})
    assert cancel.status_code == 404
    assert code not in client.get("/appointments/").text
    db.expire_all()
    assert db.scalars(sa.select(Booking).where(Booking.code == code)).one().status is BookingStatus.BOOKED


def test_a_grant_opens_booking_for_the_grantor_and_nothing_else(client, app, db, database_url, pair):
    """``for`` puts the grantor on the Actor for booking operations only: the grantor's own bookings stay theirs."""
    grantor, proxy, (grantor_id, proxy_id) = pair
    made = _grant(db, database_url, grantor_id, proxy, now=datetime.now())
    own = app.test_client()
    login(own, grantor.id_number)
    theirs = _book(own)
    login(client, proxy.id_number)
    assert client.get(f"/appointments/{theirs}?for={made.id}").status_code == 404
    assert theirs not in client.get(f"/appointments/?for={made.id}").text
    assert client.get("/appointments/?for=abc").status_code == 400


def test_a_proxy_named_by_passport_is_the_person_behind_it(db, database_url, pair):
    """LD/T 01 6.2.3 b (issue 20): a foreigner is granted by passport; the grant is to the one person the back
    office keeps under the permanent residence ID, and the trail shows the masked passport, never the number."""
    from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
    from gateway.identity.documents import Document
    from gateway.identity.models import IdentityEvent
    from gateway.validation import DocumentType

    grantor, _proxy, (grantor_id, _) = pair
    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == "foreigner2023")
    passport = holder.documents[1][1]
    backoffice = LocalBackOffice(sessionmaker(bind=db.get_bind()))
    made = proxies.grant(
        db,
        PiiVault(TEST_SECRET),
        backoffice,
        grantor_id=grantor_id,
        proxy_id_number=passport,
        proxy_name=holder.name,
        months=6,
        now=NOW,
        proxy_document=Document(DocumentType.PASSPORT, passport),
    )
    db.commit()
    expected = find_person(db, PiiVault(TEST_SECRET), holder.social_security_number)
    assert made.proxy_id == expected.id
    detail = db.scalar(
        sa.select(IdentityEvent.detail)
        .where(IdentityEvent.person_id == grantor_id, IdentityEvent.detail.like("授权%代办预约%"))
        .order_by(IdentityEvent.id.desc())
    )
    assert "护照" in detail and passport.split(":")[1] not in detail
