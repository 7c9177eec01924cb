"""好差评 of a closed mailbox case in a real browser (LD/T 01 5.5.1, 7): from the person's list of cases on a 360 px
phone, rated 非常不满意; the list then shows the follow-up's deadline, every page passing axe-core, and the public
figures count it."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.consult import mailbox
from gateway.consult.models import CaseKind, CaseStatus, Topic
from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from tests.browser.test_web_pages import log_in
from tests.browser_fixtures import check_page
from tests.conftest import TEST_SECRET

SERVICE = "网上信箱留言（咨询、建议、投诉、举报）"


def _closed_case(database_url: str, id_number: str) -> str:
    engine = sa.create_engine(database_url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as db:
            vault = PiiVault(TEST_SECRET)
            person = find_person(db, vault, id_number)
            form = mailbox.Submission(CaseKind.COMPLAINT, Topic.SERVICE, "窗口排队太久", "等了两个小时。", None, False)
            case, _code = mailbox.submit(db, vault, form, person_id=person.id, now=clock.now())
            case.status, case.closed_at = CaseStatus.CLOSED, clock.now()
            db.commit()
            return case.number
    finally:
        engine.dispose()


def _mailbox_ratings(phone, live_server) -> tuple[int, int]:
    phone.goto(f"{live_server}/info/evaluation")
    row = phone.locator('#by-item tr[data-key="consult-mailbox"]')
    if row.count() == 0:
        return 0, 0
    return int(row.locator(".ratings").inner_text()), int(row.locator(".bad").inner_text())


def test_a_closed_case_is_rated_from_the_list_of_cases(phone, live_server, person, database_url):
    ratings, bad = _mailbox_ratings(phone, live_server)
    log_in(phone, live_server, person.id_number)
    number = _closed_case(database_url, person.id_number)
    phone.goto(f"{live_server}/consult/")
    check_page(phone, "/consult/ with a case to rate")
    phone.get_by_role("link", name=f"评价投诉 {number}的办理服务").click()
    phone.wait_for_load_state()
    assert phone.locator("#rated-service").inner_text() == f"评价：网上信箱留言 {number}"
    check_page(phone, "rating form for a mailbox case")
    form = phone.locator("#rate-form")
    form.locator("#completeness").get_by_text("基本满意", exact=True).click()
    form.locator("#ease").get_by_text("不满意", exact=True).click()
    form.locator("#timeliness").get_by_text("不满意", exact=True).click()
    form.locator("#satisfaction").get_by_text("非常不满意", exact=True).click()
    phone.get_by_role("button", name="提交评价").click()
    phone.wait_for_url(f"**/consult/?rated={number}#mine")
    assert phone.locator("#rated-notice").inner_text() == "感谢您的评价。"
    entry = phone.locator(f"#case-{number}")
    assert "您已评价：非常不满意" in entry.inner_text() and "前回访处理您的评价" in entry.inner_text()
    check_page(phone, "/consult/ after rating")

    assert _mailbox_ratings(phone, live_server) == (ratings + 1, bad + 1)
    expect(phone.locator("#by-item")).to_contain_text(SERVICE, use_inner_text=True)
    check_page(phone, "figures with the mailbox's ratings")
