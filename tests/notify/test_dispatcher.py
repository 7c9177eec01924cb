"""The dispatcher: retries with backoff, permanent failures, receipts, quiet hours, schedules, WeChat."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import requests
import sqlalchemy as sa

from gateway.clock import utc as to_utc
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.wechat_ids import SubscribeGrant, WeChatApp, WeChatIdentity
from notify import Channel, MessageKind, MessageStatus, enqueue
from notify.clock import QuietHours
from notify.models import AttemptOutcome, NotifyMessage
from notify.preferences import set_channels
from tests.notify.helpers import attempts, messages, queue_booked


def _sms_only(sessions, pid: int, kind: MessageKind = MessageKind.APPOINTMENT_BOOKED) -> None:
    with sessions.begin() as s:
        set_channels(s, pid, kind, {Channel.SMS})


def test_a_provider_failing_twice_delivers_on_the_third_try_with_backoff_recorded(
    sessions, people, make_dispatcher, sms_sandbox, clock
):
    pid, phone = people[0]
    _sms_only(sessions, pid)
    sms_sandbox.rule(phone, fail_times=2, fail_status=503)
    with sessions.begin() as s:
        queue_booked(s, pid, "retry-1")
    d = make_dispatcher()
    (msg,) = messages(sessions)
    for expected in (1, 2):
        d.run_once()
        row = messages(sessions)[0]
        assert row.status is MessageStatus.TEMPORARY_FAILURE and row.attempts == expected
        assert d.run_once().claimed == 0, "not due again before its backoff ends"
        clock.value = row.next_attempt_at
    d.run_until_idle()
    row = messages(sessions)[0]
    assert row.status is MessageStatus.DELIVERED and row.attempts == 3
    history = attempts(sessions, msg.id)
    assert [a.outcome for a in history] == [
        AttemptOutcome.TEMPORARY_FAILURE,
        AttemptOutcome.TEMPORARY_FAILURE,
        AttemptOutcome.ACCEPTED,
    ]
    # Exponential with jitter: base 30 s, then 60 s; each wait in [raw/2, raw].
    first, second = history[0].backoff_seconds, history[1].backoff_seconds
    assert 15 <= first <= 30 and 30 <= second <= 60
    assert "gateway_busy" in history[0].error


def test_a_provider_that_always_fails_ends_in_permanent_failure_and_staff_see_it(
    sessions, people, make_dispatcher, sms_sandbox, clock, app
):
    pid, phone = people[0]
    _sms_only(sessions, pid)
    sms_sandbox.rule(phone, fail_times=-1, fail_status=503)
    with sessions.begin() as s:
        queue_booked(s, pid, "always-fails")
    d = make_dispatcher()
    for _ in range(10):
        d.run_until_idle()
        clock.advance(3600)
    (row,) = messages(sessions)
    assert row.status is MessageStatus.PERMANENT_FAILURE
    assert row.attempts == d.retry.max_attempts
    assert "重试5次后仍失败" in row.last_error

    app.config["SETTINGS"].staff_token = "staff-interim-token-for-tests"
    try:
        client = app.test_client()
        auth = {"Authorization": "Bearer staff-interim-token-for-tests"}
        listed = client.get("/api/v1/staff/notify/messages?status=permanent_failure", headers=auth).get_json()
        assert [m["id"] for m in listed["items"]] == [row.id]
        assert listed["items"][0]["address"].startswith(phone[:3]) and phone not in str(listed)
        assert len(listed["items"][0]["history"]) == 5
        by_person = client.get(f"/api/v1/staff/notify/messages?person_id={pid}", headers=auth).get_json()
        assert by_person["total"] == 1

        # Resend (audited), this time the gateway works.
        sms_sandbox.rule(phone)
        assert client.post(f"/api/v1/staff/notify/messages/{row.id}/resend", json={}, headers=auth).status_code == 400
        done = client.post(
            f"/api/v1/staff/notify/messages/{row.id}/resend", json={"reason": "号码已恢复"}, headers=auth
        )
        assert done.status_code == 200
        again = client.post(f"/api/v1/staff/notify/messages/{row.id}/resend", json={"reason": "x"}, headers=auth)
        assert again.status_code == 409
        d.run_until_idle()
        assert messages(sessions)[0].status is MessageStatus.DELIVERED
        with sessions() as s:
            audit = s.execute(sa.text("SELECT actor, action, detail FROM notify_audit")).all()
        assert audit == [("staff-token", "resend", "号码已恢复")]
    finally:
        app.config["SETTINGS"].staff_token = ""


def test_undeliverable_receipt_and_late_receipts(sessions, people, make_dispatcher, sms_sandbox, clock):
    pid, phone = people[0]
    other, other_phone = people[1]
    _sms_only(sessions, pid)
    _sms_only(sessions, other)
    sms_sandbox.rule(phone, receipt="UNDELIV")
    sms_sandbox.rule(other_phone, receipt_delay_seconds=1.5)
    with sessions.begin() as s:
        queue_booked(s, pid, "undeliv")
        queue_booked(s, other, "late")
    d = make_dispatcher()
    d.run_until_idle()
    undeliv, late = messages(sessions)
    assert undeliv.status is MessageStatus.PERMANENT_FAILURE and "空号" in undeliv.last_error
    assert late.status is MessageStatus.ACCEPTED and late.provider_id
    time.sleep(1.6)
    d.run_once()
    assert messages(sessions)[1].status is MessageStatus.DELIVERED


def test_quiet_hours_hold_non_urgent_sms_until_morning(
    sessions, people, make_dispatcher, sms_sandbox, clock, notify_settings
):
    pid, _ = people[0]
    night = to_utc(datetime(2026, 11, 23, 22, 30))  # 22:30 Beijing time
    clock.value = night
    with sessions.begin() as s:
        queue_booked(s, pid, "night", send_at=datetime(2026, 11, 23, 22, 0))
    d = make_dispatcher(quiet_hours=QuietHours("21:00-08:00"))
    stats = d.run_until_idle()
    assert stats.deferred == 1 and stats.delivered == 1  # the inbox is not disturbing
    sms = messages(sessions, channel=Channel.SMS)[0]
    assert sms.status is MessageStatus.CREATED and sms.attempts == 0
    assert sms.next_attempt_at == to_utc(datetime(2026, 11, 24, 8, 0))
    assert sms_sandbox.sent(account=notify_settings.sms_api_key) == []
    clock.value = to_utc(datetime(2026, 11, 24, 8, 0, 1))
    d.run_until_idle()
    assert messages(sessions, channel=Channel.SMS)[0].status is MessageStatus.DELIVERED


def test_quiet_hours_window():
    q = QuietHours("21:00-08:00")
    assert q.release_time(to_utc(datetime(2026, 11, 23, 20, 59))) is None
    assert q.release_time(to_utc(datetime(2026, 11, 23, 21, 0))) == to_utc(datetime(2026, 11, 24, 8, 0))
    assert q.release_time(to_utc(datetime(2026, 11, 24, 7, 59))) == to_utc(datetime(2026, 11, 24, 8, 0))
    assert q.release_time(to_utc(datetime(2026, 11, 24, 8, 0))) is None
    assert QuietHours("off").release_time(to_utc(datetime(2026, 11, 23, 23, 0))) is None
    day = QuietHours("12:00-13:30")
    assert day.release_time(to_utc(datetime(2026, 11, 23, 12, 10))) == to_utc(datetime(2026, 11, 23, 13, 30))


def test_login_codes_ignore_quiet_hours(sessions, people, make_dispatcher, clock):
    pid, _ = people[0]
    clock.value = to_utc(datetime(2026, 11, 23, 23, 0))
    with sessions.begin() as s:
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.LOGIN_CODE,
            template="login_code",
            params={"code": "123456", "minutes": "5"},
            idempotency_key="code-1",
            send_at=datetime(2026, 11, 23, 23),
        )
    make_dispatcher(quiet_hours=QuietHours("21:00-08:00")).run_until_idle()
    assert [m.status for m in messages(sessions)] == [MessageStatus.DELIVERED]


def test_a_scheduled_reminder_waits_in_the_table_until_due(sessions, people, make_dispatcher, clock):
    pid, _ = people[0]
    due = clock.value + timedelta(days=1)
    with sessions.begin() as s:
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.APPOINTMENT_REMINDER,
            template="appointment_reminder",
            params={
                "item": "养老保险关系转移",
                "hall": "高新区政务服务中心",
                "time": "2026-11-25 09:30",
                "code": "A0012",
            },
            idempotency_key="reminder-1",
            send_at=due.replace(tzinfo=None) + timedelta(hours=8),
        )
    assert make_dispatcher().run_until_idle().claimed == 0
    # "Restart": a brand-new dispatcher finds the row in the table when it is due.
    clock.value = due + timedelta(seconds=1)
    stats = make_dispatcher().run_until_idle()
    assert stats.claimed == 2
    assert {m.status for m in messages(sessions)} == {MessageStatus.DELIVERED}


def test_a_worker_that_died_mid_send_leaves_the_message_to_another(sessions, people, make_dispatcher, clock):
    pid, _ = people[0]
    with sessions.begin() as s:
        queue_booked(s, pid, "crash")
    crashed = make_dispatcher()
    token, claimed = crashed.claim()
    assert len(claimed) == 2  # ... and the process is killed here
    other = make_dispatcher()
    assert other.run_until_idle().claimed == 0
    clock.advance(other.lease_seconds + 1)
    assert other.run_until_idle().delivered == 1
    assert {m.status for m in messages(sessions)} == {MessageStatus.DELIVERED}


def test_wechat_subscribe_message_through_wechatpy(sessions, people, make_dispatcher, sandbox_url, clock):
    pid, _ = people[1]
    openid = "o-notify-wechat-test-000000001"
    base = f"{sandbox_url}/wechat"
    with sessions.begin() as s:
        s.add(Credential(person_id=pid, kind=CredentialKind.WECHAT, identifier=openid))
        # The person allowed both templates in the mini-program (issue 14: only such an openid receives them).
        now = to_utc(datetime(2026, 11, 24, 9, 0))
        s.add(WeChatIdentity(openid=openid, app=WeChatApp.MINIPROGRAM, first_seen_at=now, last_seen_at=now))
        s.flush()
        for template_id in ("TPL_APPOINTMENT_BOOKED", "TPL_APPOINTMENT_CANCELLED"):
            s.add(SubscribeGrant(openid=openid, template_id=template_id, remaining=1, updated_at=now))
        set_channels(s, pid, MessageKind.APPOINTMENT_BOOKED, {Channel.WECHAT})
        set_channels(s, pid, MessageKind.APPOINTMENT_CANCELLED, {Channel.WECHAT})
    try:
        requests.post(
            f"{base}/sandbox/subscriptions",
            json={"openid": openid, "template_id": "TPL_APPOINTMENT_BOOKED", "count": 1},
            timeout=5,
        )
        with sessions.begin() as s:
            queue_booked(s, pid, "wx-1")
            enqueue(
                s,
                person_id=pid,
                kind=MessageKind.APPOINTMENT_CANCELLED,
                template="appointment_cancelled",
                params={"item": "养老保险关系转移", "time": "2026-11-25 09:30", "reason": "本人取消"},
                idempotency_key="wx-2",
            )
        before = requests.get(f"{base}/sandbox/stats", timeout=5).json()["tokens_issued"]
        make_dispatcher().run_until_idle()
        booked, cancelled = messages(sessions)
        assert booked.status is MessageStatus.DELIVERED and booked.provider_id
        # Accepted in the gateway's record but not at WeChat → 43101; retrying cannot help.
        assert cancelled.status is MessageStatus.PERMANENT_FAILURE and "43101" in cancelled.last_error
        sent = requests.get(f"{base}/sandbox/messages", params={"openid": openid}, timeout=5).json()["messages"]
        assert sent[-1]["data"]["thing1"] == {"value": "养老保险关系转移"}
        after = requests.get(f"{base}/sandbox/stats", timeout=5).json()["tokens_issued"]
        # One token for both sends (cached by wechatpy), at most one more than before.
        assert sum(after.values()) - sum(before.values()) <= 1
    finally:
        with sessions.begin() as s:
            s.execute(sa.delete(NotifyMessage))
            s.execute(sa.delete(Credential).where(Credential.identifier == openid))
            s.execute(sa.delete(SubscribeGrant).where(SubscribeGrant.openid == openid))
            s.execute(sa.delete(WeChatIdentity).where(WeChatIdentity.openid == openid))
