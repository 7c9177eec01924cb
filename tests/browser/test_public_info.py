"""政务公开 in a real browser (LD/T 01 5.6, 7): every new page passes axe at 360 px, the public section is within
two clicks of home, and a 非常不满意 rating reaches the console's follow-ups and the published figures."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from gateway.staff.models import StaffRole
from tests.browser.test_console_pages import console_login
from tests.browser.test_web_pages import crawl, log_in
from tests.browser_fixtures import check_page, step_up_by_sms
from tests.conftest import TEST_SECRET
from tests.public_info.conftest import seed_application

PUBLIC_PAGES = ["/info/", "/info/regulation", "/info/policies", "/info/halls", "/info/evaluation", "/info/credit"]


def test_the_public_pages_pass_axe_and_fit_a_phone(phone, live_server):
    for path in PUBLIC_PAGES:
        phone.goto(live_server + path)
        check_page(phone, path)


def test_the_error_on_a_bad_month_is_summarised_and_accessible(phone, live_server):
    phone.goto(f"{live_server}/info/evaluation?month=2026-13")
    expect(phone.locator(".error-summary")).to_contain_text("月份", use_inner_text=True)
    check_page(phone, "bad month")


def test_the_public_information_is_within_two_clicks_of_home(phone, live_server):
    levels = crawl(phone, live_server)
    # Home is level 1: two clicks away is level 3 at most.
    for path in ("/verify/", "/info/halls", "/info/evaluation", "/info/credit", "/info/policies", "/info/regulation"):
        assert levels.get(path, 99) <= 3, (path, levels.get(path))


def _seed_finished_application(database_url: str, id_number: str):
    engine = sa.create_engine(database_url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as db:
            person = find_person(db, PiiVault(TEST_SECRET), id_number)
            return seed_application(
                db,
                person.id,
                submitted=datetime(2026, 11, 2, 9),
                decided=datetime(2026, 11, 9, 15),
                due=date(2026, 11, 16),
            )
    finally:
        engine.dispose()


def test_a_very_dissatisfied_rating_reaches_the_follow_ups_and_the_figures(
    phone, browser, live_server, person, database_url, sandbox_url, make_staff
):
    phone.goto(f"{live_server}/info/evaluation")
    bad_before = int(phone.locator("#total-bad").inner_text())

    log_in(phone, live_server, person.id_number)
    application = _seed_finished_application(database_url, person.id_number)
    phone.goto(f"{live_server}/progress/{application.number}")
    if "/account/step-up" in phone.url:
        step_up_by_sms(phone, sandbox_url, database_url, person.id_number)
    phone.wait_for_url(f"**/progress/{application.number}")
    check_page(phone, "progress with the rating form")
    form = phone.locator("#rate-form")
    form.locator("#completeness").get_by_text("不满意", exact=True).click()
    form.locator("#ease").get_by_text("基本满意", exact=True).click()
    form.locator("#timeliness").get_by_text("不满意", exact=True).click()
    form.locator("#satisfaction").get_by_text("非常不满意", exact=True).click()
    phone.get_by_label("意见和建议（选填，300 字以内）").fill("等了很久才办结。")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator("#rated")).to_contain_text("您已评价：非常不满意", use_inner_text=True)
    expect(phone.locator("#follow-up")).to_contain_text("回访", use_inner_text=True)

    phone.goto(f"{live_server}/info/evaluation")
    assert int(phone.locator("#total-bad").inner_text()) == bad_before + 1

    staff_context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    console = staff_context.new_page()
    try:
        console_login(console, live_server, database_url, make_staff(StaffRole.SUPERVISOR))
        console.get_by_role("link", name="差评回访").click()
        entry = console.locator(f'li[data-ref="{application.number}"]')
        expect(entry.locator(".status")).to_contain_text("待回访", use_inner_text=True)
        assert "等了很久才办结" in entry.inner_text()
        check_page(console, "follow-ups")
        entry.get_by_label("回访处理结果（100 字以内，将告知评价人）").fill("已致电说明原因并改进审核排班。")
        entry.get_by_role("button", name="办结回访").click()
        expect(console.locator("#done")).to_contain_text("处理结果已告知评价人", use_inner_text=True)
    finally:
        staff_context.close()

    phone.goto(f"{live_server}/progress/{application.number}")
    expect(phone.locator("#follow-up")).to_contain_text("已致电说明原因", use_inner_text=True)


def test_a_unit_listed_by_staff_is_published_then_gone_once_repair_is_granted(
    phone, browser, live_server, database_url, make_staff
):
    from gateway.public_info import credit
    from gateway.validation import make_credit_code

    code = make_credit_code("91610302000777001")
    staff_context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    console = staff_context.new_page()
    try:
        console_login(console, live_server, database_url, make_staff(StaffRole.SUPERVISOR))
        console.get_by_role("link", name="严重失信名单与信用修复").click()
        console.get_by_role("heading", name="严重失信名单与信用修复").wait_for()  # the new page, not the old one
        check_page(console, "credit console")
        console.get_by_text("单位", exact=True).click()
        console.get_by_label("单位名称或姓名").fill("示例市浏览器测试有限公司")
        console.get_by_label("统一社会信用代码或身份证号码").fill(code)
        console.get_by_label("失信行为").fill("以伪造证明材料骗取社会保险基金支出")
        console.get_by_label("法律依据").fill("《社会保险经办条例》第五十五条")
        console.get_by_label("认定文书编号").fill("示人社罚〔2026〕501号")
        console.get_by_label("认定文书日期").fill("2026-10-15")
        console.get_by_label("公示截止日期").fill("2027-10-15")
        console.get_by_role("button", name="列入名单并公示").click()
        expect(console.locator("#done")).to_contain_text("已列入名单", use_inner_text=True)

        phone.goto(f"{live_server}/info/credit")
        expect(phone.locator("#credit-list")).to_contain_text("示例市浏览器测试有限公司", use_inner_text=True)
        check_page(phone, "credit list")

        # The unit's online repair application (its certificate login has tests of its own).
        engine = sa.create_engine(database_url)
        try:
            with sessionmaker(bind=engine)() as db:
                entry = next(e for e in credit.published(db, clock.today()) if e.name == "示例市浏览器测试有限公司")
                credit.request_repair(db, PiiVault(TEST_SECRET), code, entry.id, "已退回骗取的基金并缴纳罚款。")
                db.commit()
        finally:
            engine.dispose()

        console.reload()
        repair = console.locator("#pending-repairs li", has_text="示例市浏览器测试有限公司")
        repair.get_by_role("button", name="准予修复并停止公示").click()
        expect(console.locator("#done")).to_contain_text("已准予修复", use_inner_text=True)
    finally:
        staff_context.close()

    phone.goto(f"{live_server}/info/credit")
    assert "示例市浏览器测试有限公司" not in phone.locator("main").inner_text()


def test_a_guide_with_its_flow_diagram_passes_axe_at_phone_width(phone, live_server):
    """LD/T 01 5.6.2: the handling flow, as an SVG with a text equivalent, on a 360 px screen."""
    phone.goto(f"{live_server}/services/work-injury-confirmation")
    diagram = phone.locator("#flow svg[role=img]")
    assert diagram.count() == 1
    # It shrinks to the screen rather than scrolling it sideways.
    box = diagram.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert phone.locator("#flow-steps > li").count() == 4
    check_page(phone, "guide with its flow")
    # The form sample downloads from the same page, and the page stays.
    with phone.expect_download() as info:
        phone.get_by_role("button", name="下载申请表样例（PDF）").click()
    assert info.value.suggested_filename == "sample-SB-GS-0002.pdf"
    assert phone.url.endswith("/services/work-injury-confirmation")
