"""The kiosk in a real browser at its 1080×1920 portrait screen: card + PIN login through the reader's
bridge, the inbox's unread count, a message, the sealed proof's print page, and the idle countdown logging
out — every page accessible (axe) with taps of at least 44 px."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

from gateway.catalog import Channel
from gateway.channel_policy import POLICIES
from gateway.identity.models import EventKind, IdentityEvent
from tests.browser_fixtures import check_page as shared_check
from tests.kiosk.conftest import HALL, PIN

pytestmark = pytest.mark.browser


def check_page(page, what: str) -> None:
    shared_check(page, what, width=1080, strict_taps=True)


@pytest.fixture
def kiosk(browser):
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


def test_card_login_inbox_print_and_idle_logout(
    kiosk, live_server, bridge, card_of, accounts, person_row, deliver_inbox, kiosk_sessions, monkeypatch
):
    someone = accounts[2]
    person_id = person_row(someone)
    deliver_inbox(person_id, 2)
    card_number, id_number, name = card_of(someone)
    start = f"{live_server}/kiosk/{HALL}/"

    kiosk.goto(start)
    check_page(kiosk, "start")
    kiosk.get_by_role("link", name="社保卡登录").click()
    status = kiosk.locator("#card-status")
    status.filter(has_text="请将社保卡插入读卡口").wait_for()
    check_page(kiosk, "card login")
    # Hands at the hardware: the card goes into the slot, the PIN onto the reader's keypad.
    requests.post(bridge + "/test/insert", json={"card_number": card_number, "aac002": id_number, "aac003": name,
                                                 "pin": PIN}, timeout=5).raise_for_status()  # fmt: skip
    status.filter(has_text="请在读卡器键盘上输入社保卡密码").wait_for()
    requests.post(bridge + "/test/keypad", json={"pin": PIN}, timeout=5).raise_for_status()
    kiosk.wait_for_url(f"{start}me/")
    requests.post(bridge + "/test/remove", timeout=5)

    assert kiosk.get_by_role("heading", level=1).inner_text() == f"您好，{name}"
    assert id_number not in kiosk.content()
    assert kiosk.locator("#inbox-link").get_attribute("aria-label") == "我的消息，2条未读"
    assert kiosk.locator("#unread-count").inner_text() == "2"
    expect(kiosk.get_by_role("button", name="退出登录")).to_be_visible()
    check_page(kiosk, "home")

    kiosk.locator("#inbox-link").click()
    expect(kiosk.locator("#inbox-summary")).to_contain_text("2 条未读", use_inner_text=True)
    check_page(kiosk, "inbox")
    kiosk.locator("#inbox-list a").first.click()
    expect(kiosk.locator("#message-body")).to_contain_text("高新区政务服务中心", use_inner_text=True)
    expect(kiosk.get_by_role("button", name="退出登录")).to_be_visible()
    check_page(kiosk, "message")
    kiosk.get_by_role("link", name="返回我的消息").click()
    expect(kiosk.locator("#inbox-summary")).to_contain_text("1 条未读", use_inner_text=True)
    kiosk.get_by_role("link", name="返回我的服务").click()
    assert kiosk.locator("#unread-count").inner_text() == "1"

    kiosk.get_by_role("link", name="打印参保证明").click()
    check_page(kiosk, "proof preview")
    with kiosk.expect_response(lambda r: r.url.endswith("/pdf")) as framed:
        kiosk.get_by_role("button", name="盖章并打印").click()
    kiosk.get_by_role("heading", name="参保证明已盖章").wait_for()
    # The frame gets the sealed PDF; the same address opened as a page (where the viewer offers to save it) not.
    assert framed.value.status == 200 and framed.value.headers["content-disposition"] == "inline"
    pdf_url = framed.value.url
    assert len(kiosk.locator("#proof-code").inner_text().replace("-", "")) >= 12
    assert kiosk.locator("#proof-pdf").get_attribute("src").endswith("/pdf#toolbar=0&navpanes=0")
    check_page(kiosk, "print page")
    alone = kiosk.context.new_page()
    assert alone.goto(pdf_url).status == 404
    alone.close()

    # A short idle limit through the kiosk's channel policy (the same value the server and the page use).
    monkeypatch.setitem(POLICIES, Channel.KIOSK, replace(POLICIES[Channel.KIOSK], idle_timeout_s=8))
    kiosk.get_by_role("link", name="返回我的服务").click()
    assert kiosk.locator("body").get_attribute("data-idle-seconds") == "8"
    countdown = kiosk.locator("#idle-countdown")
    countdown.filter(has_text="秒后自动退出").wait_for()
    kiosk.wait_for_url(start, timeout=15000)
    expect(kiosk.get_by_role("link", name="社保卡登录")).to_be_visible()  # logged out, back at the start
    kiosk.goto(f"{start}me/")
    assert kiosk.url == start
    with kiosk_sessions() as s:
        last = s.scalar(
            sa.select(IdentityEvent).where(IdentityEvent.person_id == person_id).order_by(IdentityEvent.id.desc())
        )
    assert last.kind == EventKind.LOGOUT and last.channel == "kiosk"


def test_a_wrong_pin_is_told_at_the_top_and_can_be_typed_again(
    kiosk, live_server, bridge, card_of, accounts, clear_card_guards
):
    card_number, id_number, name = card_of(accounts[1])
    clear_card_guards(card_number)
    kiosk.goto(f"{live_server}/kiosk/{HALL}/login/card")
    status = kiosk.locator("#card-status")
    status.filter(has_text="请将社保卡插入读卡口").wait_for()
    requests.post(bridge + "/test/insert", json={"card_number": card_number, "aac002": id_number, "aac003": name,
                                                 "pin": PIN}, timeout=5).raise_for_status()  # fmt: skip
    status.filter(has_text="请在读卡器键盘上输入社保卡密码").wait_for()
    requests.post(bridge + "/test/keypad", json={"pin": "000000"}, timeout=5).raise_for_status()
    error = kiosk.locator("#card-error")
    error.wait_for()
    assert "密码不正确，还可以再试 4 次" in error.inner_text()
    check_page(kiosk, "wrong pin")
    # The card is still in the slot: the reader asks for the PIN again, and the right one logs in.
    status.filter(has_text="请在读卡器键盘上输入社保卡密码").wait_for()
    requests.post(bridge + "/test/keypad", json={"pin": PIN}, timeout=5).raise_for_status()
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/me/")
    requests.post(bridge + "/test/remove", timeout=5)
    kiosk.get_by_role("button", name="退出登录").click()
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/")


def test_essc_qr_login_on_the_kiosk(kiosk, live_server, sandbox_url, person, kiosk_sessions):
    """The e-SSC QR on the kiosk screen: approved on the phone, the page's poll logs the holder in."""
    from gateway.identity.models import AuthFlow

    kiosk.goto(f"{live_server}/kiosk/{HALL}/")
    kiosk.get_by_role("link", name="电子社保卡扫码登录").click()
    expect(kiosk.get_by_role("img", name="电子社保卡登录二维码")).to_be_visible()
    check_page(kiosk, "qr login")
    with kiosk_sessions() as s:
        flow = s.scalar(
            sa.select(AuthFlow).where(AuthFlow.channel == "kiosk", AuthFlow.kind == "qr").order_by(AuthFlow.id.desc())
        )
    # The phone's e-SSC app approves the request the QR carries (its state and nonce).
    requests.post(
        sandbox_url + "/essc/authorize",
        data={"client_id": "shebao-gateway", "redirect_uri": f"{live_server}/account/essc/callback",
              "state": flow.state, "nonce": flow.nonce, "mode": "qr", "aac002": person.id_number,
              "aac003": person.name},
        timeout=5,
    ).raise_for_status()  # fmt: skip
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/me/")
    assert kiosk.get_by_role("heading", level=1).inner_text() == f"您好，{person.name}"
    kiosk.get_by_role("button", name="退出登录").click()
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/")


