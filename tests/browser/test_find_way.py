"""Finding one's way on a 375 px phone (issue 15, "Done when"): search "退休" from home and reach the pension
application in at most three taps; book with every control in reach of a short page instead of a 65-slot grid;
a one-row header with a menu that opens without JavaScript; 长辈版 where every text node is at least 18 px and
the page can be read aloud. Every page passes axe-core."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.backoffice.local import LocalBackOffice
from gateway.catalog.forms import EligibilityCheck
from tests.browser.test_web_pages import log_in
from tests.browser_fixtures import check_page
from tests.support import resident_id

WIDTH, HEIGHT = 375, 667
#: The header's share of the first screen: 30 % (46.5 % in 长辈版) before the compact header.
HEADER_SHARE = 0.12


@pytest.fixture
def phone375(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def essc_login(page, base: str, id_number: str, name: str, next_path: str = "/") -> None:
    """Level 3 (the pension claim needs a real-person login): the e-SSC sandbox, the holder confirms."""
    page.goto(f"{base}/account/essc/start?next={next_path}")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("姓名").fill(name)
    page.get_by_role("button", name="确认授权").click()
    page.wait_for_url(f"{base}{next_path}")


@pytest.fixture
def pension_claimant(database_url) -> tuple[str, str]:
    """(ID number, name) of a working person at retirement age with 15 years paid: one the pension claim is open
    to (the demo retiree already draws a pension, so the claim's eligibility check refuses him)."""
    engine = sa.create_engine(database_url)
    backoffice = LocalBackOffice(sessionmaker(bind=engine))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id_number, name FROM bo_person WHERE status = 'working' ORDER BY birth_date LIMIT 300")
        ).all()
    try:
        for row in rows:
            verdict = backoffice.check_eligibility(row.id_number, EligibilityCheck.PENSION_CLAIM, clock.today())
            if resident_id(row.id_number) and verdict.eligible:
                return row.id_number, row.name
    finally:
        engine.dispose()
    raise AssertionError("the demo population holds nobody the pension claim is open to")


def test_search_retirement_from_home_reaches_the_pension_application_in_three_taps(
    phone375, live_server, pension_claimant
):
    page = phone375
    essc_login(page, live_server, *pension_claimant)
    check_page(page, "/ (standard home)", width=WIDTH)
    taps = 0
    page.get_by_label("查找服务和问题").first.fill("退休")
    page.get_by_role("button", name="查找").first.click()
    taps += 1
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="查找“退休”")).to_be_visible()
    check_page(page, "/services/?q=退休", width=WIDTH)
    results = page.locator("#found-items")
    assert "基本养老金申领" in results.inner_text()
    results.get_by_role("link", name=re.compile(r"^在线办理\s*：基本养老金申领$")).click()
    taps += 1
    page.wait_for_load_state()
    assert page.url == f"{live_server}/services/retirement-pension-claim/apply"
    expect(page.get_by_role("heading", name="基本养老金申领").first).to_be_visible()
    assert page.locator('.steps [aria-current="step"]').inner_text().endswith("填写申请")
    assert taps <= 3


def _in_view(locator) -> None:
    box = locator.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box


def test_book_with_every_control_in_reach_on_a_phone(phone375, live_server, accounts):
    page = phone375
    log_in(page, live_server, accounts[2].id_number)
    page.goto(f"{live_server}/appointments/")
    check_page(page, "/appointments/ (grouped)", width=WIDTH)
    groups = page.locator("#bookable-items [data-filter-group]")
    assert groups.count() >= 3
    # Step 1: the filter narrows the grouped list as one types (without JS it stays the grouped list).
    page.get_by_label("筛选事项").fill("个人社会保险登记")
    assert page.locator("#bookable-items [data-filter-group]:visible").count() == 1
    page.locator("#bookable-items").get_by_role("link", name="个人社会保险登记").click()
    # Step 2: days first, then one day's times — never the week's 65 slots on one page.
    assert page.locator('.steps [aria-current="step"]').inner_text().endswith("选择网点和时间")
    check_page(page, "/appointments/book", width=WIDTH)
    _in_view(page.get_by_role("button", name="下一步"))  # in reach from the first screen on
    days = page.locator(".day-picker a")
    assert days.count() >= 3
    first_slot_y = page.locator(".slot").first.bounding_box()["y"]
    assert days.last.bounding_box()["y"] < first_slot_y  # the days come before the times
    chosen = page.locator('.day-picker a[aria-current="date"]').inner_text()
    days.filter(has_not=page.locator("[aria-current]")).last.click()  # another day: its own times
    page.wait_for_load_state()
    assert page.locator('.day-picker a[aria-current="date"]').inner_text() != chosen
    radios = page.locator(".slot input")
    assert 0 < radios.count() <= 20
    page.locator(".slot input:not([disabled]) + label").first.click()  # a tap on the time, as a person does
    assert page.locator(".slot input:checked").count() == 1
    # 下一步 is on the screen where the time was picked: no scrolling past a grid to reach it.
    _in_view(page.get_by_role("button", name="下一步"))
    assert page.evaluate("document.documentElement.scrollHeight") < 3 * HEIGHT
    page.get_by_role("button", name="下一步").click()
    # Step 3.
    assert page.locator('.steps [aria-current="step"]').inner_text().endswith("确认预约")
    page.get_by_role("button", name="确认预约").click()
    expect(page.get_by_role("heading", name="预约成功")).to_be_visible()
    # Leave no booking behind for the other tests of this person (at most 3 active).
    page.get_by_role("button", name="取消预约").click()
    page.get_by_role("button", name="确认取消预约").click()
    expect(page.locator(".notice")).to_contain_text("预约已取消", use_inner_text=True)


