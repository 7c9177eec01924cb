"""In a real browser: an instant item decided at once; a promised item with an upload, a one-time notice of
two problems, a supplement, approval by a reviewer in the staff console (another browser context), and a lookup
by number + ID number while logged out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.staff.models import StaffRole
from tests.applications.conftest import Insured
from tests.browser_fixtures import check_page
from tests.conftest import next_totp_code

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def essc_login(page, base: str, who: Insured, next_path: str) -> None:
    """Log in at level 3 with the e-SSC sandbox: the holder confirms on the platform's page."""
    page.goto(f"{base}/account/essc/start?next={next_path}")
    page.get_by_label("身份证号码").fill(who.id_number)
    page.get_by_label("姓名").fill(who.name)
    page.get_by_role("button", name="确认授权").click()
    page.wait_for_url(f"{base}{next_path}")


def test_instant_item_result_at_once(phone, live_server, take):
    who = take("unemployed")
    essc_login(phone, live_server, who, "/services/flexible-employment-contribution")
    phone.get_by_role("button", name="在线办理").click()
    assert phone.locator('.steps [aria-current="step"]').inner_text().endswith("填写申请")
    check_page(phone)
    phone.get_by_text("100%", exact=True).click()
    phone.get_by_text("按年缴费", exact=True).click()
    phone.get_by_role("button", name="下一步：上传材料").click()
    expect(phone.locator("main")).to_contain_text("本事项无需上传材料", use_inner_text=True)
    phone.get_by_role("link", name="下一步：确认提交").click()
    check_page(phone)
    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_role("heading", name="申请已提交")).to_be_visible()
    result = phone.locator("#application-result").inner_text()
    assert result.startswith("办结（准予办理）：已核定") and "100%档次、按年缴费" in result
    check_page(phone)


