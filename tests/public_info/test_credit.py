"""The list of serious dishonesty (LD/T 01 5.6.3; GB/T 31621 19; Regulation Art. 45): listing on a legal
document, publication as the rules allow, repair on application, removal at once, all audited."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.public_info import credit
from gateway.public_info.models import CreditEntry, CreditParty, CreditRemoval, CreditStatus
from gateway.staff.models import AuditEntry, StaffRole
from gateway.validation import make_credit_code
from tests.conftest import csrf_token, staff_login

PAGE = "/hotline/info/credit"
_serial = itertools.count(100)


def unit_code() -> str:
    return make_credit_code(f"91610302{next(_serial):09d}")


def listing(**fields) -> credit.ListingInput:
    values = {
        "party": "unit",
        "name": "示例市某某贸易有限公司",
        "code": unit_code(),
        "behaviour": "以伪造证明材料骗取社会保险基金支出",
        "legal_basis": "《社会保险经办条例》第五十五条",
        "document_number": "示人社罚〔2026〕8号",
        "document_date": "2026-10-15",
        "publish_until": (clock.today() + timedelta(days=365)).isoformat(),
        **fields,
    }
    return credit.ListingInput(**values)


def test_the_legal_document_number_and_date_are_required():
    problems, _checked = credit.check(listing(document_number="", document_date=""), date(2026, 12, 4))
    assert {field for field, _m in problems} == {"document_number", "document_date"}


def test_a_publication_period_must_end_in_the_future():
    problems, _checked = credit.check(listing(publish_until="2026-12-01"), date(2026, 12, 4))
    assert [field for field, _m in problems] == ["publish_until"]


def test_a_unit_is_named_by_a_valid_credit_code():
    problems, _checked = credit.check(listing(code="91610302000000000X"), date(2026, 12, 4))
    assert [field for field, _m in problems] == ["code"]


@pytest.fixture
def staff_client(app, make_staff, database_url):
    client = app.test_client()
    made = make_staff(StaffRole.SUPERVISOR, name="信用管理")
    assert staff_login(client, database_url, made).status_code == 302
    client.staff_id = made.id
    return client


def list_on_console(staff_client, value: credit.ListingInput):
    data = {**value.__dict__, "csrf_token": csrf_token(staff_client.get(PAGE).get_data(as_text=True))}
    return staff_client.post(PAGE, data=data)


def test_a_listed_unit_is_published_with_its_code_and_legal_basis(client, staff_client):
    value = listing()
    assert list_on_console(staff_client, value).status_code == 302
    html = client.get("/info/credit").get_data(as_text=True)
    assert value.name in html and value.code in html and value.document_number in html
    assert 'href="/info/regulation#art-55"' in html


def test_a_listed_persons_id_number_is_masked(client, staff_client, person):
    value = listing(party="person", name="某某", code=person.id_number)
    assert list_on_console(staff_client, value).status_code == 302
    html = client.get("/info/credit").get_data(as_text=True)
    assert person.id_number not in html and person.id_number[-4:] in html


def test_listing_is_audited(staff_client, db):
    value = listing()
    list_on_console(staff_client, value)
    details = db.scalars(select(AuditEntry.detail).where(AuditEntry.staff_id == staff_client.staff_id)).all()
    assert any(value.document_number in d and "列入" in d for d in details)


def test_every_problem_with_a_listing_is_summarised_at_once(staff_client):
    resp = list_on_console(staff_client, listing(name="", document_number="", publish_until=""))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for field in ("name", "document_number", "publish_until"):
        assert f'href="#{field}"' in html


def test_a_listed_person_applies_for_repair_and_a_grant_removes_the_entry_at_once(
    client, staff_client, logged_in, person, db
):
    value = listing(party="person", name="某某", code=person.id_number, document_number="示人社罚〔2026〕77号")
    list_on_console(staff_client, value)
    page = client.get("/info/credit").get_data(as_text=True)
    assert 'id="mine"' in page
    entry = db.scalar(select(CreditEntry).where(CreditEntry.document_number == value.document_number))
    resp = client.post(
        f"/info/credit/{entry.id}/repair", data={"csrf_token": csrf_token(page), "statement": "已全额退回并缴纳罚款。"}
    )
    assert resp.status_code == 302
    console = staff_client.get(PAGE).get_data(as_text=True)
    assert "已全额退回并缴纳罚款" in console
    repair_id = credit.repairs_of(db, [entry.id])[entry.id].id
    decided = staff_client.post(
        f"{PAGE}/repairs/{repair_id}", data={"csrf_token": csrf_token(console), "decision": "grant", "note": ""}
    )
    assert decided.status_code == 302
    assert value.document_number not in client.get("/info/credit").get_data(as_text=True)
    db.expire_all()
    assert db.get(CreditEntry, entry.id).removal is CreditRemoval.REPAIRED


def test_someone_else_cannot_apply_to_repair_an_entry(client, staff_client, logged_in, db):
    value = listing()  # a unit, not the logged-in person
    list_on_console(staff_client, value)
    entry = db.scalar(select(CreditEntry).where(CreditEntry.code_shown == value.code))
    token = csrf_token(client.get("/info/credit").get_data(as_text=True))
    resp = client.post(f"/info/credit/{entry.id}/repair", data={"csrf_token": token, "statement": "请求修复"})
    assert resp.status_code == 404


def test_refusing_a_repair_needs_a_reason(app, staff_client, db):
    vault = app.extensions["shebao_vault"]
    code = unit_code()
    entry = credit.list_party(db, _staff_actor(staff_client), vault, listing(code=code))
    repair = credit.request_repair(db, vault, code, entry.id, "已整改")
    db.commit()
    token = csrf_token(staff_client.get(PAGE).get_data(as_text=True))
    resp = staff_client.post(f"{PAGE}/repairs/{repair.id}", data={"csrf_token": token, "decision": "refuse"})
    assert resp.status_code == 400 and "理由" in resp.get_data(as_text=True)


def _staff_actor(staff_client):
    from gateway.actor import Actor, ActorKind
    from gateway.catalog import Channel

    return Actor(channel=Channel.HOTLINE, kind=ActorKind.STAFF, staff_id=staff_client.staff_id)


def test_an_ended_period_leaves_the_public_page_and_the_removal_is_audited(client, db):
    today = clock.today()
    entry = CreditEntry(
        party=CreditParty.UNIT,
        name="期满单位有限公司",
        code_digest="x" * 64,
        code_shown=unit_code(),
        behaviour="拒不配合监督检查",
        legal_basis="《社会保险经办条例》第五十七条",
        document_number="示人社罚〔2024〕3号",
        document_date=today - timedelta(days=400),
        listed_on=today - timedelta(days=399),
        publish_until=today - timedelta(days=1),
        status=CreditStatus.LISTED,
        created_at=clock.now(),
    )
    db.add(entry)
    db.commit()
    assert "期满单位有限公司" not in client.get("/info/credit").get_data(as_text=True)
    assert credit.expire_ended(db, clock.now()) >= 1
    db.commit()
    assert db.get(CreditEntry, entry.id).removal is CreditRemoval.EXPIRED
    assert db.scalar(select(AuditEntry).where(AuditEntry.detail.like("%期满单位有限公司%"))) is not None


def test_the_api_publishes_the_same_entries(client, staff_client):
    value = listing(document_number="示人社罚〔2026〕91号")
    list_on_console(staff_client, value)
    entries = client.get("/api/v1/info/credit").get_json()["entries"]
    assert any(e["document_number"] == value.document_number and e["code"] == value.code for e in entries)
