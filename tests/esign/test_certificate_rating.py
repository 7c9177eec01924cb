"""好差评 beyond applications and appointments (LD/T 01 7): a person rates a certificate download once per
certificate, from the certificates page; the rating counts in the published figures of the certificate's item."""

from __future__ import annotations

import re

from sqlalchemy import select

from gateway import clock
from gateway.public_info.models import Evaluation, EvaluationSubject, FollowUp
from tests.conftest import csrf_token, login, step_up

SCORES = {"completeness": "4", "ease": "4", "timeliness": "3"}


def _download(client) -> int:
    page = client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    resp = client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200
    ids = re.findall(r'<li data-document="(\d+)"', client.get("/certificates/").get_data(as_text=True))
    return int(ids[0])  # newest first


def _rate(client, ref, satisfaction: str):
    """Post the rating form as the page would, its CSRF token included."""
    token = csrf_token(client.get("/certificates/").get_data(as_text=True))
    data = {"csrf_token": token, "subject": "certificate", "ref": str(ref), "satisfaction": satisfaction, **SCORES}
    return client.post("/info/evaluation/rate", data=data)


def _figures(client) -> dict[str, str]:
    """The certificate item's row of this month's published figures (zeros while it has none)."""
    html = client.get("/info/evaluation").get_data(as_text=True)
    if 'data-key="cert-insurance-proof"' not in html[html.index('id="by-item"') :]:
        return {"ratings": "0", "bad": "0"}
    return _row(html, "by-item", "cert-insurance-proof")


def _row(html: str, table: str, key: str) -> dict[str, str]:
    section = html[html.index(f'id="{table}"') :]
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', section, re.S).group(1)
    return dict(re.findall(r'class="num (\w+)">([^<]*)<', row))


def test_a_downloaded_certificate_is_rated_once_and_counts_in_the_figures(esign_client, person, db):
    before = _figures(esign_client)
    login(esign_client, person.id_number)
    step_up(esign_client)
    document_id = _download(esign_client)

    page = esign_client.get("/certificates/").get_data(as_text=True)
    link = f'href="/info/evaluation/rate?subject=certificate&amp;ref={document_id}"'
    assert link in page  # offered in the list of issued certificates and right after the download
    form = esign_client.get(f"/info/evaluation/rate?subject=certificate&ref={document_id}")
    assert form.status_code == 200 and 'id="rate-form"' in form.get_data(as_text=True)
    # Named by its kind's title and its issue date (the agency's Beijing date), never by its database id.
    named = re.search(r'<p id="rated-service">([^<]*)</p>', form.get_data(as_text=True)).group(1)
    assert named == f"评价：个人参保证明（{clock.today():%Y年%m月%d日}出具）"

    resp = _rate(esign_client, document_id, "2")
    assert resp.status_code == 302 and resp.location.endswith(f"/certificates/?rated={document_id}#issued")
    page = esign_client.get("/certificates/").get_data(as_text=True)
    assert "已评价：不满意" in page and link not in page

    found = db.scalar(
        select(Evaluation).where(
            Evaluation.subject == EvaluationSubject.CERTIFICATE, Evaluation.subject_ref == str(document_id)
        )
    )
    assert found.item_id == "cert-insurance-proof" and found.channel == "web" and found.satisfaction == 2
    assert db.scalar(select(FollowUp).where(FollowUp.evaluation_id == found.id)) is not None  # a 差评: followed up

    again = _rate(esign_client, document_id, "5")  # once per certificate
    assert again.status_code == 409 and "只能评价一次" in again.get_data(as_text=True)
    # The form page sends a certificate already rated back to the list.
    assert esign_client.get(f"/info/evaluation/rate?subject=certificate&ref={document_id}").status_code == 302

    after = _figures(esign_client)
    assert int(after["ratings"]) == int(before["ratings"]) + 1
    assert int(after["bad"]) == int(before["bad"]) + 1


def test_someone_elses_or_a_made_up_certificate_cannot_be_rated(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    page = esign_client.get("/certificates/").get_data(as_text=True)
    for ref in ("999999", "abc"):
        assert esign_client.get(f"/info/evaluation/rate?subject=certificate&ref={ref}").status_code == 404
        data = {"csrf_token": csrf_token(page), "subject": "certificate", "ref": ref, "satisfaction": "5", **SCORES}
        assert esign_client.post("/info/evaluation/rate", data=data).status_code == 404


def test_a_certificate_is_rated_through_the_api_too(esign_client, person):
    """The same use case on the other channels' API: subject ``certificate``, ref the certificate's id."""
    login(esign_client, person.id_number)
    step_up(esign_client)
    document_id = _download(esign_client)
    token = csrf_token(esign_client.get("/certificates/").get_data(as_text=True))
    body = {"subject": "certificate", "ref": str(document_id), "completeness": 5, "ease": 5, "timeliness": 5}
    resp = esign_client.post(
        "/api/v1/info/evaluations", json={**body, "satisfaction": 5}, headers={"X-CSRFToken": token}
    )
    assert resp.status_code == 201 and resp.get_json()["follow_up_due"] is None
    made_up = esign_client.post(
        "/api/v1/info/evaluations", json={**body, "ref": "x1", "satisfaction": 5}, headers={"X-CSRFToken": token}
    )
    assert made_up.status_code == 404 and made_up.get_json()["error"]["message"]
