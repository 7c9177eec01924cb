"""The web channel in a real browser: the first end-to-end flow, the three-levels rule, accessibility."""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.backoffice.models import BoContribution, BoPerson
from tests.browser_fixtures import step_up_by_sms

MAX_LEVELS = 3  # LD/T 01 6.1.3: pages of at most three levels (home → section → page)


def log_in(page, base: str, id_number: str) -> None:
    page.goto(f"{base}/account/login")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def back_office_rows(database_url: str, id_number: str) -> list[tuple[int, str, Decimal, Decimal, Decimal]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            pid = conn.scalar(sa.select(BoPerson.id).where(BoPerson.id_number == id_number))
            return [
                tuple(r)
                for r in conn.execute(
                    sa.select(
                        BoContribution.period,
                        BoContribution.scheme,
                        BoContribution.base,
                        BoContribution.unit_amount,
                        BoContribution.person_amount,
                    )
                    .where(BoContribution.person_id == pid)
                    .order_by(BoContribution.period.desc(), BoContribution.scheme)
                )
            ]
    finally:
        engine.dispose()


def test_person_pages_through_contributions_matching_the_back_office(
    phone, live_server, person, database_url, sandbox_url
):
    expected = back_office_rows(database_url, person.id_number)
    assert len(expected) > 24, "the demo employee should have several pages of contributions"
    log_in(phone, live_server, person.id_number)
    phone.goto(f"{live_server}/rights/")
    assert "/account/step-up" in phone.url  # rights records need level 2 (the catalog's level)
    step_up_by_sms(phone, sandbox_url, database_url, person.id_number)
    assert phone.url == f"{live_server}/rights/"
    phone.get_by_role("link", name="缴费记录").first.click()
    seen: list[tuple] = []
    for _ in range(3):
        for row in phone.locator("#contributions tbody tr").all():
            cells = [c.strip() for c in row.locator("td").all_inner_texts()]
            seen.append(
                (
                    int(row.get_attribute("data-period")),
                    row.get_attribute("data-scheme"),
                    Decimal(cells[2]),
                    Decimal(cells[3]),
                    Decimal(cells[4]),
                )
            )
        phone.get_by_role("link", name="下一页").click()
        phone.wait_for_load_state()
    want = [(p, s.value, Decimal(b), Decimal(u), Decimal(m)) for p, s, b, u, m in expected[: len(seen)]]
    assert seen == want
    assert len(seen) == 36


def crawl(page, base: str) -> dict[str, int]:
    """Breadth-first over every same-site link from the home page: path → level (home = 1)."""
    levels = {"/": 1}
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        page.goto(urljoin(base, path))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(urljoin(base + path, href))
            if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(("/static/", "/elder")):
                continue
            # The same page with another ?page= is not a deeper level.
            if parts.path not in levels:
                levels[parts.path] = levels[path] + 1
                queue.append(parts.path)
    return levels


def test_every_page_is_at_most_three_levels_deep(phone, live_server, person):
    log_in(phone, live_server, person.id_number)
    levels = crawl(phone, live_server)
    assert len(levels) > 20, levels
    too_deep = {p: n for p, n in levels.items() if n > MAX_LEVELS}
    assert not too_deep, too_deep
    assert levels["/rights/contributions"] <= MAX_LEVELS


PAGES = ["/", "/services/", "/rights/", "/rights/contributions", "/help/", "/appointments/", "/account/login"]


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_pages_are_accessible_and_fit_a_phone(phone, live_server, person, elder, sandbox_url, database_url):
    log_in(phone, live_server, person.id_number)
    phone.goto(f"{live_server}/rights/")
    step_up_by_sms(phone, sandbox_url, database_url, person.id_number)  # so /rights/ pages are the real ones
    if elder:
        phone.goto(f"{live_server}/elder?on=1&back=/")
    axe = Axe()
    for path in [*PAGES, first_guide_path(phone, live_server)]:
        if path == "/account/login":
            phone.context.clear_cookies()
            if elder:
                phone.goto(f"{live_server}/elder?on=1&back=/")
        phone.goto(live_server + path)
        results = axe.run(phone)
        assert results.violations_count == 0, f"{path}: {results.generate_report()}"
        # No sideways scroll at 360 px.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
        body_px = float(phone.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))
        assert body_px >= (18 if elder else 16), path
        small_taps = phone.evaluate(
            """() => [...document.querySelectorAll('a, button, input')]
                .filter(e => e.offsetParent !== null && !e.closest('p, td, dd, li.inline'))
                .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44; })
                .map(e => e.outerHTML.slice(0, 80))"""
        )
        assert not small_taps, f"{path}: taps smaller than 44 px: {small_taps}"


def first_guide_path(page, base: str) -> str:
    page.goto(f"{base}/services/")
    return page.locator(".item-list a").first.get_attribute("href")


def test_login_error_is_summarised_at_the_top(phone, live_server):
    phone.goto(f"{live_server}/account/login")
    phone.get_by_label("身份证号码").fill("110101199003071234")
    phone.get_by_label("密码").fill("whatever")
    phone.get_by_role("button", name="登录").click()
    summary = phone.locator(".error-summary")
    assert "校验位" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert phone.evaluate("document.activeElement.id") in (
        "id_number",
        "error-summary",
    ) or phone.url.endswith("#id_number")
