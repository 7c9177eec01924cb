"""The logins in a real browser (Playwright + Debian chromium): password, password + SMS, e-SSC redirect,
e-SSC QR approved by a scripted phone, and a level-1 session stepped up that lands back on the service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Blueprint
from playwright.sync_api import expect

from gateway import create_app
from gateway.access.needs import gate
from gateway.channel_policy import Operation
from tests.browser_fixtures import in_browser
from tests.identity.conftest import PASSWORD, last_code
from tests.identity.test_essc import approve
from tests.sandbox_server import serve_in_thread

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateway_url(settings) -> Iterator[str]:
    """The gateway plus a stand-in level-3 service page, served on a free port."""
    app = create_app(settings)
    bp = Blueprint("fake_level3", __name__)

    @bp.get("/services/strong-thing")
    @gate(Operation.QUERY, level=3)
    def strong():
        return "<!doctype html><html lang='zh-CN'><title>t</title><h1>三级业务页面</h1></html>"

    app.register_blueprint(bp)
    with serve_in_thread(app) as url:
        yield url
    app.extensions["shebao_engine"].dispose()


def _password_login(page, base: str, who) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("身份证号码").fill(who.id_number)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_password_login_and_account_page(gateway_url, member):
    def steps(page):
        _password_login(page, gateway_url, member)
        page.goto(f"{gateway_url}/account/")
        assert page.locator("#login-log").inner_text().count("登录成功") >= 1
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    in_browser(steps)


def test_password_plus_sms_login(gateway_url, member, sms_inbox):
    def steps(page):
        page.goto(f"{gateway_url}/account/login/sms")
        page.get_by_label("身份证号码").fill(member.id_number)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="发送验证码").click()
        page.get_by_label("短信验证码").fill(last_code(sms_inbox(member.phone)))
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.get_by_role("button", name="确认").click()
        page.goto(f"{gateway_url}/account/")
        expect(page.locator(".facts")).to_contain_text("2 级", use_inner_text=True)

    in_browser(steps)


def test_essc_redirect_login(gateway_url, insured):
    def steps(page):
        page.goto(f"{gateway_url}/account/login")
        page.get_by_role("link", name="电子社保卡", exact=True).click()
        # Now on the e-SSC platform's page (the sandbox): the holder confirms.
        page.get_by_label("身份证号码").fill(insured.id_number)
        page.get_by_label("姓名").fill(insured.name)
        page.get_by_role("button", name="确认授权").click()
        page.wait_for_url(f"{gateway_url}/**")
        page.goto(f"{gateway_url}/account/")
        expect(page.locator(".facts")).to_contain_text("3 级", use_inner_text=True)

    in_browser(steps)


def test_essc_qr_scanned_by_a_phone(gateway_url, insured):
    def steps(page):
        page.goto(f"{gateway_url}/account/essc/qr?next=/account/")
        expect(page.locator("#essc-qr")).to_be_visible()
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        link = page.locator("#essc-qr-link").get_attribute("href")
        assert approve(link, insured, mode="qr").status_code == 200  # the scripted phone
        page.wait_for_url(f"{gateway_url}/account/")
        expect(page.locator(".facts")).to_contain_text("3 级", use_inner_text=True)

    in_browser(steps)


def test_level_1_session_is_stepped_up_and_lands_back(gateway_url, member):
    def steps(page):
        _password_login(page, gateway_url, member)
        page.goto(f"{gateway_url}/services/strong-thing")
        assert "/account/step-up" in page.url
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.get_by_role("link", name="用电子社保卡核验").click()
        page.get_by_label("身份证号码").fill(member.id_number)
        page.get_by_label("姓名").fill(member.name)
        page.get_by_role("button", name="确认授权").click()
        page.wait_for_url(f"{gateway_url}/services/strong-thing")
        expect(page.get_by_role("heading", name="三级业务页面")).to_be_visible()

    in_browser(steps)
