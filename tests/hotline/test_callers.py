"""12333: verifying a caller, the 15-minute delegation scoped to that caller, and what the agent does inside
it — progress, booking, cancelling, a certificate link by SMS — each attributed to agent and caller."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from channels.hotline import callers
from gateway.applications import service as applications
from gateway.appointments import service as appointments
from gateway.appointments.models import Booking, BookingStatus, Hall
from gateway.callers import delegation as delegations
from gateway.callers import verification
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel
from gateway.clock import FixedClock, local_now, set_clock
from gateway.identity.service import ensure_person, find_person
from gateway.staff.models import AuditAction, StaffRole
from notify.models import NotifyMessage
from tests.conftest import csrf_token, staff_login
from tests.hotline.helpers import audit_rows, caller_code, post_form, verify

ITEM = "person-info-change"


def _errors(html: str) -> list[str]:
    """The messages in the error summary at the top of a page."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', summary.group(0)) if summary else []


def _person_id(app, db, who) -> int:
    person = find_person(db, app.extensions["shebao_vault"], who.id_number)
    assert person is not None
    return person.id


# ------------------------------------------------------------------ the delegation as plain functions


def test_a_delegation_lasts_the_hotline_policys_15_minutes_and_belongs_to_one_agent():
    d = delegations.open_delegation(person_id=7, staff_id=3, now=1000.0)
    assert d.until - d.since == 15 * 60
    assert delegations.is_live(d, 1000.0) and delegations.is_live(d, 1899.0)
    assert not delegations.is_live(d, 1900.0)
    stored = {"person_id": 7, "staff_id": 3, "since": 1000.0, "until": 1900.0}
    assert delegations.read(stored, 3) == d
    assert delegations.read(stored, 4) is None  # another agent's session data is not a delegation
    assert delegations.read({"person_id": "x"}, 3) is None


# ------------------------------------------------------------------ verifying the caller


def test_only_agents_reach_caller_service(client, make_staff, database_url):
    assert client.get("/hotline/callers/").headers["Location"].startswith("/hotline/login")
    hall = make_staff(StaffRole.HALL)
    staff_login(client, database_url, hall)
    assert client.get("/hotline/callers/").status_code == 403
    assert "来电人服务" not in client.get("/hotline/").text


def test_wrong_name_or_unknown_number_get_the_same_one_message_and_no_sms(
    client, agent, caller, take_caller, sms_inbox, db
):
    home = client.get("/hotline/")
    assert "来电人服务" in home.text
    before = len(sms_inbox(caller.phone))
    wrong_name = post_form(client, "/hotline/callers/", {"id_number": caller.id_number, "name": caller.name + "某"})
    assert wrong_name.status_code == 400 and verification.NOT_MATCHED in wrong_name.text
    other = take_caller()
    # A real person's number with someone else's name: the very same answer as a wrong name.
    swapped = post_form(client, "/hotline/callers/", {"id_number": other.id_number, "name": caller.name})
    assert swapped.status_code == 400
    assert _errors(swapped.text) == _errors(wrong_name.text) == [verification.NOT_MATCHED]
    assert len(sms_inbox(caller.phone)) == before and not sms_inbox(other.phone)[before:]
    assert client.get("/hotline/callers/code").headers["Location"] == "/hotline/callers/"
    rows = audit_rows(db, agent.id)
    assert [r.action for r in rows[-2:]] == [AuditAction.PERSON_SEARCHED] * 2
    assert caller.id_number not in rows[-1].detail and "不符" in rows[-1].detail