def test_anonymous_check_in_on_the_screen_keypad_then_done(kiosk, live_server, accounts, person_row, booking_now):
    """No physical keyboard: the booking code is tapped on the screen's keypad (every key labelled, 44 px and
    more), a slip corrected with 删除; after the ticket, 完成 leaves for the card screen."""
    code = booking_now(person_row(accounts[1]))
    kiosk.goto(f"{live_server}/kiosk/{HALL}/check-in")
    keypad = kiosk.get_by_role("group", name="预约码键盘")
    expect(keypad).to_be_visible()
    check_page(kiosk, "check-in keypad")
    field = kiosk.get_by_label("请将预约二维码对准扫码口")
    for ch in code[:3]:
        keypad.get_by_role("button", name=f"输入 {ch}", exact=True).click()
    keypad.get_by_role("button", name="输入 Z" if code[3] != "Z" else "输入 Y", exact=True).click()  # a slip
    keypad.get_by_role("button", name="删除一位").click()
    for ch in code[3:]:
        keypad.get_by_role("button", name=f"输入 {ch}", exact=True).click()
    assert field.input_value() == code
    assert kiosk.locator("#code-count").inner_text().startswith("已输入 8 位")
    keypad.get_by_role("button", name="清空全部").click()
    assert field.input_value() == ""
    for ch in code:
        keypad.get_by_role("button", name=f"输入 {ch}", exact=True).click()
    kiosk.get_by_role("button", name="签到", exact=True).click()
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/ticket/{code}")
    assert kiosk.locator("#ticket-number").inner_text().startswith("A")
    check_page(kiosk, "ticket")
    kiosk.get_by_role("button", name="完成").click()
    kiosk.wait_for_url(f"{live_server}/kiosk/{HALL}/login/card")
    assert kiosk.get_by_role("heading", level=1).inner_text() == "社保卡登录"


