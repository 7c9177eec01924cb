"""Real-name registration (LD/T 01 6.2.4): back-office match, GB 11643, password rule, agreement, SMS."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.identity.passwords import password_problem
from gateway.identity.service import AGREEMENT_VERSION
from gateway.security.limits import limiter
from tests.identity.conftest import PASSWORD, last_code, post_form


def _form(who, **over):
    data = {
        "id_number": who.id_number,
        "name": who.name,
        "phone": who.phone,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "agree": "y",
        "agreement_version": AGREEMENT_VERSION,
    }
    data.update(over)
    return data


def test_registration_in_two_steps_records_the_agreement(client, insured, sms_inbox, app):
    resp = post_form(client, "/account/register", _form(insured))
    assert resp.status_code == 302 and resp.location.endswith("/account/register/code")
    code = last_code(sms_inbox(insured.phone))
    done = post_form(client, "/account/register/code", {"code": code})
    assert done.status_code == 200 and "注册成功" in done.get_data(as_text=True)
    # Logged in straight away, at level 2 (the phone was proven).
    page = client.get("/account/").get_data(as_text=True)
    assert "2 级" in page and "注册" in page and AGREEMENT_VERSION in page
    with app.extensions["shebao_engine"].connect() as conn:
        version = conn.execute(
            sa.text("SELECT agreement_version FROM person WHERE agreement_accepted_at IS NOT NULL")
        ).scalars()
        assert AGREEMENT_VERSION in list(version)
        hashes = conn.execute(sa.text("SELECT secret_hash FROM credential WHERE kind='password'")).scalars()
        assert all(h.startswith("$argon2id$") for h in hashes)


def test_mismatched_name_or_phone_gets_one_message(client, insured, sms_inbox):
    wrong_name = post_form(client, "/account/register", _form(insured, name=insured.name + "某"))
    wrong_phone = post_form(client, "/account/register", _form(insured, phone="13900000000"))
    unknown = post_form(client, "/account/register", _form(insured, id_number="11010519491231002X"))
    for resp in (wrong_name, wrong_phone, unknown):
        assert resp.status_code == 400
        assert "与社会保险登记信息不一致" in resp.get_data(as_text=True)
    assert sms_inbox(insured.phone) == []


def test_bad_input_is_refused_with_the_field_named(client, insured):
    cases = [
        ({"id_number": "110101199003071234"}, "校验位"),
        ({"phone": "12345"}, "手机号码"),
        ({"password": "short", "password_again": "short"}, "密码长度"),
        ({"password": "alllowercase1", "password_again": "alllowercase1"}, "三种"),
        ({"password_again": "Shebao#2027"}, "两次输入的密码不一致"),
        ({"agree": ""}, "同意"),
        ({"agreement_version": "2019.1"}, "同意"),
    ]
    for over, message in cases:
        resp = post_form(client, "/account/register", _form(insured, **over))
        assert resp.status_code == 400, over
        assert message in resp.get_data(as_text=True), over


def test_a_registered_person_cannot_register_again(client, member, sms_inbox):
    resp = post_form(client, "/account/register", _form(member))
    assert resp.status_code == 302
    done = post_form(client, "/account/register/code", {"code": last_code(sms_inbox(member.phone))})
    assert done.status_code == 409 and "已开通网上账户" in done.get_data(as_text=True)


def test_wrong_registration_code_does_not_create_the_account(client, insured, sms_inbox):
    post_form(client, "/account/register", _form(insured))
    right = last_code(sms_inbox(insured.phone))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    resp = post_form(client, "/account/register/code", {"code": wrong})
    assert resp.status_code == 400 and "验证码不正确" in resp.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_password_rule():
    assert password_problem("Shebao#2026") is None
    assert password_problem("Ab1!") is not None
    assert password_problem("Qinchuan7x") is None
    assert "常见" in password_problem("Password1")
    assert password_problem("password1") is not None  # two classes only
    assert "身份证" in password_problem("Aa!19900307", id_number="110101199003071234")
    assert "身份证" in password_problem("Aa!13812345678", phone="13812345678")


def test_password_reset_by_sms_lifts_the_lock(client, member, sms_inbox, app):
    from gateway.identity.service import LoginOutcome, authenticate_password
    from gateway.request_db import get_session

    with app.app_context():
        for _ in range(5):
            authenticate_password(get_session(), app.extensions["shebao_vault"], member.id_number, "Wrong#2026")
    step1 = post_form(client, "/account/reset", {"id_number": member.id_number, "name": member.name})
    assert step1.status_code == 302 and step1.location.endswith("/account/reset/code")
    new = "Qinchuan#2027"
    data = {"code": last_code(sms_inbox(member.phone)), "password": new, "password_again": new}
    done = post_form(client, "/account/reset/code", data)
    assert done.status_code == 200 and "密码已重设" in done.get_data(as_text=True)
    with app.app_context():
        vault = app.extensions["shebao_vault"]
        assert authenticate_password(get_session(), vault, member.id_number, new).outcome is LoginOutcome.OK


def test_password_reset_does_not_tell_who_has_an_account(client, insured, sms_inbox):
    # An insured person with no online account, and a wrong name: the same next page, and no SMS.
    for who in (
        {"id_number": insured.id_number, "name": insured.name},
        {"id_number": insured.id_number, "name": "某"},
    ):
        resp = post_form(client, "/account/reset", who)
        assert resp.status_code == 302 and resp.location.endswith("/account/reset/code")
        limiter.reset()  # one request a minute per ID number, account or not (tests/identity/test_reset_privacy.py)
    assert sms_inbox(insured.phone) == []
    data = {"code": "123456", "password": "Qinchuan#2027", "password_again": "Qinchuan#2027"}
    refused = post_form(client, "/account/reset/code", data)
    assert refused.status_code == 400 and "验证码不正确或已失效" in refused.get_data(as_text=True)