def test_wrong_code_is_refused_and_the_right_one_starts_the_delegation(client, app, agent, caller, sms_inbox, db):
    sent = post_form(client, "/hotline/callers/", {"id_number": caller.id_number, "name": caller.name})
    assert sent.status_code == 302
    page = client.get("/hotline/callers/code")
    masked = caller.phone[:3] + "****" + caller.phone[-4:]
    assert masked in page.text and caller.phone not in page.text
    code = caller_code(sms_inbox(caller.phone))
    assert "告诉坐席" in sms_inbox(caller.phone)[-1]
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post("/hotline/callers/code", data={"code": wrong, "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400 and _errors(refused.text) == [verification.BAD_CODE]
    assert client.get("/hotline/callers/caller").headers["Location"] == "/hotline/callers/"
    ok = client.post("/hotline/callers/code", data={"code": code, "csrf_token": csrf_token(page.text)})
    assert ok.status_code == 302 and ok.headers["Location"] == "/hotline/callers/caller"
    overview = client.get("/hotline/callers/caller")
    assert overview.status_code == 200
    assert caller.id_number not in overview.text and caller.phone not in overview.text
    assert caller.id_number[:3] + "*" * 11 + caller.id_number[-4:] in overview.text
    verified = [r for r in audit_rows(db, agent.id) if r.action is AuditAction.CALLER_VERIFIED]
    assert len(verified) == 1 and verified[0].person_id == _person_id(app, db, caller)
    # The code was good once.
    again = client.post("/hotline/callers/code", data={"code": code, "csrf_token": csrf_token(page.text)})
    assert again.headers["Location"] == "/hotline/callers/"  # nothing pending: back to the start


def test_without_a_delegation_every_caller_page_sends_the_agent_to_verify(client, agent):
    for path in (
        "/hotline/callers/caller",
        "/hotline/callers/caller/book",
        "/hotline/callers/caller/link",
        "/hotline/callers/caller/book/slot?item=" + ITEM,
        "/hotline/callers/caller/applications/SQ1",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/hotline/callers/", path
    token = csrf_token(client.get("/hotline/callers/").text)
    for path in (
        "/hotline/callers/caller/link",
        "/hotline/callers/caller/bookings/ABCDEFGH/cancel",
        "/hotline/callers/caller/book/confirm",
    ):
        response = client.post(path, data={"csrf_token": token, "item": ITEM, "slot": "1"})
        assert response.status_code == 302 and response.headers["Location"] == "/hotline/callers/", path


@pytest.fixture
def frozen_clock() -> Iterator[FixedClock]:
    """The one clock stands still at the real now until the test moves it."""
    with set_clock(FixedClock()) as clock:
        yield clock


def test_the_delegation_ends_15_minutes_after_verification(client, app, agent, caller, sms_inbox, db, frozen_clock):
    now = frozen_clock
    verify(client, caller, sms_inbox)
    now.advance(14 * 60 + 59)
    page = client.get("/hotline/callers/caller")
    assert page.status_code == 200 and "还剩约 1 分钟" in page.text
    now.advance(1)
    expired = client.get("/hotline/callers/caller")
    assert expired.status_code == 302 and expired.headers["Location"] == "/hotline/callers/?ended=expired"
    assert callers.EXPIRED in client.get(expired.headers["Location"]).text
    # Gone, not paused: turning the clock back does not bring it back.
    now.advance(-600)
    assert client.get("/hotline/callers/caller").headers["Location"] == "/hotline/callers/"
    released = [r for r in audit_rows(db, agent.id) if r.action is AuditAction.CALLER_RELEASED]
    assert len(released) == 1 and released[0].person_id == _person_id(app, db, caller)
    assert "15 分钟" in released[0].detail


def test_ending_the_service_releases_the_caller(client, app, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    page = client.get("/hotline/callers/caller")
    done = client.post("/hotline/callers/release", data={"csrf_token": csrf_token(page.text)})
    assert done.headers["Location"] == "/hotline/callers/?ended=released"
    assert client.get("/hotline/callers/caller").headers["Location"] == "/hotline/callers/"
    last = audit_rows(db, agent.id)[-1]
    assert last.action is AuditAction.CALLER_RELEASED and last.person_id == _person_id(app, db, caller)


# ------------------------------------------------------------------ inside the delegation


def _book_directly(app, db, who, item_id: str = ITEM) -> Booking:
    """A booking made by the person themselves on the web (the service call the web page makes)."""
    person = ensure_person(db, app.extensions["shebao_vault"], who.id_number, who.name)
    db.commit()
    now = local_now()
    hall_id = appointments.halls_for_item(db, item_id)[0].id
    slot = next(s for d in appointments.slots_for(db, hall_id, now) for s in d.slots if s.remaining > 0)
    booking = appointments.book(db, person_id=person.id, item_id=item_id, slot_id=slot.id, now=now, channel=Channel.WEB)
    db.commit()  # as the web request would
    return booking


def _submitted_application(app, db, who):
    person = ensure_person(db, app.extensions["shebao_vault"], who.id_number, who.name)
    db.commit()
    item = load_catalog().get("flexible-employment-contribution")
    draft, errors = applications.save_form(
        db, person.id, item, {"phone": "13800138000", "grade": "100", "cycle": "year"}, now=datetime.now()
    )
    assert errors == []
    sent = applications.submit(
        db,
        draft,
        backoffice=app.extensions["shebao_backoffice"],
        id_number=who.id_number,
        risk_confirmed=True,
        now=datetime.now(),
    )
    db.commit()
    return sent


def test_one_callers_delegation_never_shows_another_persons_data(
    client, app, agent, caller, take_caller, sms_inbox, db
):
    other = take_caller()
    theirs = _book_directly(app, db, other)
    their_app = _submitted_application(app, db, other)
    mine = _submitted_application(app, db, caller)
    verify(client, caller, sms_inbox)
    overview = client.get("/hotline/callers/caller")
    assert mine.number in overview.text
    assert theirs.code not in overview.text and their_app.number not in overview.text
    assert client.get(f"/hotline/callers/caller/applications/{mine.number}").status_code == 200
    assert client.get(f"/hotline/callers/caller/applications/{their_app.number}").status_code == 404
    refused = client.post(
        f"/hotline/callers/caller/bookings/{theirs.code}/cancel", data={"csrf_token": csrf_token(overview.text)}
    )
    assert refused.status_code == 404 and "没有找到该预约" in refused.text
    db.expire_all()
    assert db.get(Booking, theirs.id).status is BookingStatus.BOOKED
    # No entry names the other person, and the refused cancellation left no trace as if it had happened.
    rows = audit_rows(db, agent.id)
    assert _person_id(app, db, other) not in {r.person_id for r in rows}
    assert AuditAction.CANCELLED not in {r.action for r in rows}


def test_book_in_three_steps_and_cancel_for_the_caller(client, app, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    step1 = client.get("/hotline/callers/caller/book")
    assert step1.status_code == 200
    link = re.search(rf'href="(/hotline/callers/caller/book/slot\?item={ITEM})"', step1.text)
    assert link, "the item is offered"
    step2 = client.get(link.group(1))
    assert step2.status_code == 200
    slot_id = re.search(r'name="slot" id="slot-(\d+)" value="\d+">', step2.text).group(1)
    step3 = client.get(f"/hotline/callers/caller/book/confirm?item={ITEM}&slot={slot_id}")
    assert step3.status_code == 200 and "确认预约" in step3.text
    done = client.post(
        "/hotline/callers/caller/book/confirm",
        data={"item": ITEM, "slot": slot_id, "csrf_token": csrf_token(step3.text)},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/hotline/callers/caller?done=booked"
    pid = _person_id(app, db, caller)
    booking = db.scalar(sa.select(Booking).where(Booking.person_id == pid, Booking.status == BookingStatus.BOOKED))
    assert booking is not None and booking.channel == "hotline" and booking.slot_id == int(slot_id)
    queued = db.scalars(
        sa.select(NotifyMessage).where(NotifyMessage.idempotency_key == f"booking:{booking.code}:booked")
    ).all()
    assert queued and {m.person_id for m in queued} == {pid}
    overview = client.get(done.headers["Location"])
    assert booking.code in overview.text and "预约成功" in overview.text

    cancelled = client.post(
        f"/hotline/callers/caller/bookings/{booking.code}/cancel", data={"csrf_token": csrf_token(overview.text)}
    )
    assert cancelled.headers["Location"] == "/hotline/callers/caller?done=cancelled"
    db.expire_all()
    assert db.get(Booking, booking.id).status is BookingStatus.CANCELLED
    rows = {r.action: r for r in audit_rows(db, agent.id)}
    for action in (AuditAction.BOOKED, AuditAction.CANCELLED):
        assert rows[action].staff_id == agent.id and rows[action].person_id == pid, action
    assert booking.code in rows[AuditAction.CANCELLED].detail
    assert load_catalog().get(ITEM).name in rows[AuditAction.BOOKED].detail
    # The caller is told the agent cancelled, not that they did it themselves.
    told = db.scalars(
        sa.select(NotifyMessage.body).where(NotifyMessage.idempotency_key == f"booking:{booking.code}:cancelled")
    ).all()
    assert told and all("12333坐席代为取消" in body for body in told if body)


def test_a_refused_booking_writes_no_audit_entry(client, app, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    hall = db.scalar(sa.select(Hall).order_by(Hall.id))
    today_slot = appointments.slots_for(db, hall.id, local_now() - timedelta(days=1))[0]
    page = client.get("/hotline/callers/caller/book")
    # Today's slot is outside the bookable window (from tomorrow); on a closed day any unknown slot will do.
    slot_id = str(today_slot.slots[0].id) if today_slot.slots else "999999"
    refused = client.post(
        "/hotline/callers/caller/book/confirm",
        data={"item": ITEM, "slot": slot_id, "csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code in (302, 409)
    assert AuditAction.BOOKED not in {r.action for r in audit_rows(db, agent.id)}


def test_send_a_certificate_link_to_the_registered_phone(client, app, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    masked = caller.phone[:3] + "****" + caller.phone[-4:]
    page = client.get("/hotline/callers/caller/link")
    assert page.status_code == 200 and masked in page.text and caller.phone not in page.text
    sent = client.post("/hotline/callers/caller/link", data={"csrf_token": csrf_token(page.text)})
    assert sent.status_code == 200, sent.text
    assert "已进入发送队列" in sent.text and masked in sent.text and caller.phone not in sent.text
    assert "/certificates/d/" not in sent.text  # a bearer link: the agent never sees it
    pid = _person_id(app, db, caller)
    message = db.scalar(
        sa.select(NotifyMessage).where(NotifyMessage.person_id == pid, NotifyMessage.template == "certificate_link")
    )
    assert message is not None and message.channel == "sms"
    url = re.search(r"(http\S+/certificates/d/\S+)", message.sms_text).group(1)
    pdf = client.get(urlsplit(url).path)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    entry = next(r for r in reversed(audit_rows(db, agent.id)) if r.action is AuditAction.LINK_SENT)
    assert entry.person_id == pid and masked in entry.detail and caller.phone not in entry.detail


def test_the_agents_own_trail_lists_what_they_did_and_for_whom_masked(
    client, app, agent, caller, sms_inbox, make_staff, database_url
):
    verify(client, caller, sms_inbox)
    client.get("/hotline/callers/caller")
    trail = client.get("/hotline/trail/")
    assert trail.status_code == 200
    assert "核验来电人" in trail.text and "查看" in trail.text
    masked_id = caller.id_number[:3] + "*" * 11 + caller.id_number[-4:]
    assert masked_id in trail.text and caller.id_number not in trail.text and caller.name not in trail.text
    # Someone else's console shows their own trail only.
    other = app.test_client()
    staff_login(other, database_url, make_staff(StaffRole.HALL))
    theirs = other.get("/hotline/trail/")
    assert theirs.status_code == 200 and masked_id not in theirs.text