def test_done_ends_a_logged_in_session_at_once(kiosk, live_server, bridge, card_of, accounts, kiosk_sessions):
    """完成 on a logged-in screen: logged out there and then (no idle countdown), back at the card screen."""
    card_number, id_number, name = card_of(accounts[3])
    start = f"{live_server}/kiosk/{HALL}/"
    kiosk.goto(start + "login/card")
    status = kiosk.locator("#card-status")
    status.filter(has_text="请将社保卡插入读卡口").wait_for()
    requests.post(bridge + "/test/insert", json={"card_number": card_number, "aac002": id_number, "aac003": name,
                                                 "pin": PIN}, timeout=5).raise_for_status()  # fmt: skip
    status.filter(has_text="请在读卡器键盘上输入社保卡密码").wait_for()
    requests.post(bridge + "/test/keypad", json={"pin": PIN}, timeout=5).raise_for_status()
    kiosk.wait_for_url(f"{start}me/")
    requests.post(bridge + "/test/remove", timeout=5)
    assert kiosk.locator("#my-document").inner_text().startswith("居民身份证 ")
    kiosk.get_by_role("link", name="我的预约与签到").click()
    check_page(kiosk, "appointments")
    kiosk.get_by_role("button", name="完成").click()
    kiosk.wait_for_url(f"{start}login/card")
    status.filter(has_text="请将社保卡插入读卡口").wait_for()
    check_page(kiosk, "card screen after done")
    kiosk.goto(f"{start}me/")
    assert kiosk.url == start  # nobody logged in any more
    with kiosk_sessions() as s:
        last = s.scalar(
            sa.select(IdentityEvent).where(IdentityEvent.channel == "kiosk").order_by(IdentityEvent.id.desc())
        )
    assert last.kind == EventKind.LOGOUT
