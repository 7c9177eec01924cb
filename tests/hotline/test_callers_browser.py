"""The agent's whole call in a real browser on a 360 px screen: log in with password + TOTP, verify the caller
with the code the SMS sandbox delivered, book a slot in three steps, send the proof's download link — every page
accessible (axe-core), no sideways scroll, taps at least 44 px."""

from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from gateway.appointments.models import Booking, BookingStatus
from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from notify.models import NotifyMessage
from tests.browser_fixtures import check_page, in_browser
from tests.conftest import TEST_SECRET, next_totp_code

pytestmark = pytest.mark.browser


def test_agent_verifies_a_caller_books_and_sends_a_link(live_server, sandbox_url, make_staff, database_url, caller):
    agent = make_staff(StaffRole.AGENT, name="热线坐席乙")
    totp = next_totp_code(database_url, agent)
    masked_phone = caller.phone[:3] + "****" + caller.phone[-4:]

    def steps(page) -> None:
        page.goto(f"{live_server}/hotline/login")
        page.get_by_label("工号").fill(agent.username)
        page.get_by_label("密码").fill(agent.password)
        page.get_by_label("动态口令").fill(totp)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.get_by_role("link", name=re.compile("来电人服务")).click()
        page.wait_for_load_state()
        check_page(page, "verify")

        page.get_by_label("来电人身份证号码").fill(caller.id_number)
        page.get_by_label("来电人姓名").fill(caller.name)
        page.get_by_role("button", name="发送验证码").click()
        page.wait_for_load_state()
        expect(page.locator("#sent-to")).to_contain_text(masked_phone, use_inner_text=True)
        check_page(page, "code")
        texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": caller.phone}, timeout=5)
        code = re.search(r"验证码(\d{6})", texts.json()["messages"][-1]["text"]).group(1)
        page.get_by_label("短信验证码").fill(code)
        page.get_by_role("button", name="核验").click()
        page.wait_for_load_state()
        assert page.url.endswith("/hotline/callers/caller")
        expect(page.locator("#caller-banner")).to_contain_text(masked_phone, use_inner_text=True)
        check_page(page, "overview")

        page.get_by_role("link", name="代为预约窗口办理").click()
        page.wait_for_load_state()
        check_page(page, "book: item")
        page.get_by_role("link", name="个人参保信息变更").click()
        page.wait_for_load_state()
        check_page(page, "book: slot")
        page.locator(".slot:not(.slot-full) label").first.click()
        page.get_by_role("button", name="下一步").click()
        page.wait_for_load_state()
        check_page(page, "book: confirm")
        page.get_by_role("button", name="确认预约").click()
        page.wait_for_load_state()
        expect(page.locator("#notice")).to_contain_text("预约成功", use_inner_text=True)
        expect(page.locator("#booking-list")).to_contain_text("已预约", use_inner_text=True)

        page.get_by_role("link", name="发送参保证明下载链接").click()
        page.wait_for_load_state()
        check_page(page, "link")
        page.get_by_role("button", name="开具并发送").click()
        page.wait_for_load_state()
        sent = page.locator("#link-sent").inner_text()
        assert masked_phone in sent and caller.phone not in page.content()
        check_page(page, "link sent")

        page.goto(f"{live_server}/hotline/trail/")
        check_page(page, "trail")
        page.goto(f"{live_server}/hotline/callers/caller")
        page.get_by_role("button", name="结束服务").click()
        page.wait_for_load_state()
        expect(page.locator("#notice")).to_contain_text("已结束为该来电人服务", use_inner_text=True)

    in_browser(steps, timeout_ms=60000)

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            from sqlalchemy.orm import Session

            with Session(bind=conn) as db:
                pid = find_person(db, PiiVault(TEST_SECRET), caller.id_number).id
                booking = db.scalar(sa.select(Booking).where(Booking.person_id == pid))
                assert booking.status is BookingStatus.BOOKED and booking.channel == "hotline"
                link = db.scalar(
                    sa.select(NotifyMessage).where(
                        NotifyMessage.person_id == pid, NotifyMessage.template == "certificate_link"
                    )
                )
                assert link is not None and "/certificates/d/" in link.sms_text
                actions = [
                    e.action
                    for e in db.scalars(
                        sa.select(AuditEntry).where(AuditEntry.staff_id == agent.id, AuditEntry.person_id == pid)
                    )
                ]
                for action in (AuditAction.CALLER_VERIFIED, AuditAction.BOOKED, AuditAction.LINK_SENT,
                               AuditAction.CALLER_RELEASED):  # fmt: skip
                    assert action in actions, action
    finally:
        engine.dispose()
