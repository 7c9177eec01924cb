"""Small gaps of issue 15: "resend code" on SMS login and registration (within the SMS limits), and a message
after a login that says it worked and how."""

from __future__ import annotations

from gateway.security.limits import limiter
from tests.conftest import csrf_token
from tests.identity.conftest import PASSWORD, last_code, post_form
from tests.identity.test_registration import _form


def _resend(client, path: str):
    page = client.get(path).get_data(as_text=True)
    assert "重新发送验证码" in page
    return client.post(path, data={"resend": "1", "csrf_token": csrf_token(page)})


def test_sms_login_code_can_be_sent_again_and_the_new_one_logs_in(client, member, sms_inbox):
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    limiter.reset()  # a minute later, as far as the per-phone limit is concerned
    again = _resend(client, "/account/login/sms/code")
    assert again.status_code == 200 and 'id="resent"' in again.get_data(as_text=True)
    assert len(sms_inbox(member.phone)) == 2
    done = post_form(client, "/account/login/sms/code", {"code": last_code(sms_inbox(member.phone))})
    assert done.status_code == 302


def test_resending_at_once_is_refused_by_the_sms_limit(client, member, sms_inbox):
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    again = _resend(client, "/account/login/sms/code")
    assert again.status_code == 400 and "太频繁" in again.get_data(as_text=True)
    assert len(sms_inbox(member.phone)) == 1


def test_registration_code_can_be_sent_again(client, insured, sms_inbox):
    post_form(client, "/account/register", _form(insured))
    limiter.reset()
    again = _resend(client, "/account/register/code")
    assert again.status_code == 200 and 'id="resent"' in again.get_data(as_text=True)
    assert len(sms_inbox(insured.phone)) == 2
    done = post_form(client, "/account/register/code", {"code": last_code(sms_inbox(insured.phone))})
    assert done.status_code == 200 and "注册成功" in done.get_data(as_text=True)


def test_an_sms_login_is_confirmed_once_on_the_next_page(client, member, sms_inbox):
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    post_form(client, "/account/login/sms/code", {"code": last_code(sms_inbox(member.phone))})
    first = client.get("/account/").get_data(as_text=True)
    assert 'id="login-notice"' in first and "您已通过密码 + 短信验证码登录" in first
    assert 'id="login-notice"' not in client.get("/account/").get_data(as_text=True)
