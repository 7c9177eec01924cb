"""The staff console in a real browser: password + TOTP login, then every section an administrator and an agent
open passes axe, fits 360 px and has 44 px taps; a closure is set through the confirmation step."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from gateway.clock import local_now
from gateway.staff.models import StaffRole
from tests.browser_fixtures import check_page
from tests.conftest import next_totp_code


def console_login(page, base: str, database_url: str, staff) -> None:
    page.goto(f"{base}/hotline/")
    check_page(page)
    page.get_by_label("工号").fill(staff.username)
    page.get_by_label("密码").fill(staff.password)
    page.get_by_label("动态口令").fill(next_totp_code(database_url, staff))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/hotline/")


def test_wrong_code_is_summarised_at_the_top(phone, live_server, make_staff):
    agent = make_staff(StaffRole.AGENT)
    phone.goto(f"{live_server}/hotline/login")
    phone.get_by_label("工号").fill(agent.username)
    phone.get_by_label("密码").fill(agent.password)
    phone.get_by_label("动态口令").fill("000000")
    phone.get_by_role("button", name="登录").click()
    expect(phone.locator(".error-summary")).to_contain_text("工号、密码或动态口令不正确", use_inner_text=True)
    check_page(phone)


def test_admin_sections_and_a_closure(phone, live_server, database_url, make_staff):
    administrator = make_staff(StaffRole.ADMIN, StaffRole.SUPERVISOR)
    console_login(phone, live_server, database_url, administrator)
    check_page(phone)
    sections = phone.locator("#sections").inner_text()
    for label in ("账户查询与解锁", "消息发送情况", "网点与预约时段", "工作人员账户"):
        assert label in sections

    phone.get_by_role("link", name="账户查询与解锁").click()
    phone.get_by_label("身份证号码").fill("610302198805120210")
    phone.get_by_label("查询理由").fill("本人来电称无法登录")  # a supervisor's stated reason (issue 13)
    phone.get_by_role("button", name="查询").click()
    shown = phone.locator("main").inner_text()
    assert "网上账户" in shown and "610302198805120210" not in shown  # masked on screen
    check_page(phone)

    phone.goto(f"{live_server}/hotline/messages/")
    check_page(phone)

    phone.goto(f"{live_server}/hotline/admin/halls/")
    check_page(phone)
    phone.locator("#halls a").first.click()
    check_page(phone)
    far_day = (local_now() + timedelta(days=40)).date().isoformat()
    phone.get_by_label("日期").fill(far_day)
    phone.get_by_label("闭厅原因").fill("系统升级")
    phone.get_by_role("button", name="设置闭厅").click()
    expect(phone.locator("#done")).to_contain_text("已设置闭厅", use_inner_text=True)
    expect(phone.locator("#closure-list")).to_contain_text("系统升级", use_inner_text=True)
    check_page(phone)
    phone.get_by_role("button", name="取消", exact=False).last.click()
    assert "系统升级" not in phone.locator("#closure-list").inner_text()
