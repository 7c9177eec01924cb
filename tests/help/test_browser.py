"""The help page in a real browser on a 360 px phone: one answer with its source, "not helpful", the honest
"not sure" and an error — accessible (axe-core finds nothing), no sideways scroll, taps ≥ 44 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import check_page, in_browser

pytestmark = pytest.mark.browser


def _check_page(page, what: str) -> None:
    check_page(page, what)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16, what


def test_search_help_on_a_phone(live_server) -> None:
    def steps(phone) -> None:
        phone.goto(f"{live_server}/")
        phone.locator("#site-menu > summary").click()  # on a phone the sections are in the header's menu
        phone.get_by_role("link", name="帮助", exact=True).first.click()
        phone.wait_for_load_state()
        assert phone.url.endswith("/help/")
        _check_page(phone, "/help/")

        phone.get_by_label("搜索常见问题").fill("怎么预约")
        phone.get_by_role("button", name="搜索").click()
        phone.wait_for_load_state()
        answer = phone.locator("#answer")
        assert "怎么网上预约服务大厅窗口办理？" in answer.inner_text()
        assert "依据：《社会保险网上经办服务指南》第5.1条" in answer.inner_text()
        _check_page(phone, "answer")

        # "Not helpful" goes to the ledger and thanks the person (LD/T 01 5.5.4).
        phone.get_by_role("button", name="没有帮助").click()
        phone.wait_for_load_state()
        expect(phone.get_by_role("status")).to_contain_text("感谢反馈", use_inner_text=True)

        # The answer's title leads to the page where it is done (level 2 from home).
        phone.goto(f"{live_server}/help/?q=怎么预约")
        answer = phone.locator("#answer")
        answer.get_by_role("link", name="去办理或查看").click()
        phone.wait_for_load_state()
        assert phone.url.endswith("/appointments/")

        phone.goto(f"{live_server}/help/?q=怎么办理护照")
        status = phone.get_by_role("status")
        assert "不确定" in status.inner_text() and "12333" in status.inner_text()
        _check_page(phone, "not sure")

        phone.goto(f"{live_server}/help/")
        phone.get_by_role("button", name="搜索").click()
        phone.wait_for_load_state()
        summary = phone.locator("#error-summary")
        assert "请输入要查询的问题" in summary.inner_text()
        _check_page(phone, "empty query")

    in_browser(steps)
