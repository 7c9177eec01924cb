"""The outbox: queued in the caller's transaction, once per event, on the channels the person chose."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from gateway.identity import wechat_ids
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.wechat_ids import WeChatApp, WeChatIdentity
from notify import Channel, MessageKind, MessageStatus, TemplateError, enqueue
from notify.models import NotifyMessage
from notify.preferences import PreferenceError, chosen_channels, set_channels
from tests.notify.helpers import RESULT, messages, queue_booked


def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(
    sessions, people, make_dispatcher, sms_sandbox, notify_settings
):
    pid, _ = people[0]
    with sessions() as s:
        queue_booked(s, pid, "booking-41-booked")
        s.rollback()  # e.g. the booking itself failed
    assert messages(sessions) == []
    assert make_dispatcher().run_until_idle().claimed == 0
    assert sms_sandbox.sent(account=notify_settings.sms_api_key) == []


def test_the_same_event_twice_is_sent_once(sessions, people, make_dispatcher, sms_sandbox, notify_settings):
    pid, phone = people[0]
    for _ in range(2):  # a caller that retried after a timeout
        with sessions.begin() as s:
            queue_booked(s, pid, "booking-42-booked")
    rows = messages(sessions)
    assert sorted(r.channel for r in rows) == [Channel.INBOX, Channel.SMS]
    make_dispatcher().run_until_idle()
    sent = sms_sandbox.sent(account=notify_settings.sms_api_key)
    assert len(sent) == 1 and sent[0]["phone"] == phone
    assert {r.status for r in messages(sessions)} == {MessageStatus.DELIVERED}


def test_two_racing_callers_with_one_key_queue_one_message(sessions, people):
    pid, _ = people[0]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def caller():
        try:
            with sessions.begin() as s:
                barrier.wait()
                queue_booked(s, pid, "booking-43-booked")
        except BaseException as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(messages(sessions, channel=Channel.SMS)) == 1


def test_bad_template_values_fail_at_enqueue_and_store_nothing(sessions, people):
    pid, _ = people[0]
    with sessions() as s, pytest.raises(TemplateError, match="缺少参数"):
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.APPLICATION_RESULT,
            template="application_result",
            params={"item": "x"},
            idempotency_key="k1",
        )
    with sessions() as s, pytest.raises(TemplateError, match="不能用于"):
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.POLICY,
            template="application_result",
            params=dict(RESULT),
            idempotency_key="k2",
        )
    with sessions() as s, pytest.raises(TemplateError, match="幂等键"):
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.APPLICATION_RESULT,
            template="application_result",
            params=dict(RESULT),
            idempotency_key="",
        )
    assert messages(sessions) == []


def test_preferences_choose_channels_but_legal_notices_always_reach_the_inbox(sessions, people):
    pid, _ = people[1]
    with sessions.begin() as s:
        set_channels(s, pid, MessageKind.APPOINTMENT_REMINDER, {Channel.SMS})
        set_channels(s, pid, MessageKind.POLICY, set())
    with sessions() as s:
        assert chosen_channels(s, pid, MessageKind.APPOINTMENT_REMINDER) == {Channel.SMS}
        with pytest.raises(PreferenceError, match="至少要保留站内信"):
            set_channels(s, pid, MessageKind.APPLICATION_RESULT, {Channel.SMS})
        with pytest.raises(PreferenceError, match="只能通过短信"):
            set_channels(s, pid, MessageKind.LOGIN_CODE, {Channel.INBOX})
    with sessions.begin() as s:
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.POLICY,
            template="policy",
            params={"title": "社保卡换发", "summary": "第三代社保卡开始换发。"},
            idempotency_key="policy-1",
        )
        enqueue(
            s,
            person_id=pid,
            kind=MessageKind.APPLICATION_RESULT,
            template="application_result",
            params=dict(RESULT),
            idempotency_key="result-1",
        )
    # Policy: everything switched off → nothing queued. Result: inbox + SMS (defaults), no WeChat binding.
    assert [(r.kind, r.channel) for r in messages(sessions)] == [
        (MessageKind.APPLICATION_RESULT, Channel.INBOX),
        (MessageKind.APPLICATION_RESULT, Channel.SMS),
    ]


def test_wechat_is_used_only_for_a_person_who_logged_in_with_wechat(sessions, people):
    """Only a mini-program openid can receive a subscribe message (issue 14)."""
    pid, _ = people[1]
    with sessions.begin() as s:
        s.add(Credential(person_id=pid, kind=CredentialKind.WECHAT, identifier="o-notify-test-openid-000001"))
        wechat_ids.seen(s, WeChatApp.MINIPROGRAM, "o-notify-test-openid-000001", None)
    try:
        with sessions.begin() as s:
            queue_booked(s, pid, "booking-44-booked")
        assert {r.channel for r in messages(sessions)} == set(Channel)
    finally:
        with sessions.begin() as s:
            s.execute(sa.delete(NotifyMessage))
            s.execute(sa.delete(Credential).where(Credential.identifier == "o-notify-test-openid-000001"))
            s.execute(sa.delete(WeChatIdentity).where(WeChatIdentity.openid == "o-notify-test-openid-000001"))
