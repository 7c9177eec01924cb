"""Live chat in real browsers (issue 16 "Done when"): a person opens a chat from the help page on a 360 px phone,
an agent takes it and answers in the console (a second browser context), and the person's page shows the reply
without reloading (static/js/chat.js polls). The new citizen pages pass axe-core at 360 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.staff.models import StaffRole
from tests.browser_fixtures import check_page, console_login, in_browser

pytestmark = pytest.mark.browser


def test_a_person_chats_with_an_agent_who_answers_in_the_console(live_server, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT, name="在线坐席乙")

    def steps(web) -> None:
        web.goto(f"{live_server}/help/?q=怎么办理护照")
        web.get_by_role("link", name="转人工").first.click()
        web.wait_for_load_state()
        assert web.url.endswith("/consult/chat/")
        check_page(web, "/consult/chat/ start")
        web.get_by_label("您想咨询什么（选填）").fill("我想问一下养老保险怎么转移")
        web.get_by_role("button", name="转人工咨询").click()
        web.wait_for_load_state()
        number = web.locator("#chat-number").inner_text()
        expect(web.locator("#chat-position")).to_contain_text("排在第", use_inner_text=True)
        check_page(web, "/consult/chat/ waiting")

        console = web.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        console_login(console, live_server, database_url, agent)
        console.get_by_role("link", name="在线人工咨询").click()
        console.wait_for_load_state()
        # The agent goes on duty (在线): the queue page says so, and passes axe-core with its presence form.
        console.get_by_role("button", name="设为在线").click()
        console.wait_for_load_state()
        expect(console.locator("#my-presence")).to_contain_text("在线：群众可看到有客服在线", use_inner_text=True)
        check_page(console, "console queue", width=1280)
        console.get_by_role("button", name=f"接入 {number}").click()
        console.wait_for_load_state()
        expect(console.locator("#chat-log")).to_contain_text("我想问一下养老保险怎么转移", use_inner_text=True)
        check_page(console, "console conversation", width=1280)
        console.get_by_label("搜索知识库").fill("养老保险关系转移")
        console.get_by_role("button", name="搜索").click()
        console.wait_for_load_state()
        assert console.locator("#kb-results li").count() >= 1
        console.get_by_label("回复内容").fill("您好，可以在新参保地申请养老保险关系转移接续。")
        console.get_by_role("button", name="发送回复").click()
        console.wait_for_load_state()

        # The person's page shows the reply by itself (polling), then they answer; the console sees it too.
        web.locator("#chat-log").get_by_text("申请养老保险关系转移接续").wait_for(timeout=15000)
        assert web.locator("#chat-status").inner_text() == "人工服务中"
        assert web.locator("#chat-position").is_hidden()
        web.get_by_label("输入消息").fill("好的，谢谢")
        web.get_by_role("button", name="发送").click()
        web.wait_for_load_state()
        console.locator("#chat-log").get_by_text("好的，谢谢").wait_for(timeout=15000)
        check_page(web, "/consult/chat/ active")

    in_browser(steps, timeout_ms=30000)
