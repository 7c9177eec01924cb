"""Certificates speak for a date (issue 15): verification names the date of the record a certificate reflects and,
when the holder's record has changed since, says so while still answering genuine; the person withdraws one of
their own through the API, with a reason."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import csrf_token, login, step_up
from tests.esign.conftest import pyhanko_validate
from tests.esign.test_withdrawal import _download

AS_OF = re.compile(r"本证明反映截至 \d{4}年\d{1,2}月\d{1,2}日 的记录")


def _verify_page(client: FlaskClient, code: str) -> str:
    return client.get(f"/verify/?code={code}").get_data(as_text=True)


def test_verification_names_the_date_and_says_when_the_record_has_changed(esign_client, esign_app, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    code, _ = _download(esign_client)
    page = _verify_page(esign_client, code)
    assert 'data-outcome="genuine"' in page and AS_OF.search(page)
    assert 'id="verify-record-changed"' not in page
    answer = esign_client.get(f"/api/v1/verify?code={code}").get_json()
    assert AS_OF.fullmatch(answer["document"]["as_of_text"]) and answer["document"]["record_changed"] is False
    backoffice = esign_app.extensions["shebao_backoffice"]
    with esign_app.app_context():
        old = backoffice.find_person(person.id_number).phone
        backoffice.update_phone(person.id_number, "13700001111")
    try:
        page = _verify_page(esign_client, code)
        assert 'data-outcome="genuine"' in page  # still genuine: it was true on its date
        changed = re.search(r'id="verify-record-changed"><strong>([^<]+)<', page).group(1)
        assert "出具之后，持证人的参保记录已有变化" in changed and "重新打印" in changed
        answer = esign_client.get(f"/api/v1/verify?code={code}").get_json()
        assert answer["result"] == "genuine" and answer["document"]["record_changed"] is True
        assert "已有变化" in answer["document"]["record_changed_text"]
    finally:
        with esign_app.app_context():
            backoffice.update_phone(person.id_number, old)
    assert esign_client.get(f"/api/v1/verify?code={code}").get_json()["document"]["record_changed"] is False


def test_the_person_lists_and_withdraws_a_certificate_through_the_api(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    first, first_id = _download(esign_client)
    second, _ = _download(esign_client)
    token = {"X-CSRFToken": csrf_token(esign_client.get("/certificates/").get_data(as_text=True))}
    listed = esign_client.get("/api/v1/certificates/issued").get_json()["certificates"]
    mine = next(c for c in listed if c["id"] == first_id)
    assert mine["status"] == "valid" and mine["withdrawable"] is True and mine["label"] == "个人参保证明"
    path = f"/api/v1/certificates/issued/{first_id}/withdraw"
    missing = esign_client.post(path, json={"reason": "  "}, headers=token)
    assert missing.status_code == 400 and "请填写撤回原因" in missing.get_json()["error"]["message"]
    too_long = esign_client.post(path, json={"reason": "丢" * 201}, headers=token)
    assert too_long.status_code == 400 and "200" in too_long.get_json()["error"]["message"]
    done = esign_client.post(path, json={"reason": "证明遗失"}, headers=token)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "withdrawn" and done.get_json()["withdrawable"] is False
    again = esign_client.post(path, json={"reason": "证明遗失"}, headers=token)
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_withdrawable"
    assert esign_client.get(f"/api/v1/verify?code={first}").get_json()["result"] == "withdrawn"
    assert esign_client.get(f"/api/v1/verify?code={second}").get_json()["result"] == "genuine"
    assert (
        esign_client.post(
            "/api/v1/certificates/issued/999999999/withdraw", json={"reason": "x"}, headers=token
        ).status_code
        == 404
    )


def test_the_certificate_prints_the_date_verification_names_and_its_seal_still_validates(
    esign_client, person, tmp_path, request
):
    """The PDF says "本证明反映截至…的记录" in the words and with the date verification gives, and the page with
    the added line is still sealed whole: qpdf's structure check, poppler's pdfsig and pyHanko all accept it."""
    import shutil
    import subprocess

    from tests.seen_words import pdf_words

    login(esign_client, person.id_number)
    step_up(esign_client)
    page = esign_client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    resp = esign_client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    sealed = resp.data
    printed = AS_OF.search(re.sub(r"\s+", " ", pdf_words(sealed)))
    assert printed, pdf_words(sealed)
    html = esign_client.get("/certificates/").get_data(as_text=True)
    code = re.search(r'id="last-code".*?<strong class="code">([0-9A-Z-]+)</strong>', html, re.S).group(1)
    answer = esign_client.get(f"/api/v1/verify?code={code}").get_json()
    assert answer["document"]["as_of_text"] == printed.group(0)  # one date, one wording

    path = tmp_path / "certificate.pdf"
    path.write_bytes(sealed)
    qpdf = subprocess.run([shutil.which("qpdf") or "qpdf", "--check", str(path)], capture_output=True, text=True)
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    pdfsig = subprocess.run([shutil.which("pdfsig") or "pdfsig", str(path)], capture_output=True, text=True)
    assert "Signature is Valid" in pdfsig.stdout and "Total document signed" in pdfsig.stdout, pdfsig.stdout
    pyhanko_validate(sealed, request.getfixturevalue("root_pems"), tmp_path)
