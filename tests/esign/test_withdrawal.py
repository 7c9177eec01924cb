"""Certificates stay valid: downloading again never voids a copy; the holder withdraws one, with a reason."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import csrf_token, login, step_up


def _download(client: FlaskClient) -> tuple[str, int]:
    """Download a 个人参保证明 through the web flow; its anti-forgery code (as the page shows it) and record id."""
    page = client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    resp = client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    html = client.get("/certificates/").get_data(as_text=True)
    code = re.search(r'id="last-code".*?<strong class="code">([0-9A-Z-]+)</strong>', html, re.S).group(1)
    with client.session_transaction() as s:
        document_id = s["certificates.last_issued"]["id"]
    return code, document_id


def _outcome(client: FlaskClient, code: str) -> str:
    html = client.get(f"/verify/?code={code}").get_data(as_text=True)
    return re.search(r'data-outcome="([a-z_]+)"', html).group(1)


def _withdraw(client: FlaskClient, document_id: int, reason: str):
    page = client.get(f"/certificates/withdraw/{document_id}")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/certificates/withdraw/{document_id}", data={"reason": reason, "csrf_token": token})


def test_downloading_twice_leaves_both_copies_genuine(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    first, _ = _download(esign_client)
    second, _ = _download(esign_client)
    assert first != second
    assert _outcome(esign_client, first) == "genuine"
    assert _outcome(esign_client, second) == "genuine"


def test_withdrawing_one_copy_makes_only_that_one_withdrawn(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    first, first_id = _download(esign_client)
    second, _ = _download(esign_client)
    resp = _withdraw(esign_client, first_id, "证明遗失")
    assert resp.status_code == 302 and "done=withdrawn" in resp.headers["Location"]
    assert _outcome(esign_client, first) == "withdrawn"
    assert "已撤回" in esign_client.get(f"/verify/?code={first}").get_data(as_text=True)
    assert _outcome(esign_client, second) == "genuine"


def test_the_person_sees_the_certificates_issued_to_them(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    _, document_id = _download(esign_client)
    html = esign_client.get("/certificates/").get_data(as_text=True)
    assert f'data-document="{document_id}"' in html
    assert f'href="/certificates/withdraw/{document_id}"' in html


def test_withdrawal_asks_for_a_reason_and_changes_nothing_without_one(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    code, document_id = _download(esign_client)
    page = esign_client.get(f"/certificates/withdraw/{document_id}").get_data(as_text=True)
    assert "确认撤回" in page and "不能恢复" in page
    resp = _withdraw(esign_client, document_id, "   ")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "error-summary" in html and "请填写撤回原因" in html
    assert _outcome(esign_client, code) == "genuine"


def test_a_withdrawn_certificate_cannot_be_withdrawn_again(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    _, document_id = _download(esign_client)
    assert _withdraw(esign_client, document_id, "不再需要").status_code == 302
    assert esign_client.get(f"/certificates/withdraw/{document_id}").status_code == 404


def test_nobody_withdraws_another_persons_certificate(esign_client, person, accounts):
    login(esign_client, person.id_number)
    step_up(esign_client)
    code, document_id = _download(esign_client)
    other = next(a for a in accounts if a.id_number != person.id_number)
    esign_client.post("/account/logout", data={"csrf_token": csrf_token(esign_client.get("/").get_data(as_text=True))})
    login(esign_client, other.id_number)
    step_up(esign_client)
    assert esign_client.get(f"/certificates/withdraw/{document_id}").status_code == 404
    token = csrf_token(esign_client.get("/certificates/").get_data(as_text=True))
    resp = esign_client.post(f"/certificates/withdraw/{document_id}", data={"reason": "x", "csrf_token": token})
    assert resp.status_code == 404
    assert _outcome(esign_client, code) == "genuine"
