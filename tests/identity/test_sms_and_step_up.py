"""Password + SMS code (level 2), step-up to the level a service declares, and credential rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Blueprint, Flask

from gateway import create_app
from gateway.access.needs import gate
from gateway.catalog import load_catalog
from gateway.channel_policy import Operation
from gateway.identity.models import SmsPurpose
from gateway.identity.service import utcnow
from gateway.identity.sms_codes import issue_code, verify_code
from gateway.security.limits import limiter
from tests.conftest import csrf_token, login
from tests.identity.conftest import PASSWORD, last_code, post_form

LEVEL3_ITEM = next(i for i in load_catalog().items if int(i.assurance_level) == 3)


@pytest.fixture
def service_app(settings) -> Iterator[Flask]:
    """The gateway plus two stand-in services that declare levels 2 and 3 through the decorators."""
    app = create_app(settings)
    app.config["TESTING"] = True
    bp = Blueprint("fake_services", __name__)

    @bp.get("/services/level2-thing")
    @gate(Operation.QUERY, level=2)
    def level2():
        return "level-2 service reached"

    @bp.get("/services/level3-thing")
    @gate(Operation.APPLY, item=LEVEL3_ITEM.id)
    def level3():
        return "level-3 service reached"

    app.register_blueprint(bp)
    yield app
    limiter.reset()
    app.extensions["shebao_engine"].dispose()


def test_password_plus_sms_logs_in_at_level_2(client, member, sms_inbox):
    resp = post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert resp.status_code == 302 and "/account/login/sms/code" in resp.location
    code = last_code(sms_inbox(member.phone))
    done = post_form(client, "/account/login/sms/code", {"code": code})
    assert done.status_code == 302
    assert "2 级" in client.get("/account/").get_data(as_text=True)


def test_sms_code_is_single_use_and_wrong_codes_are_refused(client, member, sms_inbox):
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    code = last_code(sms_inbox(member.phone))
    wrong = post_form(client, "/account/login/sms/code", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 400 and "验证码不正确或已失效" in wrong.get_data(as_text=True)
    assert post_form(client, "/account/login/sms/code", {"code": code}).status_code == 302
    # Logged out and through the password step again, the spent code is refused.
    client.delete_cookie("shebao_session")
    limiter.reset()  # the per-phone limit (one SMS a minute) would otherwise stop the second message
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert len(sms_inbox(member.phone)) == 2
    reused = post_form(client, "/account/login/sms/code", {"code": code})
    assert reused.status_code == 400 and "验证码不正确或已失效" in reused.get_data(as_text=True)


def test_code_rules_in_the_service(app):
    with app.app_context():
        from gateway.request_db import get_session

        db, secret, phone = get_session(), "k" * 40, "13700000001"
        code = issue_code(db, secret, phone, SmsPurpose.LOGIN)
        assert len(code) == 6 and code.isdigit()
        assert not verify_code(db, secret, phone, SmsPurpose.STEP_UP, code)  # another purpose
        assert verify_code(db, secret, phone, SmsPurpose.LOGIN, code)
        assert not verify_code(db, secret, phone, SmsPurpose.LOGIN, code)  # reused
        code = issue_code(db, secret, phone, SmsPurpose.LOGIN)
        later = utcnow() + timedelta(minutes=5, seconds=1)
        assert not verify_code(db, secret, phone, SmsPurpose.LOGIN, code, now=later)  # expired
        code = issue_code(db, secret, phone, SmsPurpose.LOGIN)
        bad = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert not verify_code(db, secret, phone, SmsPurpose.LOGIN, bad)
        assert not verify_code(db, secret, phone, SmsPurpose.LOGIN, code)  # five wrong tries kill it
        from gateway.identity.models import SmsCode

        stored = [row.code_hash for row in db.query(SmsCode).all()]
        assert code not in stored and all(len(h) == 64 for h in stored)


def test_sms_is_rate_limited_per_phone(client, member, sms_inbox):
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    client.delete_cookie("shebao_session")
    again = post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert again.status_code == 400 and "太频繁" in again.get_data(as_text=True)
    assert len(sms_inbox(member.phone)) == 1


def test_level_1_session_is_stepped_up_by_sms_and_comes_back(service_app, member, sms_inbox):
    client = service_app.test_client()
    assert login(client, member.id_number, PASSWORD).status_code == 302
    resp = client.get("/services/level2-thing")
    assert resp.status_code == 302 and "/account/step-up" in resp.location
    offer = client.get(resp.location).get_data(as_text=True)
    assert "短信验证码" in offer and "电子社保卡" in offer
    token_before = client.get_cookie("shebao_session").value
    url = "/account/step-up/sms?level=2&next=/services/level2-thing"
    page = client.get(url)
    assert page.status_code == 200 and sms_inbox(member.phone) == []  # a GET sends nothing
    token = csrf_token(page.get_data(as_text=True))
    assert client.post(url, data={"resend": "1", "csrf_token": token}).status_code == 200
    done = client.post(url, data={"code": last_code(sms_inbox(member.phone)), "csrf_token": token})
    assert done.status_code == 302 and done.location == "/services/level2-thing"
    assert client.get_cookie("shebao_session").value != token_before  # rotated at step-up
    assert client.get("/services/level2-thing").get_data(as_text=True) == "level-2 service reached"


def test_level_3_item_offers_only_real_person_methods(service_app, member):
    client = service_app.test_client()
    login(client, member.id_number, PASSWORD)
    resp = client.get("/services/level3-thing")
    assert "level=3" in resp.location
    offer = client.get(resp.location).get_data(as_text=True)
    assert "电子社保卡" in offer and "短信验证码" not in offer


def test_anonymous_visitor_is_sent_to_login_first(service_app):
    resp = service_app.test_client().get("/services/level3-thing")
    assert resp.status_code == 302 and "/account/login?next=/services/level3-thing" in resp.location


def test_last_credential_cannot_be_unbound(client, member, sms_inbox):
    # A level-1 session may look, but unbinding sends it to step-up first.
    login(client, member.id_number, PASSWORD)
    assert client.get("/account/credentials").status_code == 200
    stepped = post_form(client, "/account/credentials", {"credential_id": "1"})
    assert stepped.status_code == 302 and "/account/step-up" in stepped.location
    client.delete_cookie("shebao_session")
    limiter.reset()
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    post_form(client, "/account/login/sms/code", {"code": last_code(sms_inbox(member.phone))})
    page = client.get("/account/credentials")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "解除密码" in html
    import re

    cred_id = re.search(r'name="credential_id" value="(\d+)"', html).group(1)
    resp = post_form(client, "/account/credentials", {"credential_id": cred_id})
    assert resp.status_code == 400 and "唯一的登录方式" in resp.get_data(as_text=True)
