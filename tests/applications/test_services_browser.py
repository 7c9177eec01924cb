"""In a real browser at 360 px: a retiree certifies eligibility (LD/T 01 5.4.3 a) in three steps — fill in, the
face check on the provider's page (the sandbox stands in for the selfie video), confirm — and sees the result
and the face check in the timeline. Every gateway page passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.applications.test_browser import essc_login
from tests.browser_fixtures import check_page

pytestmark = pytest.mark.browser


def test_eligibility_certification_with_a_passing_face_check(phone, live_server, sandbox_url, take, backoffice):
    who = take("retired")
    essc_login(phone, live_server, who, "/services/eligibility-certification")
    phone.get_by_role("button", name="在线办理").click()
    steps = phone.locator(".steps li")
    assert [re.sub(r"^\d\s*", "", s.inner_text().strip()) for s in steps.all()] == ["填写申请", "人脸识别", "确认提交"]
    check_page(phone, "fill")
    phone.get_by_role("button", name="下一步：人脸识别").click()
    assert phone.locator('.steps [aria-current="step"]').inner_text().endswith("人脸识别")
    check_page(phone)

    # The provider's page (another origin): the person takes the check there and is sent back.
    phone.get_by_role("link", name="开始人脸识别").click()
    phone.wait_for_url(re.compile(re.escape(sandbox_url) + r"/face/capture/FC[0-9a-f]+"))
    phone.get_by_role("button", name="识别通过").click()
    phone.wait_for_url(f"{live_server}/services/eligibility-certification/apply/confirm")
    assert phone.locator('.steps [aria-current="step"]').inner_text().endswith("确认提交")
    check_page(phone)

    phone.get_by_role("button", name="确认提交").click()
    expect(phone.get_by_role("heading", name="申请已提交")).to_be_visible()
    result = phone.locator("#application-result").inner_text()
    assert "资格认证通过，有效期至" in result
    expect(phone.locator("#timeline")).to_contain_text("人脸识别核验通过", use_inner_text=True)
    check_page(phone)
    assert [c.method for c in backoffice.eligibility(who.id_number)] == ["face"]


def test_transfer_stages_and_card_status_pages_pass_axe_at_360_px(browser, phone, live_server, database_url):
    from tests.applications.conftest import Insured
    from tests.applications.test_services import TRANSFER_DEMO, _someone_with_a_card_being_made

    essc_login(phone, live_server, Insured(*TRANSFER_DEMO, "working", True), "/rights/transfers")
    expect(phone.locator("main")).to_contain_text("当前环节", use_inner_text=True)
    check_page(phone, "rights/transfers")
    phone.goto(f"{live_server}/rights/")
    check_page(phone, "rights")

    holder = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN").new_page()
    id_number, name = _someone_with_a_card_being_made(database_url)
    essc_login(holder, live_server, Insured(id_number, name, "working", True), "/services/card-status")
    assert holder.locator("#card-status").inner_text() == "制卡中"
    check_page(holder, "card-status")
    holder.context.close()
