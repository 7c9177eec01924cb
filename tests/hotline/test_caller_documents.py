"""The 12333 caller check with any identity document (LD/T 01 6.2.3 b, issue 20): a foreigner reads out a
passport, the agent picks the type and country, and the delegation is for the one person behind it."""

from __future__ import annotations

from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
from gateway.clients import get_backoffice
from gateway.staff.models import AuditAction
from tests.hotline.helpers import audit_rows, caller_code, post_form


def test_an_agent_verifies_a_caller_by_passport(client, app, agent, sms_inbox, db):
    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == "foreigner2017")
    country, number = holder.documents[1][1].split(":")
    with app.app_context():
        phone = get_backoffice().find_person(holder.social_security_number).phone
    sent = post_form(
        client,
        "/hotline/callers/",
        {"doc_type": "passport", "country": country, "id_number": number, "name": holder.name},
    )
    assert sent.status_code == 302 and sent.headers["Location"] == "/hotline/callers/code", sent.text
    done = post_form(client, "/hotline/callers/code", {"code": caller_code(sms_inbox(phone))})
    assert done.status_code == 302 and done.headers["Location"] == "/hotline/callers/caller", done.text
    overview = client.get("/hotline/callers/caller").text
    assert "安娜·施密特"[0] in overview and number not in overview
    entries = [e for e in audit_rows(db, agent.id) if e.action is AuditAction.PERSON_SEARCHED]
    assert any("护照" in e.detail for e in entries) and all(number not in e.detail for e in entries)


def test_a_wrong_type_is_named_and_nothing_is_sent(client, agent, sms_inbox):
    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == "hongkong")
    refused = post_form(
        client, "/hotline/callers/", {"doc_type": "resident_id", "id_number": holder.doc_number, "name": holder.name}
    )
    assert refused.status_code == 400 and "这是港澳台居民居住证号码" in refused.text
