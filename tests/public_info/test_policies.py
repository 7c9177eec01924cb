"""Policy documents (LD/T 01 5.6.1): staff publish them in the console, the public reads them on the web and in
the API, and a replaced one says so."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from gateway.staff.models import AuditEntry, StaffRole
from tests.conftest import csrf_token, staff_login

PAGE = "/hotline/info/policies"


@pytest.fixture
def admin_client(app, make_staff, database_url):
    staff_client = app.test_client()
    made = make_staff(StaffRole.ADMIN, name="公开管理员")
    assert staff_login(staff_client, database_url, made).status_code == 302
    staff_client.staff_id = made.id
    return staff_client


def publish(staff_client, **fields):
    """Publish a document through the console's form; returns (response, its number)."""
    number = f"人社部发〔2026〕{secrets.randbelow(900) + 100}号"
    data = {
        "title": "关于优化社会保险经办服务的通知",
        "issuer": "人力资源社会保障部",
        "number": number,
        "published_on": "2026-03-01",
        "effective_on": "2026-04-01",
        **fields,
    }
    data["csrf_token"] = csrf_token(staff_client.get(PAGE).get_data(as_text=True))
    return staff_client.post(PAGE, data=data), data["number"]


def test_a_published_document_is_listed_on_the_public_page(client, admin_client):
    resp, number = publish(admin_client)
    assert resp.status_code == 302
    html = client.get("/info/policies").get_data(as_text=True)
    assert number in html and "现行有效" in html


def test_publishing_is_audited(admin_client, db):
    _resp, number = publish(admin_client)
    details = db.scalars(select(AuditEntry.detail).where(AuditEntry.staff_id == admin_client.staff_id)).all()
    assert any(number in d for d in details)


def test_every_problem_with_a_document_is_summarised_at_once(admin_client):
    resp, _number = publish(admin_client, title="", issuer="", published_on="2026/03/01", effective_on="")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for field in ("title", "issuer", "published_on", "effective_on"):
        assert f'href="#{field}"' in html


def test_a_document_cannot_take_effect_before_it_is_published(admin_client):
    resp, _number = publish(admin_client, published_on="2026-05-01", effective_on="2026-04-01")
    assert resp.status_code == 400 and "施行日期不能早于发布日期" in resp.get_data(as_text=True)


def test_a_replaced_document_names_its_replacement(client, admin_client, db):
    from gateway.public_info.models import PolicyDocument

    _r, old_number = publish(admin_client)
    _r, new_number = publish(admin_client, published_on="2026-06-01", effective_on="2026-07-01")
    old = db.scalar(select(PolicyDocument).where(PolicyDocument.number == old_number))
    new = db.scalar(select(PolicyDocument).where(PolicyDocument.number == new_number))
    token = csrf_token(admin_client.get(PAGE).get_data(as_text=True))
    resp = admin_client.post(f"{PAGE}/{old.id}/replace", data={"csrf_token": token, "replaced_by": str(new.id)})
    assert resp.status_code == 302
    listed = {p["number"]: p for p in client.get("/api/v1/info/policies").get_json()["policies"]}
    assert listed[old_number]["status"] == "replaced" and listed[old_number]["replaced_by"] == new.id


def test_a_document_cannot_replace_itself(admin_client, db):
    from gateway.public_info.models import PolicyDocument

    _r, number = publish(admin_client)
    doc = db.scalar(select(PolicyDocument).where(PolicyDocument.number == number))
    token = csrf_token(admin_client.get(PAGE).get_data(as_text=True))
    resp = admin_client.post(f"{PAGE}/{doc.id}/replace", data={"csrf_token": token, "replaced_by": str(doc.id)})
    assert resp.status_code == 400


def test_only_administrators_publish_documents(app, make_staff, database_url):
    agent = app.test_client()
    assert staff_login(agent, database_url, make_staff(StaffRole.AGENT)).status_code == 302
    assert agent.get(PAGE).status_code == 403


def _doc(db, number):
    from gateway.public_info.models import PolicyDocument

    db.expire_all()
    return db.scalar(select(PolicyDocument).where(PolicyDocument.number == number))


def test_a_document_is_corrected_in_the_console_audited_and_shown_at_once(client, admin_client, db):
    _r, number = publish(admin_client, title="关于优化社会保险经办服务的通和")
    doc = _doc(db, number)
    form = admin_client.get(f"{PAGE}/{doc.id}/edit")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="关于优化社会保险经办服务的通和"' in html and 'value="2026-03-01"' in html
    assert f'href="{PAGE}/{doc.id}/edit"' in admin_client.get(PAGE).get_data(as_text=True)  # reached from the list
    corrected = number.replace("〔2026〕", "〔2025〕")
    data = {
        "csrf_token": csrf_token(html),
        "title": "关于优化社会保险经办服务的通知",
        "issuer": "人力资源社会保障部",
        "number": corrected,
        "published_on": "2026-03-01",
        "effective_on": "2026-04-15",
        "summary": "",
    }
    resp = admin_client.post(f"{PAGE}/{doc.id}/edit", data=data)
    assert resp.status_code == 302 and "done=edited" in resp.location
    public = client.get("/info/policies").get_data(as_text=True)
    assert corrected in public and "经办服务的通和" not in public
    doc = _doc(db, corrected)
    assert doc.id is not None and str(doc.effective_on) == "2026-04-15" and doc.status.value == "in_force"
    details = db.scalars(select(AuditEntry.detail).where(AuditEntry.staff_id == admin_client.staff_id)).all()
    assert any(f"修改政策文件 {corrected}（原文号 {number}）" in d and "施行日期" in d for d in details)


def test_saving_without_a_change_is_not_audited(admin_client, db):
    _r, number = publish(admin_client)
    doc = _doc(db, number)
    audited = len(db.scalars(select(AuditEntry.id).where(AuditEntry.staff_id == admin_client.staff_id)).all())
    html = admin_client.get(f"{PAGE}/{doc.id}/edit").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "title": doc.title,
        "issuer": doc.issuer,
        "number": number,
        "published_on": "2026-03-01",
        "effective_on": "2026-04-01",
        "summary": "",
    }
    resp = admin_client.post(f"{PAGE}/{doc.id}/edit", data=data)
    assert resp.status_code == 302 and "done=unchanged" in resp.location
    db.expire_all()
    assert len(db.scalars(select(AuditEntry.id).where(AuditEntry.staff_id == admin_client.staff_id)).all()) == audited


def test_a_bad_correction_is_refused_with_every_problem_and_changes_nothing(admin_client, db):
    _r, number = publish(admin_client)
    doc = _doc(db, number)
    html = admin_client.get(f"{PAGE}/{doc.id}/edit").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "title": "", "issuer": "x", "number": number}
    data |= {"published_on": "2026-05-01", "effective_on": "2026-04-01", "summary": ""}
    resp = admin_client.post(f"{PAGE}/{doc.id}/edit", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'href="#title"' in page and 'href="#effective_on"' in page
    assert _doc(db, number).title == "关于优化社会保险经办服务的通知"
    assert admin_client.get(f"{PAGE}/999999/edit").status_code == 404


def test_only_an_administrator_corrects_documents(app, make_staff, database_url, admin_client, db):
    _r, number = publish(admin_client)
    doc = _doc(db, number)
    agent = app.test_client()
    assert staff_login(agent, database_url, make_staff(StaffRole.AGENT, name="坐席")).status_code == 302
    assert agent.get(f"{PAGE}/{doc.id}/edit").status_code == 403
