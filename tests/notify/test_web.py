"""The inbox on the web and in the API, the preferences page, the staff message view and the operations API."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from notify import Channel, MessageKind
from notify.kinds import MessageStatus
from notify.models import NotifyMessage
from notify.preferences import chosen_channels
from tests.conftest import TEST_SECRET, csrf_token, login, staff_login
from tests.notify.helpers import queue_booked


@pytest.fixture
def person_id(sessions, person) -> int:
    with sessions() as s:
        return find_person(s, PiiVault(TEST_SECRET), person.id_number).id


def _deliver_two(sessions, pid, make_dispatcher) -> None:
    with sessions.begin() as s:
        queue_booked(s, pid, "web-1")
        queue_booked(s, pid, "web-2", link="/appointments/")
    make_dispatcher().run_until_idle()


def test_inbox_api_needs_a_login_and_lists_with_the_unread_count(client, person, person_id, sessions, make_dispatcher):
    anonymous = client.get("/api/v1/inbox")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["message"] == "请先登录。"
    login(client, person.id_number)
    _deliver_two(sessions, person_id, make_dispatcher)
    body = client.get("/api/v1/inbox").get_json()
    assert body["unread"] == 2 and body["total"] == 2
    first = body["items"][0]
    assert first["title"].startswith("预约成功") and first["read"] is False
    assert client.get(f"/api/v1/inbox/{first['id']}").get_json()["read"] is True
    assert client.get("/api/v1/inbox").get_json()["unread"] == 1
    assert client.get("/api/v1/inbox?page=abc").status_code == 400
    assert client.get("/api/v1/inbox/999999").status_code == 404
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/inbox" in doc["paths"] and "InboxMessage" in doc["components"]["schemas"]


def test_web_inbox_shows_the_count_and_marks_read_on_open(client, person, person_id, sessions, make_dispatcher):
    login(client, person.id_number)
    html = client.get("/").get_data(as_text=True)
    assert 'id="inbox-link"' in html and 'id="unread-count"' not in html  # nothing yet
    _deliver_two(sessions, person_id, make_dispatcher)
    html = client.get("/").get_data(as_text=True)
    assert "站内信，2条未读" in html
    page = client.get("/account/inbox/").get_data(as_text=True)
    assert "<strong>2</strong> 条未读" in page and page.count("未读</span>") == 2
    message_id = client.get("/api/v1/inbox").get_json()["items"][0]["id"]
    opened = client.get(f"/account/inbox/{message_id}").get_data(as_text=True)
    assert "预约号A0012" in opened and "站内信，1条未读" in opened


def test_another_persons_message_is_not_found(client, accounts, person_id, sessions, make_dispatcher):
    _deliver_two(sessions, person_id, make_dispatcher)
    with sessions() as s:
        from notify.models import NotifyMessage

        mine = s.query(NotifyMessage.id).filter_by(person_id=person_id).first()[0]
    login(client, accounts[1].id_number)
    assert client.get(f"/account/inbox/{mine}").status_code == 404
    assert client.get(f"/api/v1/inbox/{mine}").status_code == 404


def test_preferences_page_saves_and_keeps_legal_notices_in_the_inbox(client, person, person_id, sessions):
    login(client, person.id_number)
    page = client.get("/account/inbox/settings")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    resp = client.post(
        "/account/inbox/settings",
        # As the form sends it: legal notices carry their fixed inbox choice in a hidden field.
        data={
            "csrf_token": token,
            "appointment_reminder": ["sms"],
            "application_result": ["inbox", "wechat"],
            "benefit_change": ["inbox"],
        },
    )
    assert resp.status_code == 200 and "设置已保存" in resp.get_data(as_text=True)
    with sessions() as s:
        assert chosen_channels(s, person_id, MessageKind.APPOINTMENT_REMINDER) == {Channel.SMS}
        assert chosen_channels(s, person_id, MessageKind.POLICY) == set()
    # A crafted form without the inbox for a legal notice is refused, nothing saved.
    resp = client.post(
        "/account/inbox/settings",
        data={"csrf_token": token, "benefit_change": ["sms"], "application_result": ["inbox"]},
    )
    assert resp.status_code == 400 and "至少要保留站内信" in resp.get_data(as_text=True)
    with sessions() as s:
        assert chosen_channels(s, person_id, MessageKind.APPOINTMENT_REMINDER) == {Channel.SMS}


def test_operations_api_is_closed_without_a_token_and_refuses_wrong_ones(app):
    client = app.test_client()
    closed = client.get("/api/v1/staff/notify/messages")
    assert closed.status_code == 403 and "未开放" in closed.get_json()["error"]["message"]
    app.config["SETTINGS"].staff_token = "staff-interim-token-for-tests"
    try:
        assert client.get("/api/v1/staff/notify/messages", headers={"Authorization": "Bearer nope"}).status_code == 401
        # HTTP Basic is sent by browsers on their own: never accepted, even with the right token as password.
        basic = base64.b64encode(b"wang:staff-interim-token-for-tests").decode()
        resp = client.post(
            "/api/v1/staff/notify/messages/1/resend",
            json={"reason": "x"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert resp.status_code == 401
        bearer = {"Authorization": "Bearer staff-interim-token-for-tests"}
        bad = client.get("/api/v1/staff/notify/messages?status=bogus", headers=bearer)
        assert bad.status_code == 400
    finally:
        app.config["SETTINGS"].staff_token = ""


def test_message_view_needs_a_staff_login_with_the_right_role(client, make_staff, database_url):
    assert client.get("/hotline/messages/").status_code == 302
    hall = make_staff(StaffRole.HALL)
    staff_login(client, database_url, hall)
    assert client.get("/hotline/messages/").status_code == 403
    agent = make_staff(StaffRole.AGENT)
    staff_login(client, database_url, agent)
    page = client.get("/hotline/messages/?status=permanent_failure")
    assert page.status_code == 200 and "消息发送情况" in page.text
    # Agents look; only supervisors and administrators resend.
    refused = client.post("/hotline/messages/1/resend", data={"reason": "x", "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 403


def test_supervisor_resends_a_failed_message_and_both_trails_record_it(
    client, make_staff, database_url, sessions, person_id
):
    with sessions.begin() as s:
        queue_booked(s, person_id, "failed-for-good")
    with sessions.begin() as s:
        message = s.scalars(sa.select(NotifyMessage).order_by(NotifyMessage.id)).first()
        message.status = MessageStatus.PERMANENT_FAILURE
        message_id = message.id
    supervisor = make_staff(StaffRole.SUPERVISOR)
    staff_login(client, database_url, supervisor)
    page = client.get("/hotline/messages/?status=permanent_failure")
    assert f"/hotline/messages/{message_id}/resend" in page.text
    missing = client.post(f"/hotline/messages/{message_id}/resend", data={"csrf_token": csrf_token(page.text)})
    assert missing.status_code == 400 and "请填写重新发送的原因" in missing.text
    done = client.post(
        f"/hotline/messages/{message_id}/resend", data={"reason": "号码已恢复", "csrf_token": csrf_token(page.text)}
    )
    assert done.status_code == 302
    with sessions() as s:
        assert s.get(NotifyMessage, message_id).status is MessageStatus.CREATED
        notify_trail = s.execute(sa.text("SELECT actor, detail FROM notify_audit")).all()
        staff_trail = s.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.staff_id == supervisor.id, AuditEntry.action == AuditAction.MESSAGE_RESENT
            )
        ).all()
    assert notify_trail == [(f"staff:{supervisor.username}", "号码已恢复")]
    assert len(staff_trail) == 1 and staff_trail[0].person_id == person_id


def test_readyz_warns_when_the_outbox_is_not_drained(client, sessions, person_id):
    assert client.get("/readyz").json["checks"]["dispatch"] == "ok"
    with sessions.begin() as s:
        queue_booked(s, person_id, "nobody-sends-this")
    assert client.get("/readyz").json["checks"]["dispatch"] == "ok"  # due just now: a worker has time
    with sessions.begin() as s:
        s.execute(
            sa.update(NotifyMessage).values(next_attempt_at=NotifyMessage.next_attempt_at - timedelta(minutes=11))
        )
    ready = client.get("/readyz")
    # A stopped worker is an operator's alarm, not a reason to take this node out of the load balancer.
    assert ready.json["checks"]["dispatch"] == "behind"
    assert ready.status_code == 200 and ready.json["status"] == "ready"
