"""The logins in a real browser (Playwright + Debian chromium): password, password + SMS, e-SSC redirect,
e-SSC QR approved by a scripted phone, and a level-1 session stepped up that lands back on the service."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Blueprint

from channels.web.auth import require_level
from gateway import create_app
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS
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
    @require_level(3)
    def strong():
        return "<!doctype html><html lang='zh-CN'><title>t</title><h1>三级业务页面</h1></html>"

    app.register_blueprint(bp)
    with serve_in_thread(app) as url:
        yield url
    app.extensions["shebao_engine"].dispose()


def in_browser(steps) -> None:
    """Run ``steps(page)`` in a fresh chromium driven from a thread of its own.

    Playwright's sync API refuses to start where an asyncio loop is running, and a session-wide Playwright
    elsewhere in the suite leaves one running in the main thread; a thread of our own has no loop.
    """
    from playwright.sync_api import sync_playwright

    failure: list[BaseException] = []

    def work() -> None:
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
                    page = context.new_page()
                    page.set_default_timeout(20000)
                    steps(page)
                finally:
                    browser.close()
        except BaseException as exc:  # handed to the test's own thread below
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the browser test did not finish in 5 minutes"
    if failure:
        raise failure[0]


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
        assert "2 级" in page.locator(".facts").inner_text()

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
        assert "3 级" in page.locator(".facts").inner_text()

    in_browser(steps)


def test_essc_qr_scanned_by_a_phone(gateway_url, insured):
    def steps(page):
        page.goto(f"{gateway_url}/account/essc/qr?next=/account/")
        assert page.locator("#essc-qr").is_visible()
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        link = page.locator("#essc-qr-link").get_attribute("href")
        assert approve(link, insured, mode="qr").status_code == 200  # the scripted phone
        page.wait_for_url(f"{gateway_url}/account/")
        assert "3 级" in page.locator(".facts").inner_text()

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
        assert page.get_by_role("heading", name="三级业务页面").is_visible()

    in_browser(steps)
