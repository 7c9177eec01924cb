"""The queue ticket printed through the kiosk's printer bridge (issue 14), against the printer sandbox: a receipt
printer on a raw TCP socket (ESC/POS, GB18030) behind the kiosk's loopback bridge, started with the sandboxes."""

from __future__ import annotations

import time

import pytest
import requests

from tests.browser_fixtures import check_page
from tests.kiosk.conftest import HALL


def _jobs(sandbox_url: str) -> list[str]:
    return [j["text"] for j in requests.get(f"{sandbox_url}/printer/test/jobs", timeout=5).json()["jobs"]]


def _printed(sandbox_url: str, text: str, timeout_s: float = 5) -> str:
    """The job holding ``text`` once the printer has it (the socket job lands a moment after the bridge answers)."""
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends:
        found = [j for j in _jobs(sandbox_url) if text in j]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"nothing printed with {text!r}: {_jobs(sandbox_url)}")


def test_the_bridge_sends_chinese_text_to_the_raw_socket_printer(sandbox_url: str) -> None:
    status = requests.get(f"{sandbox_url}/printer/status", timeout=5).json()
    assert status["printer"] == "ready" and status["address"].startswith("127.0.0.1:")
    answer = requests.post(f"{sandbox_url}/printer/print", json={"lines": ["示例大厅", "排队号 A999"]}, timeout=5)
    assert answer.status_code == 200
    assert _printed(sandbox_url, "排队号 A999") == "示例大厅\n排队号 A999"
    assert requests.post(f"{sandbox_url}/printer/print", json={"lines": []}, timeout=5).status_code == 400
    requests.post(f"{sandbox_url}/printer/test/offline", json={"offline": True}, timeout=5)
    try:
        refused = requests.post(f"{sandbox_url}/printer/print", json={"lines": ["x"]}, timeout=5)
        assert refused.status_code == 503 and refused.json()["error"] == "printer_offline"
    finally:
        requests.post(f"{sandbox_url}/printer/test/offline", json={"offline": False}, timeout=5)


@pytest.mark.browser
def test_the_ticket_is_printed_after_check_in(browser, live_server, sandbox_url, accounts, person_row, booking_now):
    code = booking_now(person_row(accounts[1]))
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{live_server}/kiosk/{HALL}/check-in")
        page.get_by_label("请将预约二维码对准扫码口").fill(code)
        page.get_by_role("button", name="签到", exact=True).click()
        page.wait_for_url(f"{live_server}/kiosk/{HALL}/ticket/{code}")
        ticket = page.locator("#ticket-number").inner_text()
        page.locator("#print-status").filter(has_text="排队凭条已打印").wait_for()
        job = _printed(sandbox_url, f"排队号 {ticket}")
        assert "事项 " in job and "取号 " in job
        check_page(page, "ticket printed", width=1080, strict_taps=True)
        # Printer offline: the person is told to keep the number on screen, and may try again.
        requests.post(f"{sandbox_url}/printer/test/offline", json={"offline": True}, timeout=5)
        try:
            page.get_by_role("button", name="重新打印凭条").click()
            page.locator("#print-status").filter(has_text="打印机暂时不可用").wait_for()
        finally:
            requests.post(f"{sandbox_url}/printer/test/offline", json={"offline": False}, timeout=5)
    finally:
        context.close()
