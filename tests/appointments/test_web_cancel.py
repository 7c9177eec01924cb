"""Cancelling an appointment on the web takes a confirmation step (LD/T 01 5.3.2)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import csrf_token, login, step_up


def _book(client: FlaskClient) -> str:
    """Book the first free slot of the first item through the three web steps; the booking code."""
    chosen = client.get("/appointments/")
    item = re.search(r"/appointments/book\?item=([a-z-]+)", chosen.text).group(1)
    step2 = client.get(f"/appointments/book?item={item}")
    slot_id = int(re.search(r'name="slot" id="slot-\d+" value="(\d+)">', step2.text).group(1))
    step3 = client.get(f"/appointments/confirm?item={item}&slot={slot_id}")
    done = client.post(
        "/appointments/confirm", data={"csrf_token": csrf_token(step3.text), "item": item, "slot": slot_id}
    )
    assert done.status_code == 302, done.text
    return re.search(r"/appointments/([A-Z0-9]+)", done.location).group(1)


def _status(client: FlaskClient, code: str) -> str:
    page = client.get(f"/appointments/{code}").text
    return re.search(r'id="booking-status">([^<（]+)', page).group(1)


def test_cancel_asks_for_confirmation_before_cancelling(client, accounts):
    login(client, accounts[-1].id_number)
    step_up(client)
    code = _book(client)
    detail = client.get(f"/appointments/{code}").text
    assert 'name="confirm" value="cancel"' in detail and "确认取消预约" not in detail
    # A cancel without the confirmation only leads to the question.
    unconfirmed = client.post(f"/appointments/{code}/cancel", data={"csrf_token": csrf_token(detail)})
    assert unconfirmed.status_code == 302 and "confirm=cancel" in unconfirmed.location
    assert _status(client, code) == "已预约"
    asked = client.get(f"/appointments/{code}?confirm=cancel").text
    assert "确定要取消这次预约吗" in asked and "确认取消预约" in asked
    done = client.post(f"/appointments/{code}/cancel", data={"csrf_token": csrf_token(asked), "confirmed": "1"})
    assert done.status_code == 302 and "cancelled=1" in done.location
    assert _status(client, code) == "已取消"
