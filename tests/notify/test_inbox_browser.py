"""The inbox in a real browser: the unread count in the header, the inbox page (level 2 from home via the
header, level 3 via 我的), reading a message, the settings page — accessible and fitting 360 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from tests.browser_fixtures import check_page, in_browser
from tests.conftest import TEST_SECRET
from tests.notify.helpers import queue_booked
from tests.sandbox_server import serve_in_thread

pytestmark = pytest.mark.browser


# Module-scoped, not the session's: Playwright's event loop must be gone before other tests run asyncio code.
@pytest.fixture(scope="module")
def live_server(settings):
    from gateway import create_app

    app = create_app(settings)
    with serve_in_thread(app) as url:
        yield url
    app.extensions["shebao_engine"].dispose()


def test_inbox_with_unread_count_on_the_web(live_server, person, sessions, make_dispatcher):
    with sessions() as s:
        pid = find_person(s, PiiVault(TEST_SECRET), person.id_number).id
    with sessions.begin() as s:
        queue_booked(s, pid, "browser-1")
        queue_booked(s, pid, "browser-2")
    make_dispatcher().run_until_idle()

    def steps(phone) -> None:
        phone.goto(f"{live_server}/account/login")
        phone.get_by_label("身份证号码").fill(person.id_number)
        phone.get_by_label("密码").fill(DEMO_PASSWORD)
        phone.get_by_role("button", name="登录").click()
        phone.wait_for_load_state()

        phone.locator("#site-menu > summary").click()  # on a phone the header's tools are in its menu
        badge = phone.locator("#inbox-link")
        assert badge.get_attribute("aria-label") == "站内信，2条未读"
        assert phone.locator("#unread-count").text_content().strip() == "2"
        badge.click()
        phone.wait_for_load_state()
        assert phone.url.endswith("/account/inbox/")
        expect(phone.locator("#inbox-summary")).to_contain_text("2 条未读", use_inner_text=True)
        check_page(phone, "/account/inbox/")

        phone.locator("#inbox-list a").first.click()
        phone.wait_for_load_state()
        expect(phone.locator("#message-body")).to_contain_text("预约号A0012", use_inner_text=True)
        assert phone.locator("#unread-count").text_content().strip() == "1"
        check_page(phone, "message")

        # 我的 → 站内信: the inbox is also reachable from the account page.
        phone.goto(f"{live_server}/account/")
        phone.get_by_role("link", name="站内信", exact=True).last.click()
        phone.wait_for_load_state()
        assert phone.url.endswith("/account/inbox/")

        phone.get_by_role("link", name="消息接收设置").click()
        phone.wait_for_load_state()
        check_page(phone, "/account/inbox/settings")
        phone.locator("label[for='policy-sms']").click()
        phone.get_by_role("button", name="保存设置").click()
        phone.wait_for_load_state()
        expect(phone.locator("#saved")).to_contain_text("设置已保存", use_inner_text=True)
        assert phone.locator("#policy-sms").is_checked()

    in_browser(steps)
