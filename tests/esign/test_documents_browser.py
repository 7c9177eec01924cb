"""In a real browser (issue 20, LD/T 01 6.2.3 b): a Hong Kong resident registers with the residence permit and a
foreigner with a 2023 permanent residence ID; each logs in with it, books an appointment and downloads a sealed
certificate that prints the document type and the masked number. Every page passes axe-core on a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pypdfium2
import pytest
import requests

from gateway.security.limits import limiter
from gateway.validation import DocumentType, describe_document
from tests.browser.test_appointments import book_first_free_slot
from tests.browser_fixtures import check_page, in_browser, step_up_by_sms
from tests.identity.documents_helpers import Holder, add_holder
from tests.sandbox_server import serve_in_thread

pytestmark = pytest.mark.browser

PASSWORD = "Qinchuan#2026wx"


@pytest.fixture(scope="module")
def esign_server(esign_settings, seal_dir) -> Iterator[str]:
    from gateway import create_app

    app = create_app(esign_settings)
    with serve_in_thread(app) as url:
        yield url
    app.extensions["shebao_engine"].dispose()


def _pdf_text(path: str) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _sms_code(sandbox_url: str, phone: str) -> str:
    texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()
    return re.search(r"验证码是(\d{6})", texts["messages"][-1]["text"]).group(1)


def _scenario(page, base: str, sandbox_url: str, database_url: str, holder: Holder) -> None:
    doc_type, number = holder.documents[0]
    label = doc_type.label

    # Register: the document type first, then the number (LD/T 01 6.2.4, two steps).
    page.goto(f"{base}/account/register")
    page.get_by_label("证件类型").select_option(label=label)
    page.get_by_label("身份证号码或其他证件号码").fill(number)
    page.get_by_label("姓名").fill(holder.name)
    page.get_by_label("手机号码").fill(holder.phone)
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_label(re.compile("我已阅读并同意")).check()
    check_page(page, f"/account/register ({label})")
    page.get_by_role("button", name="下一步：验证手机").click()
    page.wait_for_url("**/account/register/code")
    page.get_by_label("短信验证码").fill(_sms_code(sandbox_url, holder.phone))
    page.get_by_role("button", name="确认").click()
    assert "注册成功" in page.content()

    # 我的: the document, masked, and the social security card number.
    page.goto(f"{base}/account/")
    name, masked = describe_document(doc_type, number)
    assert page.locator("#my-document").inner_text() == f"{name} {masked}"
    assert number not in page.content()
    assert re.fullmatch(r"Z\*{4}\d{4}", page.locator("#my-card").inner_text())
    check_page(page, "/account/")
    page.locator("#site-menu > summary").click()  # on a phone 退出 is in the header's menu
    page.get_by_role("button", name="退出").click()

    # Log in again with the same document.
    page.goto(f"{base}/account/login")
    page.get_by_label("证件类型").select_option(label=label)
    page.get_by_label("身份证号码或其他证件号码").fill(number.lower())
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    check_page(page, f"/account/login ({label})")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    # Book an appointment in three steps.
    code = book_first_free_slot(page, base, "个人社会保险登记")
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    check_page(page, "/appointments/<booking>")

    # Download a sealed certificate: it prints the document type and the masked number.
    page.goto(f"{base}/certificates/")
    # The registration's code went to this phone moments ago: the per-phone limit (1 a minute) would hold the
    # step-up's code back, as it would for a person; the test does not wait the minute out.
    limiter.reset()
    step_up_by_sms(page, sandbox_url, database_url, holder.social_security_number)
    page.wait_for_load_state()
    assert page.url.endswith("/certificates/"), (page.url, page.locator("main").inner_text()[:600])
    page.get_by_role("radio", name=re.compile("个人参保证明")).check()
    page.get_by_role("button", name="预览证明").click()
    page.wait_for_url("**/certificates/preview*")
    check_page(page, "/certificates/preview")
    assert masked in page.content() and number not in page.content()
    with page.expect_download() as info:
        page.get_by_role("button", name="下载盖章证明（PDF）").click()
    text = _pdf_text(info.value.path())
    assert f"{label}号码：{masked}" in text
    assert number not in text


def test_a_hong_kong_resident_with_a_residence_permit(esign_server, sandbox_url, esign_settings):
    holder = add_holder(esign_settings.database_url, "hk", "冯家乐")
    assert holder.documents[0][0] is DocumentType.RESIDENCE_PERMIT
    in_browser(lambda page: _scenario(page, esign_server, sandbox_url, esign_settings.database_url, holder), 30000)


def test_a_foreigner_with_a_2023_permanent_residence_id(esign_server, sandbox_url, esign_settings):
    holder = add_holder(esign_settings.database_url, "foreigner", "奥利弗·泰勒")
    doc_type, number = holder.documents[0]
    assert doc_type is DocumentType.PERMANENT_RESIDENCE and len(number) == 18 and number[0] == "9"
    in_browser(lambda page: _scenario(page, esign_server, sandbox_url, esign_settings.database_url, holder), 30000)