def test_promised_item_notice_supplement_approval_and_lookup(
    browser, phone, live_server, take, database_url, make_staff
):
    who = take("working", employed=True)
    essc_login(phone, live_server, who, "/services/skills-subsidy-claim")
    phone.get_by_role("button", name="在线办理").click()
    phone.get_by_label("证书编号").fill("ZS-2026-001")
    phone.get_by_role("button", name="下一步：上传材料").click()
    check_page(phone)
    phone.get_by_label("职业资格证书或职业技能等级证书").set_input_files(
        {"name": "证书.png", "mimeType": "image/png", "buffer": PNG}
    )
    phone.get_by_role("button", name="下一步：确认提交").click()
    expect(phone.locator("main")).to_contain_text("证书.png", use_inner_text=True)
    phone.get_by_role("button", name="确认提交").click()
    number = phone.locator("#application-number").inner_text().strip()
    assert re.fullmatch(r"SQ[0-9]{14}", number)
    expect(phone.locator("#application-facts")).to_contain_text("失业保险科", use_inner_text=True)
    assert re.search(r"\d{4}年\d{2}月\d{2}日前", phone.locator("#due-date").inner_text())

    # A reviewer of that department, in a browser of their own, logs in to the staff console (password + TOTP)
    # and tells two problems at once (GB/T 31621 6.2.1.3).
    reviewer = make_staff(StaffRole.REVIEWER, department="失业保险科", name="李经办")
    staff_context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", accept_downloads=True)
    desk = staff_context.new_page()
    desk.set_default_timeout(15000)
    try:
        desk.goto(f"{live_server}/hotline/login")
        check_page(desk)
        desk.get_by_label("工号").fill(reviewer.username)
        desk.get_by_label("密码").fill(reviewer.password)
        desk.get_by_label("动态口令").fill(next_totp_code(database_url, reviewer))
        desk.get_by_role("button", name="登录").click()
        desk.wait_for_url(f"{live_server}/hotline/")
        desk.get_by_role("link", name="网上申请待办").click()
        check_page(desk)
        desk.get_by_role("link", name=number).click()
        expect(desk.locator("#materials")).to_contain_text("证书.png", use_inner_text=True)
        expect(desk.locator("#applicant")).to_contain_text("*", use_inner_text=True)  # the ID number masked
        check_page(desk)
        with desk.expect_download() as download:
            desk.get_by_role("link", name="证书.png").click()
        assert Path(download.value.path()).read_bytes() == PNG
        desk.get_by_role("button", name="受理", exact=True).click()
        assert desk.locator("#step-done").inner_text() == "已受理。"
        desk.get_by_label("需要补正的问题").fill("证书照片不清晰，请重新拍摄。\n请补充说明取得证书的时间。")
        desk.get_by_role("button", name="发送一次性告知").click()
        assert desk.locator("#application-status").inner_text() == "待补正材料"
        check_page(desk)

        phone.reload()
        notice = phone.locator("#one-time-notice")
        assert notice.locator("li").all_inner_texts() == [
            "证书照片不清晰，请重新拍摄。",
            "请补充说明取得证书的时间。",
        ]
        check_page(phone)
        # Supplement on the same application: no starting over.
        phone.get_by_label("补正：职业资格证书或职业技能等级证书").set_input_files(
            {"name": "清晰.png", "mimeType": "image/png", "buffer": PNG + b"clear"}
        )
        phone.get_by_label("补正说明（选填）").fill("2026年10月取得。")
        phone.get_by_role("button", name="提交补正").click()
        assert phone.locator("#application-status").inner_text().startswith("已补正")
        assert phone.locator("#application-number").inner_text().strip() == number

        # Back at the console: the supplemented application is in the queue again; the reviewer approves it.
        desk.goto(f"{live_server}/hotline/applications/?status=supplemented")
        expect(desk.locator("#queue")).to_contain_text(number, use_inner_text=True)
        check_page(desk)
        desk.get_by_role("link", name=number).click()
        expect(desk.locator("#materials")).to_contain_text("清晰.png", use_inner_text=True)
        desk.get_by_label("办理结果（选填）").fill("准予发放技能提升补贴。")
        desk.get_by_role("button", name="准予办理", exact=True).click()
        assert desk.locator("#application-result").inner_text() == "办结（准予办理）：准予发放技能提升补贴。"
        check_page(desk)
    finally:
        staff_context.close()

    # Logged out, in a fresh browser context: look up by number + ID number.
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    anon = context.new_page()
    try:
        anon.goto(f"{live_server}/progress/")
        anon.get_by_label("申请编号").fill(number)
        anon.get_by_label("申请人身份证号码").fill(who.id_number)
        anon.get_by_role("button", name="查询").click()
        assert anon.locator("#application-result").inner_text() == "办结（准予办理）：准予发放技能提升补贴。"
        assert who.name not in anon.locator("main").inner_text()
        check_page(anon)
        anon.goto(f"{live_server}/progress/")
        anon.get_by_label("申请编号").fill(number)
        anon.get_by_label("申请人身份证号码").fill("110101199003074777")
        anon.get_by_role("button", name="查询").click()
        expect(anon.locator(".error-summary")).to_contain_text(
            "没有找到与该申请编号和身份证号码相符的申请", use_inner_text=True
        )
        check_page(anon)
    finally:
        context.close()


def test_pension_estimate_and_my_applications_on_a_phone(phone, live_server, take):
    who = take("working", employed=True)
    essc_login(phone, live_server, who, "/services/pension-estimate")
    assert phone.get_by_label("退休时累计缴费月数").input_value().isdigit()  # prefilled from the back office
    phone.get_by_label("计发基数（元/月）").fill("8000")
    phone.get_by_label("本人平均缴费指数").fill("1.0")
    phone.get_by_label("退休时累计缴费月数").fill("360")
    phone.get_by_label("退休时个人账户储存额（元）").fill("120000")
    phone.get_by_label("退休年龄（岁）").fill("60")
    phone.get_by_role("button", name="测算").click()
    assert phone.locator("#pension-total").inner_text() == "3263.31"
    check_page(phone)
    phone.goto(f"{live_server}/progress/")
    expect(phone.locator("main")).to_contain_text("您还没有网上申请", use_inner_text=True)
    check_page(phone)
