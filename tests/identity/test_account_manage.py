"""The person's own account pages under /account/ (LD/T 01 6.2.5): the login log with masked addresses (e),
and changing the registered mobile number with re-verification (a) — a code to the old phone (or a level-3
session), then a code to the new one — in three steps, traced in the operation log."""

from __future__ import annotations

import secrets

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from gateway.clients import get_backoffice
from gateway.security.limits import limiter
from tests.browser_fixtures import in_browser
from tests.conftest import csrf_token, login
from tests.identity.conftest import PASSWORD, last_code, post_form
from tests.identity.test_essc import _callback_path, approve


def fresh_phone() -> str:
    """A mobile number nobody in the demo data has (199 + 8 random digits)."""
    return "199" + str(secrets.randbelow(10**8)).zfill(8)


def registered_phone(app, id_number: str) -> str:
    with app.app_context():
        return get_backoffice().find_person(id_number).phone


def test_login_history_lists_logins_with_masked_addresses(client, member):
    login(client, member.id_number)
    page = client.get("/account/logins")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "登录成功" in html and "密码" in html and "网上服务大厅" in html
    assert "127.0.0.*" in html and "127.0.0.1" not in html  # the host part never shows
    assert "北京时间" in html
    # Linked from the account page, which stays the hub.
    assert 'href="/account/logins"' in client.get("/account/").get_data(as_text=True)


def test_login_history_needs_a_login(client):
    resp = client.get("/account/logins")
    assert resp.status_code == 302 and "/account/login" in resp.location


def test_phone_change_with_codes_to_the_old_and_the_new_phone(app, client, member, sms_inbox):
    login(client, member.id_number)
    # Steps 2 and 3 are closed until step 1 re-verified the person.
    assert client.get("/account/phone/new").location.endswith("/account/phone")
    page = client.get("/account/phone")
    assert member.phone[:3] + "****" + member.phone[-4:] in page.get_data(as_text=True)
    client.post("/account/phone", data={"send": "1", "csrf_token": csrf_token(page.get_data(as_text=True))})
    page = client.get("/account/phone")
    wrong = client.post(
        "/account/phone", data={"code": "000000", "csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert wrong.status_code == 400 and "验证码不正确" in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/phone",
        data={"code": last_code(sms_inbox(member.phone)), "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert ok.status_code == 302 and ok.location.endswith("/account/phone/new")
    # The same number again, or no number, is refused with a message.
    same = post_form(client, "/account/phone/new", {"phone": member.phone})
    assert same.status_code == 400 and "相同" in same.get_data(as_text=True)
    bad = post_form(client, "/account/phone/new", {"phone": "12345"})
    assert bad.status_code == 400 and "11位" in bad.get_data(as_text=True)
    new = fresh_phone()
    sent = post_form(client, "/account/phone/new", {"phone": new})
    assert sent.status_code == 302 and sent.location.endswith("/account/phone/confirm")
    # The code sent to the OLD phone does not confirm the new one.
    assert post_form(client, "/account/phone/confirm", {"code": "111111"}).status_code == 400
    assert registered_phone(app, member.id_number) == member.phone
    done = post_form(client, "/account/phone/confirm", {"code": last_code(sms_inbox(new))})
    assert done.status_code == 200 and "已更换" in done.get_data(as_text=True)
    assert registered_phone(app, member.id_number) == new
    # Traced, masked (LD/T 01 6.3.2), and the change cannot be replayed.
    trail = client.get("/account/").get_data(as_text=True)
    assert f"更换为 {new[:3]}****{new[-4:]}" in trail and new not in trail
    assert client.get("/account/phone/confirm").location.endswith("/account/phone")
    # The next SMS code goes to the new number: password + SMS login works with it.
    client.post("/account/logout", data={"csrf_token": csrf_token(trail)})
    limiter.reset()  # the new number just had a code: let it have another within the minute
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert post_form(client, "/account/login/sms/code", {"code": last_code(sms_inbox(new))}).status_code == 302


def test_a_level_3_session_skips_the_old_phone(client, insured):
    start = client.get("/account/essc/start?next=/account/")
    client.get(_callback_path(approve(start.location, insured)))  # e-SSC login: level 3
    resp = client.get("/account/phone")
    assert resp.status_code == 302 and resp.location.endswith("/account/phone/new")
    assert client.get("/account/phone/new").status_code == 200


def test_phone_pages_refuse_a_stale_form(client, member):
    login(client, member.id_number)
    resp = client.post("/account/phone", data={"code": "123456", "csrf_token": "stale"})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)


@pytest.mark.browser
def test_account_pages_in_a_browser(live_server, member, sms_inbox):
    def steps(page):
        page.goto(f"{live_server}/account/login?next=/account/")
        page.get_by_label("身份证号码").fill(member.id_number)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server}/account/")
        page.get_by_role("link", name="全部登录记录").click()
        expect(page.locator("#login-history")).to_contain_text("登录成功", use_inner_text=True)
        for url in ("/account/logins", "/account/phone"):
            page.goto(f"{live_server}{url}")
            results = Axe().run(page)
            assert results.violations_count == 0, results.generate_report()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("button", name="发送验证码到登记的手机").click()
        page.get_by_label("短信验证码").fill(last_code(sms_inbox(member.phone)))
        page.get_by_role("button", name="下一步").click()
        page.wait_for_url(f"{live_server}/account/phone/new")
        new = fresh_phone()
        page.get_by_label("新手机号码").fill(new)
        page.get_by_role("button", name="发送验证码").click()
        page.wait_for_url(f"{live_server}/account/phone/confirm")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.get_by_label("短信验证码").fill(last_code(sms_inbox(new)))
        page.get_by_role("button", name="确认更换").click()
        expect(page.get_by_role("heading", name="手机号码已更换")).to_be_visible()
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()

    in_browser(steps)
