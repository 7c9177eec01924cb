"""An administrator adds a staff account in a real browser on a 360 px screen: the list, the form with its error
summary, the one-time enrolment and the account page are accessible (axe-core), with no sideways scroll."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.staff.models import StaffRole
from tests.browser_fixtures import check_page, in_browser
from tests.conftest import next_totp_code

pytestmark = pytest.mark.browser


def test_admin_adds_and_manages_an_account(live_server, make_staff, database_url):
    admin = make_staff(StaffRole.ADMIN, name="管理员甲")
    totp = next_totp_code(database_url, admin)

    def steps(page) -> None:
        page.goto(f"{live_server}/hotline/login")
        page.get_by_label("工号").fill(admin.username)
        page.get_by_label("密码").fill(admin.password)
        page.get_by_label("动态口令").fill(totp)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="工作人员账户").click()
        page.wait_for_load_state()
        check_page(page, "list")

        page.get_by_role("button", name="新增并生成动态口令").click()
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 1
        check_page(page, "errors")

        page.get_by_label("工号").fill("browser.new1")
        page.get_by_label("姓名").fill("浏览器坐席")
        page.get_by_label("科室").fill("失业保险科")
        page.get_by_label("业务审核").check()
        page.get_by_label("初始密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="新增并生成动态口令").click()
        page.wait_for_load_state()
        assert page.locator("#totp-secret").inner_text()
        check_page(page, "enrolment")

        page.get_by_role("link", name="完成，返回该工号").click()
        page.wait_for_load_state()
        check_page(page, "account")
        page.get_by_role("button", name="锁定").click()
        page.wait_for_load_state()
        expect(page.locator("#staff-state")).to_contain_text("已锁定", use_inner_text=True)

    in_browser(steps)
