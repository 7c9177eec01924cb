"""A worker that dies between sending an SMS and recording it: the dispatcher's own record (status "sending",
claim token, committed before the call) and the gateway's status query decide, not the gateway's de-duplication
of a repeated out_id (issue 13)."""

from __future__ import annotations

import threading

import pytest

from notify import Channel, MessageKind, MessageStatus
from notify.models import AttemptOutcome
from notify.preferences import set_channels
from notify.providers import sms_out_id
from notify.sms import SmsClient, SmsError
from tests.notify.helpers import attempts, messages, queue_booked


@pytest.fixture
def sends(monkeypatch) -> list[str]:
    """Every out_id the gateway client POSTs, counted on our side of the wire."""
    seen: list[str] = []
    lock = threading.Lock()
    real = SmsClient.send

    def counting(self, phone, text, out_id=None):
        with lock:
            seen.append(out_id)
        return real(self, phone, text, out_id=out_id)

    monkeypatch.setattr(SmsClient, "send", counting)
    return seen


def _one_sms(sessions, pid: int, key: str) -> None:
    with sessions.begin() as s:
        set_channels(s, pid, MessageKind.APPOINTMENT_BOOKED, {Channel.SMS})
        queue_booked(s, pid, key)


def test_sent_then_crashed_before_recording_is_not_sent_again(
    sessions, people, make_dispatcher, clock, sends, sms_sandbox
):
    pid, phone = people[0]
    sms_sandbox.rule(phone, receipt_delay_seconds=3600)  # no delivery report yet: the status query decides
    _one_sms(sessions, pid, "crash-after-send")
    crashed = make_dispatcher()
    _token, (msg,) = crashed.claim()
    outcome = crashed._send(msg)  # the SMS leaves ...
    assert outcome.result is AttemptOutcome.ACCEPTED
    # ... and the process dies here: nothing recorded. Within the lease nobody touches the row.
    other = make_dispatcher()
    assert other.run_until_idle().claimed == 0
    assert messages(sessions)[0].status is MessageStatus.SENDING
    clock.advance(other.lease_seconds + 1)
    other.run_until_idle()
    (row,) = messages(sessions)
    # The gateway said it has our out_id: recorded from that, never POSTed a second time.
    assert sends == [sms_out_id(msg.id, msg.resend_count)]
    assert row.status is MessageStatus.ACCEPTED
    assert row.provider_id == outcome.provider_id
    assert [a.outcome for a in attempts(sessions, row.id)] == [AttemptOutcome.ACCEPTED]


def test_claimed_but_never_sent_is_sent_once_after_the_lease(sessions, people, make_dispatcher, clock, sends):
    pid, _ = people[1]
    _one_sms(sessions, pid, "crash-before-send")
    crashed = make_dispatcher()
    _token, (msg,) = crashed.claim()  # dies before the call
    other = make_dispatcher()
    clock.advance(other.lease_seconds + 1)
    other.run_until_idle()  # the gateway never had it: due again, sent now
    assert sends == [sms_out_id(msg.id, msg.resend_count)]
    assert messages(sessions)[0].status in (MessageStatus.ACCEPTED, MessageStatus.DELIVERED)


def test_gateway_cannot_answer_holds_the_row_then_gives_up_without_resending(
    sessions, people, make_dispatcher, clock, sends, monkeypatch, sms_sandbox
):
    pid, phone = people[2]
    sms_sandbox.rule(phone, receipt_delay_seconds=3600)  # no delivery report to tell either
    _one_sms(sessions, pid, "crash-unknown")
    crashed = make_dispatcher()
    _token, (msg,) = crashed.claim()
    crashed._send(msg)

    def down(self, out_id):
        raise SmsError("无法查询短信状态：ConnectionError", code="unreachable")

    monkeypatch.setattr(SmsClient, "find", down)
    other = make_dispatcher(uncertain_hold_seconds=600)
    clock.advance(other.lease_seconds + 1)
    other.run_until_idle()
    assert messages(sessions)[0].status is MessageStatus.SENDING, "held while nobody can tell"
    clock.advance(598)
    other.run_until_idle()
    assert messages(sessions)[0].status is MessageStatus.SENDING
    clock.advance(2)
    other.run_until_idle()
    sms_sandbox.clear()
    (row,) = messages(sessions)
    assert row.status is MessageStatus.PERMANENT_FAILURE and "无法向短信网关确认" in row.last_error
    assert len(sends) == 1, "never sent a second time"


def test_a_delivery_report_in_hand_settles_the_row_without_asking(sessions, people, make_dispatcher, clock, sends):
    pid, _ = people[3]
    _one_sms(sessions, pid, "crash-receipt")
    crashed = make_dispatcher()
    _token, (msg,) = crashed.claim()
    crashed._send(msg)
    other = make_dispatcher()
    other.poll_receipts()  # the report is stored on the row, still "sending"
    clock.advance(other.lease_seconds + 1)
    other.run_until_idle()
    assert len(sends) == 1
    assert messages(sessions)[0].status is MessageStatus.DELIVERED
