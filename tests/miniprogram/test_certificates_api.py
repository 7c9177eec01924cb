"""``/api/v1/certificates`` as the mini-program calls it (bearer token): the list of documents a person can
get, and the sealed PDF, which the public verification then recognises (LD/T 01 5.4.2.4)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gateway.identity.models import EventKind, IdentityEvent
from gateway.identity.service import find_person

PDF = "/api/v1/certificates/person_proof/pdf"


def _verify(client, pdf: bytes) -> dict:
    resp = client.post("/api/v1/verify/pdf", data=pdf, content_type="application/pdf")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_login_at_level_2_on_this_channel_is_required(client, bearer, person):
    for path in ("/api/v1/certificates", PDF):
        anonymous = client.get(path)
        assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "login_required"
    weak = client.get("/api/v1/certificates", headers=bearer(person.id_number, person.name, level=1))
    assert weak.status_code == 403 and weak.get_json()["error"]["code"] == "step_up_required"
    assert "安全级别" in weak.get_json()["error"]["message"]
    # A mini-program token on another channel (the web: a kiosk offers no downloads at all, it prints).
    web = {**bearer(person.id_number, person.name), "X-Shebao-Channel": "web"}
    assert client.get(PDF, headers=web).get_json()["error"]["code"] == "wrong_channel"
    kiosk = {**bearer(person.id_number, person.name), "X-Shebao-Channel": "kiosk"}
    assert client.get(PDF, headers=kiosk).get_json()["error"]["code"] == "channel_forbidden"
    forged = client.get(PDF, headers={"Authorization": "Bearer not-a-token", "X-Shebao-Channel": "miniprogram"})
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "invalid_access_token"


def test_lists_the_documents_a_person_can_get(client, bearer, person, app):
    resp = client.get("/api/v1/certificates", headers=bearer(person.id_number, person.name))
    assert resp.status_code == 200
    docs = {d["kind"]: d for d in resp.get_json()["documents"]}
    assert list(docs) == ["person_proof", "contribution_record", "benefit_payments"]
    proof, record = docs["person_proof"], docs["contribution_record"]
    assert proof["label"] == "个人参保证明" and proof["item"]["id"] == "cert-insurance-proof"
    assert proof["available"] is True and proof["needs_period"] is False and proof["default_period"] is None
    assert record["available"] is True and record["needs_period"] is True
    last_year = date.today().year - 1
    assert record["default_period"] == {"start": f"{last_year}-01", "end": f"{last_year}-12"}
    assert record["download_url"] == "/api/v1/certificates/contribution_record/pdf"
    # What the back office does not have is said, not offered as a dead end.
    benefits = docs["benefit_payments"]
    has_benefits = app.extensions["shebao_backoffice"].benefit_payments(person.id_number, 1, 1).total > 0
    assert benefits["available"] is has_benefits
    assert (benefits["unavailable_reason"] is None) is has_benefits
    assert person.id_number not in resp.get_data(as_text=True)


def test_downloads_a_sealed_pdf_that_the_public_check_recognises(client, bearer, person, db, app):
    resp = client.get(PDF, headers=bearer(person.id_number, person.name))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf" and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="person_proof-')
    assert resp.data.startswith(b"%PDF-") and b"/ByteRange" in resp.data
    checked = _verify(client, resp.data)
    assert checked["seal"] == "sealed" and checked["result"] == "genuine", checked
    # LD/T 01 6.3.2: the download is in the person's operation trail, attributed to the mini-program.
    who = find_person(db, app.extensions["shebao_vault"], person.id_number)
    events = db.scalars(
        select(IdentityEvent).where(IdentityEvent.person_id == who.id, IdentityEvent.kind == EventKind.OPERATION)
    ).all()
    assert any(e.detail == "下载个人参保证明" and e.channel == "miniprogram" for e in events)


def test_a_newer_download_leaves_the_older_one_genuine(client, bearer, accounts):
    who = accounts[1]
    headers = bearer(who.id_number, who.name)
    first = client.get(PDF, headers=headers)
    second = client.get(PDF, headers=headers)
    assert first.status_code == second.status_code == 200
    # A copy already handed to a bank stays valid (issue 15): only expiry or a withdrawal ends it.
    assert _verify(client, first.data)["result"] == "genuine"
    assert _verify(client, second.data)["result"] == "genuine"


def test_a_period_document_and_bad_choices(client, bearer, person, app):
    headers = bearer(person.id_number, person.name)
    last = app.extensions["shebao_backoffice"].contributions(person.id_number, 1, 1).items[0].period
    start, end = f"{last // 100}-01", f"{last // 100}-{last % 100:02d}"
    ok = client.get(f"/api/v1/certificates/contribution_record/pdf?start={start}&end={end}", headers=headers)
    assert ok.status_code == 200 and ok.data.startswith(b"%PDF-")
    for query, message in (
        (f"start={end}&end={start}-01", "年-月"),
        ("start=2024-05&end=2024-01", "起始月份不能晚于截止月份"),
        ("end=2024-01", "年-月"),
        ("start=1980-01&end=2024-01", "年-月"),
    ):
        resp = client.get(f"/api/v1/certificates/contribution_record/pdf?{query}", headers=headers)
        body = resp.get_json()
        assert resp.status_code == 400 and body["error"]["code"] == "bad_period", (query, body)
        assert message in body["error"]["message"], (query, body)
    unknown = client.get("/api/v1/certificates/unit_proof/pdf", headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "unknown_document"
    assert "证明列表" in unknown.get_json()["error"]["message"]


def test_no_records_in_the_period_is_a_clear_refusal(client, bearer, person):
    resp = client.get(
        "/api/v1/certificates/benefit_payments/pdf?start=1995-01&end=1995-12",
        headers=bearer(person.id_number, person.name),
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "no_records"
    assert "没有待遇发放记录" in resp.get_json()["error"]["message"]


def test_openapi_documents_the_certificate_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/certificates", "/api/v1/certificates/{kind}/pdf"} <= set(doc["paths"])
    pdf = doc["paths"]["/api/v1/certificates/{kind}/pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert pdf["security"] == [{"bearer": []}]
    assert "CertificateOffer" in doc["components"]["schemas"]


def test_the_level_asked_is_the_one_the_catalogue_declares():
    from gateway.api.certificates import LEVEL, OFFERS
    from gateway.catalog import load_catalog

    # DESIGN "Identity": every service item declares the level it needs; the API must not ask less.
    assert {int(load_catalog().get(o.item_id).assurance_level) for o in OFFERS} == {LEVEL}
