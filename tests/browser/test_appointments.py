"""Booking in three steps on a phone, cancelling, and checking in at a kiosk (LD/T 01 5.1, 6.1.3)."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_web_pages import log_in


def book_first_free_slot(page, base: str, item_name: str) -> str:
    """The three steps: item → hall, date and time → confirm. Returns the booking code."""
    page.goto(f"{base}/appointments/")
    page.locator("#bookable-items").get_by_role("link", name=item_name).click()  # step 1
    assert page.locator('.steps [aria-current="step"]').inner_text().endswith("选择网点和时间")
    # Step 2: tap a free time's label, as a person does. A forced click on the visually hidden radio could land on
    # the sticky action bar above it and leave it unchecked (a CI failure).
    page.locator(".slot input:not([disabled]) + label").first.click()
    assert page.locator(".slot input:checked").count() == 1
    page.get_by_role("button", name="下一步").click()
    assert page.locator('.steps [aria-current="step"]').inner_text().endswith("确认预约")
    page.get_by_role("button", name="确认预约").click()  # step 3
    expect(page.get_by_role("heading", name="预约成功")).to_be_visible()
    return page.locator("#booking-code").inner_text().strip()


def test_book_in_three_steps_and_cancel_on_a_phone(phone, live_server, accounts):
    who = accounts[3]  # a demo person with no bookings made by other tests
    log_in(phone, live_server, who.id_number)
    code = book_first_free_slot(phone, live_server, "个人社会保险登记")
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    expect(phone.get_by_role("img", name=re.compile("预约码二维码"))).to_be_visible()
    phone.get_by_role("button", name="取消预约").click()
    expect(phone.locator("#cancel-confirm")).to_contain_text(
        "确定要取消这次预约吗", use_inner_text=True
    )  # a confirmation step first
    assert phone.locator("#booking-status").inner_text().startswith("已预约")
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    phone.get_by_role("button", name="确认取消预约").click()
    expect(phone.locator(".notice")).to_contain_text("预约已取消", use_inner_text=True)
    assert phone.locator("#booking-status").inner_text().startswith("已取消")


def test_choose_page_is_accessible(phone, live_server, accounts):
    log_in(phone, live_server, accounts[3].id_number)
    phone.goto(f"{live_server}/appointments/")
    phone.locator("#bookable-items").get_by_role("link", name="个人社会保险登记").click()
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_kiosk_check_in_prints_a_ticket(browser, live_server, database_url, accounts):
    """A booking whose slot began five minutes ago is checked in at the hall's kiosk by its code."""
    from datetime import datetime, timedelta

    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from gateway.appointments.models import Booking, BookingStatus, Hall, Slot
    from gateway.clock import local_now, utc
    from gateway.identity.models import Person
    from gateway.security.pii import PiiVault
    from tests.conftest import TEST_SECRET

    engine = sa.create_engine(database_url)
    begins: datetime = local_now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    with sessionmaker(bind=engine)() as s:
        hall = s.scalar(sa.select(Hall).where(Hall.code == "H01"))
        person = s.scalar(
            sa.select(Person).where(Person.id_digest == PiiVault(TEST_SECRET).digest(accounts[1].id_number))
        )
        slot = Slot(
            hall_id=hall.id,
            day=begins.date(),
            start=begins.time(),
            end=(begins + timedelta(minutes=30)).time(),
            capacity=1,
            booked=1,
        )
        s.add(slot)
        s.flush()
        code = f"K{begins:%H%M}{slot.id % 1000:03d}"[:8]
        s.add(
            Booking(
                code=code,
                person_id=person.id,
                item_id="person-registration",
                slot_id=slot.id,
                status=BookingStatus.BOOKED,
                priority=False,
                channel="web",
                created_at=utc(begins),
            )
        )
        s.commit()
    engine.dispose()

    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    kiosk = context.new_page()
    kiosk.goto(f"{live_server}/kiosk/H01/")
    kiosk.get_by_role("link", name="预约签到取号").click()
    kiosk.get_by_label("请将预约二维码对准扫码口，或输入预约码").fill(code.lower())
    kiosk.get_by_role("button", name="签到").click()
    ticket = kiosk.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"A\d{3}", ticket)
    assert Axe().run(kiosk).violations_count == 0
    pdf = kiosk.pdf(format="A6")  # what the kiosk's printer receives
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    # Checking in twice is refused with the ticket number, not a second ticket.
    kiosk.goto(f"{live_server}/kiosk/H01/check-in")
    kiosk.get_by_label("请将预约二维码对准扫码口，或输入预约码").fill(code)
    kiosk.get_by_role("button", name="签到").click()
    expect(kiosk.locator(".error-summary")).to_contain_text(ticket, use_inner_text=True)
    context.close()
