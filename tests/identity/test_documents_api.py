"""The mini-program's real-name binding takes any identity document of LD/T 01 6.2.3 b (issue 20): a document
type field that defaults to the resident ID (old clients keep working), each type's own refusal in the API's
error shape, and one person whichever document is named."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.clients import get_backoffice
from gateway.identity.binding import claim_person, claimed_id_number
from gateway.identity.documents import Document, find_person_by_document, person_document, resolve_person
from gateway.identity.service import AGREEMENT_VERSION
from tests.conftest import committing
from tests.identity.conftest import last_code
from tests.identity.documents_helpers import add_holder
from tests.identity.test_miniprogram import bind_new_openid, mint_code


def _ticket(client, sandbox_url) -> str:
    code, _ = mint_code(sandbox_url)
    return client.post("/api/v1/auth/wechat/login", json={"code": code}).get_json()["binding_ticket"]


def _bind(client, sandbox_url, sms_inbox, holder, **document) -> dict:
    ticket = _ticket(client, sandbox_url)
    sent = client.post("/api/v1/auth/wechat/bind/sms", json={"binding_ticket": ticket, "name": holder.name, **document})
    assert sent.status_code == 202, sent.get_json()
    done = client.post(
        "/api/v1/auth/wechat/bind/confirm",
        json={
            "binding_ticket": ticket,
            "code": last_code(sms_inbox(holder.phone)),
            "agreement_version": AGREEMENT_VERSION,
        },
    )
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def test_a_hong_kong_resident_binds_with_the_residence_permit(client, app, sandbox_url, database_url, sms_inbox):
    holder = add_holder(database_url, "hk", "郭志伟")
    ((_, permit),) = holder.documents
    tokens = _bind(client, sandbox_url, sms_inbox, holder, doc_type="hmt_permit", id_number=permit)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}", "X-Shebao-Channel": "miniprogram"}
    me = client.get("/api/v1/auth/me", headers=bearer).get_json()
    assert "*" in me["id_number"] and permit not in str(me)
    with app.extensions["shebao_engine"].connect() as conn:
        assert conn.execute(sa.text("SELECT doc_type FROM person ORDER BY id DESC LIMIT 1")).scalar() == "hmt_permit"


def test_a_foreigners_passport_binds_to_the_same_person_as_the_permanent_residence_id(
    client, app, sandbox_url, database_url, sms_inbox
):
    holder = add_holder(database_url, "foreigner", "露西·布朗")
    (pr_type, pr_number), (passport_type, passport) = holder.documents
    country, number = passport.split(":")
    _bind(client, sandbox_url, sms_inbox, holder, doc_type="passport", country=country.lower(), id_number=number)
    vault = app.extensions["shebao_vault"]
    with committing(app) as db:
        # A new person is shown by the document they typed (the passport), not the back office's first one; the
        # permanent residence ID finds the same person through the back office's link (one person, one record).
        by_passport = find_person_by_document(db, vault, Document(passport_type, passport))
        assert by_passport is not None and by_passport.doc_type is passport_type
        by_id = resolve_person(db, vault, get_backoffice(), Document(pr_type, pr_number))
        assert by_id is not None and by_id.id == by_passport.id
        assert person_document(db, vault, by_id, holder.social_security_number) == Document(passport_type, passport)
        # A second binding claim with the permanent residence ID aims at that same person.
        ticket = _ticket(client, sandbox_url)
        phone = claim_person(db, vault, get_backoffice(), ticket, pr_number, holder.name, doc_type=pr_type.value)
        assert phone == holder.phone
        assert claimed_id_number(db, vault, ticket) == holder.social_security_number


def test_each_type_is_refused_in_the_error_shape(client, sandbox_url):
    cases = [
        (
            {"doc_type": "hmt_permit", "id_number": "610302198805120210"},
            "invalid_id_number",
            "地区代码不是港澳台居住证",
        ),
        ({"doc_type": "foreign_pr", "id_number": "610302198805120210"}, "invalid_id_number", "以9开头"),
        ({"doc_type": "passport", "id_number": "E1234567"}, "invalid_id_number", "请选择护照签发国家"),
        ({"doc_type": "driving", "id_number": "E1234567"}, "invalid_document_type", "请选择证件类型"),
    ]
    for document, code, message in cases:
        resp = client.post(
            "/api/v1/auth/wechat/bind/sms",
            json={"binding_ticket": _ticket(client, sandbox_url), "name": "某人", **document},
        )
        error = resp.get_json()["error"]
        assert resp.status_code == 400 and error["code"] == code and message in error["message"], document


def test_old_clients_without_a_document_type_still_bind_a_resident_id(client, sandbox_url, insured, sms_inbox):
    _openid, tokens = bind_new_openid(client, sandbox_url, insured, sms_inbox)
    assert tokens["assurance_level"] == 2


def test_the_openapi_document_describes_the_document_type(client):
    schema = client.get("/api/v1/openapi.json").get_json()
    bind = schema["components"]["schemas"]["BindSms"]["properties"]
    assert bind["doc_type"]["enum"] == ["resident_id", "hmt_permit", "foreign_pr", "passport"]
    assert "country" in bind and "doc_type" not in schema["components"]["schemas"]["BindSms"].get("required", [])
