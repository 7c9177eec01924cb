"""A unit logs in with its USB key in a real browser (Playwright + chromium + axe, 360 px): the page's script
asks the ukey middleware sandbox to sign the gateway's nonce; then the staff list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import check_page, in_browser

pytestmark = pytest.mark.browser


def test_a_unit_logs_in_with_its_usb_key_and_sees_its_staff_list(live_server, ukey):
    ukey("valid")

    def steps(page):
        page.goto(f"{live_server}/account/login")
        page.get_by_role("link", name="参保单位用数字证书登录").click()
        page.wait_for_url(f"{live_server}/account/login/certificate")
        check_page(page)
        page.get_by_role("button", name="使用数字证书登录").click()
        page.wait_for_url(f"{live_server}/unit/")
        expect(page.locator("#unit-actor")).to_contain_text("示例市秦川信息科技有限公司", use_inner_text=True)
        check_page(page)
        page.get_by_role("link", name="参保职工名册").click()
        page.wait_for_url(f"{live_server}/unit/staff")
        assert page.locator("#unit-staff tbody tr").count() == 12
        assert "*" in page.locator("#unit-staff tbody tr").first.inner_text()
        check_page(page)
        page.get_by_role("link", name="下一页").click()
        page.wait_for_url(f"{live_server}/unit/staff?page=2")
        page.goto(f"{live_server}/unit/clerks")
        check_page(page)
        page.goto(f"{live_server}/unit/contributions")
        check_page(page)

    in_browser(steps)


def test_an_expired_usb_key_is_refused_with_a_plain_message(live_server, ukey):
    ukey("expired")

    def steps(page):
        page.goto(f"{live_server}/account/login/certificate")
        page.get_by_role("button", name="使用数字证书登录").click()
        page.wait_for_selector("#error-summary")
        expect(page.locator("#error-summary")).to_contain_text("数字证书登录未成功", use_inner_text=True)
        assert page.url == f"{live_server}/account/login/certificate"
        check_page(page)

    in_browser(steps)


def test_without_the_middleware_the_page_says_what_is_needed(live_server, ukey, sandbox_url):
    import requests

    requests.post(f"{sandbox_url}/ukey/test/remove", timeout=5).raise_for_status()

    def steps(page):
        page.goto(f"{live_server}/account/login/certificate")
        page.get_by_role("button", name="使用数字证书登录").click()
        status = page.locator("#ukey-status")
        status.filter(has_text="数字证书助手").wait_for()
        assert "USB Key" in status.inner_text()

    in_browser(steps)
