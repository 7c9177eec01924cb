"""In a real browser at 360 px (issue 15): an item's own questions, every problem summarised at the top and linked
to its field, axe-core finding nothing on either page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.applications.test_browser import essc_login
from tests.browser_fixtures import check_page

pytestmark = pytest.mark.browser


def test_a_form_with_the_items_questions_and_an_error_summary(phone, live_server, take):
    who = take("working", employed=True)
    essc_login(phone, live_server, who, "/services/person-info-change/apply")
    check_page(phone, "个人参保信息变更：填写申请")
    assert phone.locator("#new_phone").get_attribute("inputmode") == "tel"
    assert phone.locator("#new_address").get_attribute("autocomplete") == "street-address"
    phone.get_by_label("通讯地址", exact=True).check()
    phone.get_by_role("button", name="下一步：上传材料").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_be_visible()
    assert "请填写新的通讯地址。" in summary.inner_text()
    check_page(phone, "个人参保信息变更：错误汇总")
    summary.get_by_role("link", name="请填写新的通讯地址。").click()
    phone.locator("#new_address").fill("陕西省宝鸡市渭滨区经二路12号3单元501室")
    phone.get_by_role("button", name="下一步：上传材料").click()
    phone.wait_for_load_state()
    assert "/services/person-info-change/apply/materials" in phone.url, phone.locator("main").inner_text()
    phone.get_by_role("link", name="下一步：确认提交").click()
    answers = phone.locator("main").inner_text()
    assert "新的通讯地址" in answers and "经二路12号" in answers
