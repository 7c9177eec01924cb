"""好差评 of a live chat in a real browser (LD/T 01 5.5.2 b, 7): a logged-in person whose chat an agent took ends
it on a 360 px phone, rates it on the closed conversation's page, and sees the follow-up promised; both states of
the page pass axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.staff.models import StaffRole
from tests.browser.test_web_pages import log_in
from tests.browser_fixtures import check_page, console_login, in_browser

pytestmark = pytest.mark.browser


def test_a_person_rates_a_finished_chat_on_its_page(live_server, person, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT, name="在线坐席丙")

    def steps(web) -> None:
        log_in(web, live_server, person.id_number)
        web.goto(f"{live_server}/consult/chat/")
        web.get_by_role("button", name="转人工咨询").click()
        web.wait_for_load_state()
        number = web.locator("#chat-number").inner_text()
        assert web.locator("#rate-form").count() == 0  # not before it is over

        console = web.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        console_login(console, live_server, database_url, agent)
        console.goto(f"{live_server}/hotline/chat/")
        console.get_by_role("button", name=f"接入 {number}").click()
        console.wait_for_load_state()
        console.context.close()

        web.goto(f"{live_server}/consult/chat/")
        web.get_by_role("button", name="结束会话").click()
        web.wait_for_load_state()
        assert web.locator("#chat-status").inner_text() == "已结束"
        check_page(web, "closed chat with the rating form")
        form = web.locator("#rate-form")
        form.locator("#completeness").get_by_text("满意", exact=True).click()
        form.locator("#ease").get_by_text("满意", exact=True).click()
        form.locator("#timeliness").get_by_text("不满意", exact=True).click()
        form.locator("#satisfaction").get_by_text("不满意", exact=True).click()
        web.get_by_label("意见和建议（选填，300 字以内）").fill("排队时间太长。")
        web.get_by_role("button", name="提交评价").click()
        web.wait_for_url(f"**/consult/chat/?rated={number}#evaluation")
        expect(web.locator("#rated")).to_contain_text("您已评价：不满意", use_inner_text=True)
        expect(web.locator("#follow-up")).to_contain_text("前回访处理您的评价", use_inner_text=True)
        check_page(web, "closed chat, rated")

    in_browser(steps, timeout_ms=30000)
