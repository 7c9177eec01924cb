"""In a real browser: download a proof of insurance, read its code from the PDF text, check it on /verify/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pypdfium2
import pytest
from playwright.sync_api import expect

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.identity.service import set_password
from gateway.validation import mask_id_number, mask_name
from tests.browser_fixtures import check_page, in_browser, step_up_by_sms
from tests.esign.test_receipts import at_stage
from tests.sandbox_server import serve_in_thread

pytestmark = pytest.mark.browser

CODE = re.compile(r"防伪码[：:]\s*([0-9A-Z]{6}-[0-9A-Z]{6}-[0-9A-Z]{6})")


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


def test_download_read_the_code_and_verify_it(esign_server, person, sandbox_url, esign_settings):
    in_browser(lambda page: _scenario(page, esign_server, person, sandbox_url, esign_settings.database_url))


def _scenario(phone, esign_server, person, sandbox_url: str, database_url: str) -> None:
    phone.goto(f"{esign_server}/account/login?next=/certificates/")
    phone.get_by_label("身份证号码").fill(person.id_number)
    phone.get_by_label("密码").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    step_up_by_sms(phone, sandbox_url, database_url, person.id_number)  # certificates need level 2
    phone.wait_for_url("**/certificates/")
    check_page(phone, "/certificates/")

    # Step 1: choose; step 2: preview; step 3: download.
    phone.get_by_role("radio", name=re.compile("个人参保证明")).check()
    phone.get_by_role("button", name="预览证明").click()
    phone.wait_for_url("**/certificates/preview*")
    check_page(phone, "/certificates/preview")
    with phone.expect_download() as info:
        phone.get_by_role("button", name="下载盖章证明（PDF）").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    text = _pdf_text(download.path())
    assert "个人参保证明" in text
    code = CODE.search(text).group(1)

    phone.goto(f"{esign_server}/verify/")
    check_page(phone, "/verify/")
    phone.get_by_label("防伪码").fill(code.lower().replace("-", " "))
    phone.get_by_role("button", name="查询").click()
    outcome = phone.locator("#verify-outcome")
    assert outcome.get_attribute("data-outcome") == "genuine"
    assert "真实有效" in outcome.inner_text()
    holder = phone.locator("#verify-holder").inner_text()
    assert holder == f"{mask_name(person.name)}（{mask_id_number(person.id_number)}）"
    check_page(phone, "/verify/?code=…")

    # The same file uploaded: sealed, unchanged, registered.
    phone.goto(f"{esign_server}/verify/")
    phone.get_by_label("PDF 证明文件").set_input_files(download.path())
    phone.get_by_role("button", name="上传核验").click()
    assert phone.locator("#pdf-verdict").get_attribute("data-verdict") == "sealed"
    check_page(phone, "/verify/pdf")

    # Back on the certificates page: the code of the download, and the list to withdraw one from.
    phone.goto(f"{esign_server}/certificates/")
    expect(phone.locator("#last-code")).to_contain_text(code, use_inner_text=True)
    check_page(phone, "/certificates/ after a download")
    phone.locator("#issued-list li").first.get_by_role("link", name=re.compile("撤回")).click()
    check_page(phone, "/certificates/withdraw/<id>")
    phone.get_by_label("撤回原因").fill("证明遗失")
    phone.get_by_role("button", name="确认撤回").click()
    expect(phone.locator("#done")).to_contain_text("已撤回该份证明", use_inner_text=True)
    phone.goto(f"{esign_server}/verify/?code={code}")
    assert phone.locator("#verify-outcome").get_attribute("data-outcome") == "withdrawn"


def test_receipts_on_the_progress_page(esign_server, db, vault, backoffice, applicant, sandbox_url, esign_settings):
    """The applicant's progress page offers the sealed notices once their stage has come; the page stays
    accessible and fits a 360 px phone with the new links."""
    person, id_number, _ = applicant
    set_password(db, vault, person, DEMO_PASSWORD)
    db.commit()
    app = at_stage(db, backoffice, applicant, "approved")
    url = esign_settings.database_url
    in_browser(lambda page: _receipts_scenario(page, esign_server, id_number, app.number, sandbox_url, url))


def _receipts_scenario(phone, esign_server, id_number: str, number: str, sandbox_url: str, database_url: str) -> None:
    phone.goto(f"{esign_server}/account/login?next=/progress/{number}")
    phone.get_by_label("身份证号码").fill(id_number)
    phone.get_by_label("密码").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="登录").click()
    step_up_by_sms(phone, sandbox_url, database_url, id_number)  # progress needs level 2
    phone.wait_for_url(f"**/progress/{number}")
    check_page(phone, "/progress/<number> with receipts")
    for label in ("受理通知单", "结果告知单"):
        with phone.expect_download() as info:
            phone.get_by_role("link", name=f"下载{label}（PDF）").click()
        text = _pdf_text(info.value.path())
        assert label in text and number in "".join(text.split())
        assert CODE.search(text)
