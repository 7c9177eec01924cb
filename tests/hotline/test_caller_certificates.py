"""The caller's certificates on the console (issue 15): any agent sees the list; only a supervisor withdraws one
for the agency, with a reason — audited naming both, traced, the caller told, verification saying who withdrew it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from esign.models import CodeStatus, IssuedDocument
from gateway.certificates import verification
from gateway.identity.service import find_person
from gateway.staff.models import AuditAction, StaffRole
from notify.models import NotifyMessage
from tests.conftest import csrf_token, staff_login
from tests.hotline.helpers import audit_rows, post_form, verify


def _issue_by_link(client) -> None:
    page = client.get("/hotline/callers/caller/link")
    sent = client.post("/hotline/callers/caller/link", data={"csrf_token": csrf_token(page.text)})
    assert sent.status_code == 200, sent.text


def _document_id(page: str) -> int:
    return int(re.search(r'<tr data-document="(\d+)">', page).group(1))


def test_a_supervisor_withdraws_a_callers_certificate_with_a_reason(
    app, make_staff, database_url, caller, sms_inbox, db
):
    supervisor = make_staff(StaffRole.AGENT, StaffRole.SUPERVISOR, name="热线主管")
    client = app.test_client()
    assert staff_login(client, database_url, supervisor).status_code == 302
    verify(client, caller, sms_inbox)
    assert "来电人的证明" in client.get("/hotline/callers/caller").text
    _issue_by_link(client)
    listed = client.get("/hotline/callers/caller/certificates/").text
    document_id = _document_id(listed)
    assert "个人参保证明" in listed and f"/hotline/callers/caller/certificates/{document_id}/withdraw" in listed
    path = f"/hotline/callers/caller/certificates/{document_id}/withdraw"
    confirm = client.get(path).text
    assert "不能恢复" in confirm and "通知来电人" in confirm
    empty = post_form(client, path, {"reason": " "})
    assert empty.status_code == 400 and "error-summary" in empty.text and "请填写撤回原因" in empty.text
    done = post_form(client, path, {"reason": "证明被他人冒用"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/certificates/?done=withdrawn")
    db.expire_all()
    record = db.get(IssuedDocument, document_id)
    assert record.status is CodeStatus.WITHDRAWN and record.withdrawn_by == "agency"
    assert record.withdrawal_reason == "证明被他人冒用"
    with app.app_context():
        sealer = app.extensions["shebao_clients"].sealer
        assert verification.outcome_text(sealer.by_fingerprint(db, record.fingerprint)) == verification.AGENCY_WITHDRAWN
    entries = [e for e in audit_rows(db, supervisor.id) if e.action is AuditAction.CERTIFICATE_WITHDRAWN]
    assert len(entries) == 1 and "证明被他人冒用" in entries[0].detail and entries[0].person_id is not None
    person = find_person(db, app.extensions["shebao_vault"], caller.id_number)
    told = db.scalars(
        sa.select(NotifyMessage).where(
            NotifyMessage.person_id == person.id, NotifyMessage.template == "certificate_withdrawn"
        )
    ).all()
    assert told and "证明被他人冒用" in told[0].body
    assert client.get(path).status_code == 404  # withdrawn once: nothing left to withdraw


def test_an_agent_who_is_not_a_supervisor_cannot_withdraw(client, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    _issue_by_link(client)
    listed = client.get("/hotline/callers/caller/certificates/").text
    document_id = _document_id(listed)
    assert "/withdraw" not in listed
    path = f"/hotline/callers/caller/certificates/{document_id}/withdraw"
    assert client.get(path).status_code == 403
    token = csrf_token(listed)
    assert client.post(path, data={"reason": "x", "csrf_token": token}).status_code == 403
    db.expire_all()
    assert db.get(IssuedDocument, document_id).status is CodeStatus.VALID