def _header_share(page) -> float:
    return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height") / HEIGHT


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_the_header_is_one_row_and_its_menu_opens(phone375, live_server, person, elder):
    page = phone375
    log_in(page, live_server, person.id_number)
    if elder:
        page.goto(f"{live_server}/elder?on=1&back=/")
    for path in ("/", "/services/", "/appointments/"):
        page.goto(live_server + path)
        share = _header_share(page)
        print(f"header share {path} ({'elder' if elder else 'standard'}): {share:.1%}")
        assert share <= HEADER_SHARE, f"{path}: the header takes {share:.1%} of the first screen"
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav).to_be_hidden()
    page.locator("#site-menu > summary").click()
    expect(nav.get_by_role("link", name="证明打印")).to_be_visible()
    check_page(page, "menu open", width=WIDTH)


def test_the_menu_opens_without_javascript(browser, live_server):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live_server}/appointments/")
    page.locator("#site-menu > summary").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="帮助").click()
    assert page.url == f"{live_server}/help/"
    page.goto(f"{live_server}/services/")
    expect(page.locator(".filter-field")).to_be_hidden()  # the JS filter stays out of the way
    assert page.locator("details.event").count() >= 7
    context.close()


#: Every text node in the body, with the computed size of the element that holds it.
_SMALL_TEXT = """() => {
  const small = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('script, style, noscript')) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    const text = node.textContent.trim().slice(0, 20);
    if (px < 18) small.push(`${px}px <${el.tagName.toLowerCase()} class="${el.className}">${text}`);
  }
  return small;
}"""

ELDER_PAGES = [
    "/",
    "/services/",
    "/services/?q=退休",
    "/appointments/",
    "/appointments/book?item=person-registration",
    "/help/?q=怎么预约",
    "/services/retirement-pension-claim",
    "/rights/benefits",
    "/rights/benefits?all=1",
    "/certificates/",
    "/services/eligibility-certification/apply",
    "/account/proxies/",
    "/account/",
]


def test_elder_site_text_is_at_least_18px_everywhere(phone375, live_server, accounts):
    page = phone375
    who = accounts[1]
    essc_login(page, live_server, who.id_number, who.name)
    page.goto(f"{live_server}/elder?on=1&back=/")
    expect(page.get_by_role("heading", name="长辈版")).to_be_visible()
    tasks = page.locator("#elder-tasks a")
    assert tasks.count() == 6
    for path in ELDER_PAGES:
        page.goto(live_server + path)
        page.locator("#site-menu > summary").click()  # the menu's text counts too
        small = page.evaluate(_SMALL_TEXT)
        assert not small, f"{path}: text under 18 px: {small}"
        check_page(page, f"长辈版 {path}", width=WIDTH)
    # One tap back to the standard site, from any page.
    page.get_by_role("link", name="回标准版").click()
    assert page.url == f"{live_server}/account/"
    assert "elder" not in (page.locator("html").get_attribute("class") or "")


def test_elder_read_aloud_where_the_browser_can(browser, live_server):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/elder?on=1&back=/")
    # Record what would be spoken (a headless browser has no voices to speak with).
    page.evaluate(
        """() => { window.spoken = [];
           window.speechSynthesis.speak = (u) => { window.spoken.push(u.text); };
           Object.defineProperty(window.speechSynthesis, 'speaking', {get: () => window.spoken.length > 0}); }"""
    )
    button = page.get_by_role("button", name="朗读本页")
    expect(button).to_be_visible()
    button.click()
    spoken = page.evaluate("window.spoken.join('|')")
    assert "养老金到账" in spoken and "朗读本页" not in spoken
    expect(page.get_by_role("button", name="停止朗读")).to_be_visible()
    # Without the Web Speech API the button is not offered at all.
    page.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    page.reload()
    expect(page.locator("#read-aloud")).to_be_hidden()
    context.close()
