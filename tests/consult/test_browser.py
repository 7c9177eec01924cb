"""The mailbox in real browsers on a 360 px phone (issue 16 "Done when"): a person writes a complaint on the web,
an agent replies in the console (a second browser context), and the person sees the reply with the tracking
number and query code; every page passes axe-core and has 44 px taps. (The notify message of each step is
checked in test_http.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.staff.models import StaffRole
from tests.browser_fixtures import check_page, console_login, in_browser
from tests.conftest import DEMO_PASSWORD, next_totp_code

pytestmark = pytest.mark.browser


def _check(page, what: str) -> None:
    check_page(page, what)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16, what


def test_a_complaint_is_answered_in_the_console_and_read_on_the_web(live_server, make_staff, database_url, person):
    agent = make_staff(StaffRole.AGENT, department="综合服务科")

    def steps(web) -> None:
        web.goto(f"{live_server}/account/login")
        web.get_by_label("身份证号码").fill(person.id_number)
        web.get_by_label("密码").fill(DEMO_PASSWORD)
        web.get_by_role("button", name="登录").click()
        web.wait_for_load_state()

        web.goto(f"{live_server}/help/")
        web.get_by_role("link", name="咨询、建议、投诉、举报").click()
        web.wait_for_load_state()
        assert web.url.endswith("/consult/")
        _check(web, "/consult/")

        web.get_by_role("button", name="提交留言").click()  # nothing filled: errors summarised at the top
        web.wait_for_load_state()
        expect(web.locator("#error-summary")).to_contain_text("请选择留言类型", use_inner_text=True)
        _check(web, "errors")

        web.locator("label[for=kind-complaint]").click()
        web.get_by_label("涉及业务").select_option("service")
        web.get_by_label("标题").fill("窗口服务态度")
        web.get_by_label("留言内容").fill("上周五在服务大厅办理时，工作人员态度生硬。")
        web.get_by_label("联系电话（选填）").fill("13900002222")
        web.get_by_role("button", name="提交留言").click()
        web.wait_for_load_state()
        number = web.locator("#case-number").inner_text()
        code = web.locator("#case-code").inner_text()
        expect(web.locator("main")).to_contain_text("10个工作日内", use_inner_text=True)
        _check(web, "submitted")

        console = web.context.browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN").new_page()
        console_login(console, live_server, database_url, agent)
        console.get_by_role("link", name="咨询投诉留言").click()
        console.wait_for_load_state()
        check_page(console, "console queue")
        console.get_by_role("link", name=number).click()
        console.wait_for_load_state()
        expect(console.locator("main")).to_contain_text("139****2222", use_inner_text=True)
        check_page(console, "console case")
        console.get_by_label("答复内容").fill("已核实情况，向您致歉，并已对相关人员批评教育。")
        console.get_by_role("button", name="答复").click()
        console.wait_for_load_state()
        expect(console.locator("#case-status")).to_contain_text("已答复", use_inner_text=True)

        web.goto(f"{live_server}/consult/track")
        web.get_by_label("留言编号").fill(number)
        web.get_by_label("查询码").fill(code)
        web.get_by_role("button", name="查询").click()
        web.wait_for_load_state()
        expect(web.locator("#case-events")).to_contain_text("向您致歉", use_inner_text=True)
        _check(web, "tracked")

    in_browser(steps, timeout_ms=20000)


def test_staff_answer_a_ledger_group_and_the_help_page_answers_it(live_server, make_staff, database_url):
    # LD/T 01 5.5.4: the ledger grows the knowledge base; the new console pages pass axe-core at 360 px.
    agent = make_staff(StaffRole.AGENT, department="综合服务科")

    def steps(page) -> None:
        for q in ("服务大厅有母婴室吗", "大厅母婴室在哪里"):
            page.goto(f"{live_server}/help/?q={q}")
            assert "不确定" in page.locator("main").inner_text() or "没有找到" in page.locator("main").inner_text()
        page.goto(f"{live_server}/hotline/login")
        page.get_by_label("工号").fill(agent.username)
        page.get_by_label("密码").fill(agent.password)
        page.get_by_label("动态口令").fill(next_totp_code(database_url, agent))
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server}/hotline/")
        page.goto(f"{live_server}/hotline/consult/questions")
        check_page(page, "ledger")
        page.get_by_role("link", name="编入知识库：大厅母婴室在哪里").click()
        page.wait_for_load_state()
        expect(page.locator("#group-questions")).to_contain_text("服务大厅有母婴室吗", use_inner_text=True)
        page.get_by_role("button", name="保存并发布").click()  # nothing but the title: errors at the top
        page.wait_for_load_state()
        expect(page.locator("#error-summary")).to_contain_text("请填写解答", use_inner_text=True)
        check_page(page, "entry form with errors")
        page.get_by_label("问题（按群众的说法写）").fill("服务大厅有母婴室吗？")
        page.get_by_label("解答").fill("各服务大厅一楼均设有母婴室，可向导办台工作人员询问。")
        page.get_by_label("依据（文件名称及条款）").fill("本机构服务大厅便民设施清单")
        page.get_by_role("button", name="保存并发布").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("已发布", use_inner_text=True)
        check_page(page, "knowledge entries")
        page.goto(f"{live_server}/help/?q=大厅母婴室在哪")
        expect(page.locator("main")).to_contain_text("各服务大厅一楼均设有母婴室", use_inner_text=True)

        # The entry is corrected in the console (the edit form passes axe too), and the help page answers the
        # corrected text at once.
        page.goto(f"{live_server}/hotline/consult/knowledge")
        page.get_by_role("link", name="修改：服务大厅有母婴室吗？").first.click()
        page.wait_for_load_state()
        check_page(page, "entry edit form")
        page.get_by_label("解答").fill("")
        page.get_by_role("button", name="保存修改").click()
        page.wait_for_load_state()
        expect(page.locator("#error-summary")).to_contain_text("请填写解答", use_inner_text=True)
        check_page(page, "entry edit form with errors")
        page.get_by_label("解答").fill("各服务大厅一楼和三楼均设有母婴室，可向导办台工作人员询问。")
        page.get_by_role("button", name="保存修改").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("已保存修改", use_inner_text=True)
        page.goto(f"{live_server}/help/?q=大厅母婴室在哪")
        expect(page.locator("main")).to_contain_text("一楼和三楼均设有母婴室", use_inner_text=True)

    in_browser(steps, timeout_ms=20000)
