"""The browser half of the raw-code scan (tests/seen_words.py): every page a test's browser shows is read as a person
reads it, and what it finds is handed to the test that opened the page."""

from __future__ import annotations

from tests.seen_words import take_browser_leaks


def test_the_browser_reports_a_raw_code_a_person_sees_and_not_what_is_hidden(phone):
    take_browser_leaks()
    phone.goto(
        "data:text/html;charset=utf-8,<html lang=zh><title>查询</title><body>"
        "<p>错误代码：not_found</p><input type=hidden name=kind value=person_proof>"
        "<div style='display:none'>UTC</div><script>var t='2026-12-04T13:14:00Z'</script>"
        "<button aria-label='essc'>电子社保卡</button><p id=late></p></body></html>"
    )
    phone.wait_for_timeout(300)
    phone.evaluate("document.getElementById('late').textContent = '时间（UTC）'")  # a change after loading too
    phone.wait_for_timeout(600)
    phone.evaluate("1")  # let Playwright deliver the page's reports
    found = " ".join(report.rsplit(": ", 1)[1] for report in take_browser_leaks())  # "<where>: [codes]"
    assert "not_found" in found and "essc" in found and "UTC" in found, found
    assert "person_proof" not in found and "2026-12-04T" not in found, found
