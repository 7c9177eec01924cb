"""The agent withdraws a caller's application and reports their card lost in a real browser on a 360 px screen:
the warning to read out, the box the agent ticks when the caller confirms — every page accessible (axe-core), no
sideways scroll, taps at least 44 px."""

from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.models import BoPerson, CardStatus
from gateway.staff.models import StaffRole
from tests.browser_fixtures import check_page, console_login, in_browser
from tests.hotline.test_caller_withdraw_and_card import _submitted

pytestmark = pytest.mark.browser


def test_agent_withdraws_and_reports_a_card_lost(live_server, sandbox_url, make_staff, database_url, caller, app):
    agent = make_staff(StaffRole.AGENT, name="热线坐席丙")
    with sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)() as db:
        number = _submitted(app, db, caller).number
        db.execute(sa.update(BoPerson).where(BoPerson.id_number == caller.id_number).values(card_status="active"))
        db.commit()

    def steps(page) -> None:
        console_login(page, live_server, database_url, agent)
        page.goto(f"{live_server}/hotline/callers/")
        page.get_by_label("来电人身份证号码").fill(caller.id_number)
        page.get_by_label("来电人姓名").fill(caller.name)
        page.get_by_role("button", name="发送验证码").click()
        page.wait_for_load_state()
        texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": caller.phone}, timeout=5)
        code = re.search(r"验证码(\d{6})", texts.json()["messages"][-1]["text"]).group(1)
        page.get_by_label("短信验证码").fill(code)
        page.get_by_role("button", name="核验").click()
        page.wait_for_load_state()

        page.get_by_role("link", name=number).click()
        page.wait_for_load_state()
        check_page(page, "application with the withdrawal")
        page.get_by_role("button", name="代为撤回申请").click()  # not ticked yet
        page.wait_for_load_state()
        expect(page.locator(".error-summary")).to_contain_text("宣读提示", use_inner_text=True)
        check_page(page, "withdrawal refused")
        page.get_by_label("撤回原因").fill("已在窗口办理")
        page.get_by_label("已向来电人宣读提示，来电人确认办理").check()
        page.get_by_role("button", name="代为撤回申请").click()
        page.wait_for_load_state()
        expect(page.locator("#notice")).to_contain_text("已为来电人撤回该申请", use_inner_text=True)
        expect(page.locator("#application-status")).to_contain_text("已撤回", use_inner_text=True)

        page.goto(f"{live_server}/hotline/callers/caller")
        page.get_by_role("link", name="社会保障卡状态与挂失").click()
        page.wait_for_load_state()
        check_page(page, "card")
        page.get_by_label("已向来电人宣读提示，来电人确认办理").check()
        page.get_by_role("button", name="代为挂失").click()
        page.wait_for_load_state()
        expect(page.locator("#notice")).to_contain_text("已为来电人挂失", use_inner_text=True)
        assert page.locator("#card-status").inner_text() == "挂失"
        check_page(page, "card lost")

    in_browser(steps, timeout_ms=60000)
    with sessionmaker(bind=app.extensions["shebao_engine"])() as db:
        status = db.scalar(sa.select(BoPerson.card_status).where(BoPerson.id_number == caller.id_number))
        assert status is CardStatus.LOST
