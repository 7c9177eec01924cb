"""The forgotten-password flow tells nobody who has an account, and a weak new password costs no SMS code
(issue 13, should fix; ASVS 5.0 6.3.8)."""

from __future__ import annotations

import time

from channels.web.auth import RESET_ANSWER_S
from tests.conftest import csrf_token
from tests.identity.conftest import last_code, post_form


def test_a_second_request_within_a_minute_is_too_frequent_for_anyone(client, insured):
    """An insured person with no online account gets the same "too often" answer a real account gets."""
    who = {"id_number": insured.id_number, "name": insured.name}
    assert post_form(client, "/account/reset", who).status_code == 302
    again = post_form(client, "/account/reset", who)
    assert again.status_code == 400 and "发送太频繁" in again.text


def test_a_request_for_nobody_answers_no_sooner_than_one_that_sends_a_code(client, insured):
    page = client.get("/account/reset")
    started = time.monotonic()
    client.post(
        "/account/reset",
        data={"id_number": insured.id_number, "name": "某", "csrf_token": csrf_token(page.text)},
    )
    assert time.monotonic() - started >= RESET_ANSWER_S


def test_a_weak_new_password_does_not_spend_the_code(client, member, sms_inbox):
    post_form(client, "/account/reset", {"id_number": member.id_number, "name": member.name})
    code = last_code(sms_inbox(member.phone))
    weak = post_form(client, "/account/reset/code", {"code": code, "password": "abc", "password_again": "abc"})
    assert weak.status_code == 400 and "密码长度" in weak.text
    strong = "Qinchuan#2027"
    done = post_form(client, "/account/reset/code", {"code": code, "password": strong, "password_again": strong})
    assert done.status_code == 200 and "密码已重设" in done.text
