"""Browser fixtures for every test folder (registered in tests/conftest.py): the gateway served on a free
local port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.sandbox_server import serve_in_thread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, chromium keeps trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


# A page reached by a click may still be loading: expect() waits for it as long as any other step does. Set
# here, where every test run loads this plugin, so it holds for the browser fixture and in_browser() alike.
expect.set_options(timeout=15000)


# Module-scoped on purpose: Playwright's sync API keeps an asyncio loop running in the main thread while it
# is open, which breaks any later test that calls asyncio.run() (pyHanko does). Closing it after each module
# keeps browser tests from leaking into the rest of the suite.
@pytest.fixture(scope="module")
def live_server(settings) -> Iterator[str]:
    from gateway import create_app

    app = create_app(settings)
    with serve_in_thread(app) as url:
        yield url
    app.extensions["shebao_engine"].dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360 px wide phone viewport, the smallest the site must fit."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def in_browser(steps: Callable[[object], None], timeout_ms: int = 20000) -> None:
    """Run ``steps(page)`` on a 360 px phone in a chromium driven from a thread of its own.

    Playwright's sync API refuses to start where an asyncio loop is running, and a module's browser fixture
    leaves one running in the main thread while it is open; a thread of our own has no loop.
    """
    from playwright.sync_api import sync_playwright

    failure: list[BaseException] = []

    def work() -> None:
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(
                        viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN"
                    )
                    page = context.new_page()
                    page.set_default_timeout(timeout_ms)
                    steps(page)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's own thread below
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the browser test did not finish in 5 minutes"
    if failure:
        raise failure[0]


_SMALL_TAPS = """(opts) => [...document.querySelectorAll('a, button, input:not([type=hidden]), select')]
    .filter(e => e.offsetParent !== null)
    .filter(e => !opts.inlineOk || !e.closest('p, td, dd, li.inline, .breadcrumbs li'))
    // A checkbox, a radio or a visually hidden input is tapped through its label.
    .map(e => (e.tagName === 'INPUT' && e.labels && e.labels.length
               && (['checkbox', 'radio'].includes(e.type) || getComputedStyle(e).opacity === '0')) ? e.labels[0] : e)
    .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || (opts.checkWidth && r.width < 44); })
    .map(e => e.outerHTML.slice(0, 80))"""


def check_page(page, what: str = "", *, width: int = 360, strict_taps: bool = False) -> None:
    """What every page must pass (Regulation Art. 30, WCAG 2.1 AA): axe-core finds nothing, nothing scrolls
    sideways at ``width``, and every tap target is at least 44 px high — with ``strict_taps`` also 44 px wide,
    links inside running text included (the kiosk's touch screen)."""
    from axe_playwright_python.sync_playwright import Axe

    # A page reached by a click may still be loading: axe run mid-navigation finds no document (a CI flake).
    page.wait_for_load_state("load")
    results = Axe().run(page)
    assert results.violations_count == 0, f"{what}: {results.generate_report()}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, what
    small = page.evaluate(_SMALL_TAPS, {"inlineOk": not strict_taps, "checkWidth": strict_taps})
    assert not small, f"{what}: taps smaller than 44 px: {small}"


def step_up_by_sms(page, sandbox_url: str, database_url: str, id_number: str) -> None:
    """On the step-up page (rights, progress and certificates need level 2): the SMS method, a code sent to the
    phone the back office holds, read from the SMS sandbox and typed in — the page then goes on to where it was
    going."""
    import re

    import requests
    import sqlalchemy as sa

    from gateway.backoffice.models import BoPerson

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            phone = conn.scalar(sa.select(BoPerson.phone).where(BoPerson.id_number == id_number))
    finally:
        engine.dispose()
    page.get_by_role("link", name="短信验证码").click()
    page.get_by_role("button", name="发送验证码到登记的手机").click()
    texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()
    code = re.search(r"验证码是(\d{6})", texts["messages"][-1]["text"]).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认").click()
    page.wait_for_load_state()


def console_login(page, base: str, database_url: str, staff) -> None:
    """Log ``staff`` (a ``tests.conftest.StaffLogin``) in to the 12333 console: number, password and the next
    TOTP code; waits for the console's home."""
    from tests.conftest import next_totp_code

    page.goto(f"{base}/hotline/login")
    page.get_by_label("工号").fill(staff.username)
    page.get_by_label("密码").fill(staff.password)
    page.get_by_label("动态口令").fill(next_totp_code(database_url, staff))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/hotline/")
