"""/verify/ and /api/v1/verify: codes and uploaded PDFs, tampering, expiry, revocation, rate limits."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfWriter

from esign import codes, documents, pki
from esign.codes import DocumentKind
from esign.render import Issue, render
from esign.signer import PyHankoSealer, SealPlacement, http_timestamper
from esign.stamp import seal_png
from tests.esign.conftest import VERIFY_URL


@pytest.fixture(scope="module")
def proof(service, sessions, backoffice, accounts):
    with sessions.begin() as db:
        return service.issue(db, documents.person_proof(backoffice, accounts[0].id_number), VERIFY_URL)


def _upload(client, data: bytes, api: bool = False):
    url = "/api/v1/verify/pdf" if api else "/verify/pdf"
    return client.post(url, data={"pdf": (io.BytesIO(data), "doc.pdf")}, content_type="multipart/form-data")


def _verdict(resp) -> str:
    return re.search(r'data-verdict="([a-z]+)"', resp.get_data(as_text=True)).group(1)


def test_genuine_code_shows_the_document(esign_client, proof, accounts):
    resp = esign_client.get(f"/verify/?code={codes.display(proof.code)}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-outcome="genuine"' in html and "真实有效" in html
    assert "个人参保证明" in html and "示例市社会保险事业管理中心" in html
    assert "累计缴费月数" in html
    assert proof.record.fingerprint[:16] in html
    # Masked holder only: never the whole ID number or name.
    assert accounts[0].id_number not in html and accounts[0].name not in html
    assert accounts[0].id_number[-4:] in html


def test_not_found_and_wrong_check_symbol_answer_identically(esign_client, proof):
    body = proof.code[:-1]
    wrong = next(c for c in codes.ALPHABET if c != proof.code[-1])
    unknown = codes.new_code(DocumentKind.PERSON_PROOF)
    a = esign_client.get(f"/verify/?code={body + wrong}")
    b = esign_client.get(f"/verify/?code={unknown}")
    assert a.status_code == b.status_code == 404

    def strip(resp, code):
        return resp.get_data(as_text=True).replace(code, "CODE")

    assert strip(a, body + wrong) == strip(b, unknown)
    ja = esign_client.get(f"/api/v1/verify?code={body + wrong}")
    jb = esign_client.get(f"/api/v1/verify?code={unknown}")
    assert ja.status_code == jb.status_code == 404 and ja.json == jb.json == {
        "result": "not_found",
        "message": "未查到该防伪码",
    }


def test_malformed_code_is_a_400_with_a_chinese_message(esign_client):
    resp = esign_client.get("/verify/?code=12345")
    assert resp.status_code == 400 and "18 位" in resp.get_data(as_text=True)
    api = esign_client.get("/api/v1/verify?code=abc")
    assert api.status_code == 400 and api.json["error"]["code"] == "bad_code"
    assert esign_client.get("/api/v1/verify").status_code == 400


def test_api_lookup_json(esign_client, proof):
    resp = esign_client.get(f"/api/v1/verify?code={proof.code.lower()}")
    assert resp.status_code == 200
    assert resp.json["result"] == "genuine"
    doc = resp.json["document"]
    assert doc["type"] == "person_proof" and doc["fingerprint"] == proof.record.fingerprint
    assert "*" in doc["holder"]


def test_expired_code(service, sessions, backoffice, accounts, esign_client):
    long_ago = date.today() - timedelta(days=service.config.valid_days + 5)
    with sessions.begin() as db:
        old = service.issue(db, documents.unit_proof(backoffice, _credit_code(db)), VERIFY_URL, today=long_ago)
    resp = esign_client.get(f"/verify/?code={old.code}")
    assert resp.status_code == 200 and 'data-outcome="expired"' in resp.get_data(as_text=True)
    assert esign_client.get(f"/api/v1/verify?code={old.code}").json["result"] == "expired"


def test_an_agency_revocation_answers_revoked(service, sessions, backoffice, accounts, esign_client):
    unemployed = next(a for a in accounts if a.key == "unemployed").id_number
    with sessions.begin() as db:
        first = service.issue(db, documents.person_proof(backoffice, unemployed), VERIFY_URL)
        second = service.issue(db, documents.person_proof(backoffice, unemployed), VERIFY_URL)
        assert service.revoke(db, first.code)
    assert 'data-outcome="revoked"' in esign_client.get(f"/verify/?code={first.code}").get_data(as_text=True)
    assert 'data-outcome="genuine"' in esign_client.get(f"/verify/?code={second.code}").get_data(as_text=True)
    # The revoked PDF still carries a sound seal: the upload says so and then reports the revocation.
    html = _upload(esign_client, first.pdf).get_data(as_text=True)
    assert 'data-verdict="sealed"' in html and 'data-outcome="revoked"' in html


def test_genuine_upload(esign_client, proof):
    resp = _upload(esign_client, proof.pdf)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and _verdict(resp) == "sealed"
    assert 'data-outcome="genuine"' in html
    api = _upload(esign_client, proof.pdf, api=True).json
    assert api["seal"] == "sealed" and api["result"] == "genuine" and api["timestamp_trusted"]
    assert api["document"]["fingerprint"] == proof.record.fingerprint


def test_one_changed_byte_in_the_data_table_breaks_the_seal(esign_client, proof):
    pdf = bytearray(proof.pdf)
    # The page's content stream (the data table is drawn there) is the first stream of the file.
    start = pdf.index(b"stream\n") + len(b"stream\n")
    pdf[start + 200] ^= 0x01
    resp = _upload(esign_client, bytes(pdf))
    assert _verdict(resp) == "broken"
    assert "篡改" in resp.get_data(as_text=True)
    assert _upload(esign_client, bytes(pdf), api=True).json["result"] is None


def test_an_extra_page_saved_after_sealing_is_reported_as_modified(esign_client, proof):
    writer = PdfWriter(io.BytesIO(proof.pdf), incremental=True)
    writer.add_blank_page()
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(proof.pdf)  # an incremental update: the sealed bytes are untouched
    resp = _upload(esign_client, out.getvalue())
    assert _verdict(resp) == "modified"
    assert "盖章后被修改" in resp.get_data(as_text=True)


def test_a_pdf_sealed_by_another_key_is_untrusted(esign_client, service, backoffice, accounts, esign_settings):
    now = datetime.now(UTC)
    ca_key, ca_cert = pki.make_ca("冒充的社会保险中心", now)
    key, cert = pki.make_seal_cert(ca_key, ca_cert, "冒充的社会保险中心", now)
    from cryptography.hazmat.primitives import serialization

    material = pki.SealMaterial(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert,
        (),
        (ca_cert,),
    )
    forger = PyHankoSealer(
        material,
        seal_png(esign_settings.agency_name, service.font),
        http_timestamper(service.config.tsa_url),
        esign_settings.agency_name,
    )
    doc = documents.person_proof(backoffice, accounts[0].id_number)
    code = codes.new_code(doc.kind)
    issue = Issue(esign_settings.agency_name, code, date.today(), date.today(), VERIFY_URL)
    rendered = render(doc, issue, service.font)
    forged = forger.seal(rendered.pdf, SealPlacement(rendered.seal_page, rendered.seal_box))
    resp = _upload(esign_client, forged)
    assert _verdict(resp) == "untrusted"
    assert "不是本机构的电子印章" in resp.get_data(as_text=True)
    # …and its code was never issued.
    assert esign_client.get(f"/verify/?code={code}").status_code == 404


def test_unsealed_and_unreadable_uploads(esign_client):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    plain = io.BytesIO()
    writer.write(plain)
    assert _verdict(_upload(esign_client, plain.getvalue())) == "unsealed"
    assert _verdict(_upload(esign_client, b"not a pdf at all")) == "unreadable"
    resp = esign_client.post("/verify/pdf", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择" in resp.get_data(as_text=True)


def test_a_burst_of_wrong_codes_is_slowed_down_for_that_address_only(esign_client, proof):
    statuses = [
        esign_client.get(
            f"/verify/?code={codes.new_code(DocumentKind.PERSON_PROOF)}", environ_base={"REMOTE_ADDR": "10.0.0.9"}
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [404] * 10 and statuses[-1] == 429
    # Another address is not affected.
    other = esign_client.get(f"/verify/?code={proof.code}", environ_base={"REMOTE_ADDR": "10.0.0.10"})
    assert other.status_code == 200
    # Opening the empty form is never limited.
    assert esign_client.get("/verify/", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_openapi_lists_the_verify_endpoints(esign_client):
    paths = esign_client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/verify" in paths and "/api/v1/verify/pdf" in paths


def _credit_code(db) -> str:
    import sqlalchemy as sa

    from gateway.backoffice.models import BoUnit

    return db.scalar(sa.select(BoUnit.credit_code).order_by(BoUnit.id.desc()).limit(1))
