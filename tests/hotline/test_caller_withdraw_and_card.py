"""12333 for a verified caller: withdrawing an application and reporting the card lost — the same use cases as the
web and the API, each only after the agent has read the warning out and ticked that the caller confirmed it
(LD/T 01 5.3.2), each in the audit trail with the agent and the caller (LD/T 01 6.3.2)."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa

from channels.hotline import callers
from gateway.applications import service as applications
from gateway.applications import withdrawal
from gateway.applications.models import Application, ApplicationStatus
from gateway.backoffice.models import BoPerson, CardStatus
from gateway.catalog import load_catalog
from gateway.identity.models import IdentityEvent
from gateway.identity.service import ensure_person
from gateway.staff.models import AuditAction
from tests.conftest import csrf_token
from tests.hotline.helpers import audit_rows, verify


def _submitted(app, db, who) -> Application:
    """A promised-time application of ``who``, submitted and not yet accepted (so it may be withdrawn)."""
    person = ensure_person(db, app.extensions["shebao_vault"], who.id_number, who.name)
    db.commit()
    item = load_catalog().get("pension-transfer-out")
    draft, errors = applications.save_form(
        db, person.id, item, {"destination": "四川省成都市", "phone": "13800138000"}, now=datetime.now()
    )
    assert errors == []
    sent = applications.submit(
        db,
        draft,
        backoffice=app.extensions["shebao_backoffice"],
        id_number=who.id_number,
        risk_confirmed=True,
        now=datetime.now(),
    )
    db.commit()
    return sent


def _errors(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', summary.group(0)) if summary else []


def _status(db, number: str) -> ApplicationStatus:
    db.expire_all()
    return db.scalar(sa.select(Application.status).where(Application.number == number))


def test_withdraw_for_the_caller_after_the_warning_is_read_out(client, app, agent, caller, take_caller, sms_inbox, db):
    mine = _submitted(app, db, caller)
    theirs = _submitted(app, db, take_caller())
    verify(client, caller, sms_inbox)
    page = client.get(f"/hotline/callers/caller/applications/{mine.number}")
    assert page.status_code == 200 and withdrawal.WARNING in page.text and 'id="withdraw-button"' in page.text
    token = csrf_token(page.text)
    path = f"/hotline/callers/caller/applications/{mine.number}/withdraw"

    # Not ticked: refused with the reason at the top, nothing withdrawn and nothing in the trail as done.
    unticked = client.post(path, data={"csrf_token": token, "reason": "已在窗口办理"})
    assert unticked.status_code == 400 and _errors(unticked.text) == [callers.CONFIRM_READ_OUT]
    too_long = client.post(path, data={"csrf_token": token, "confirm": "yes", "reason": "长" * 200})
    assert too_long.status_code == 400 and "撤回原因最多" in _errors(too_long.text)[0]
    assert _status(db, mine.number) is ApplicationStatus.SUBMITTED
    assert AuditAction.APPLICATION_WITHDRAWN not in {r.action for r in audit_rows(db, agent.id)}

    # Someone else's number is "not found", as if it did not exist.
    other = client.post(
        f"/hotline/callers/caller/applications/{theirs.number}/withdraw", data={"csrf_token": token, "confirm": "yes"}
    )
    assert other.status_code == 404 and _status(db, theirs.number) is ApplicationStatus.SUBMITTED

    done = client.post(path, data={"csrf_token": token, "confirm": "yes", "reason": "已在窗口办理"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{mine.number}?done=withdrawn")
    assert _status(db, mine.number) is ApplicationStatus.WITHDRAWN
    row = db.scalar(sa.select(Application).where(Application.number == mine.number))
    assert row.events[-1].note == "申请人撤回申请：经12333电话撤回，已在窗口办理"
    entry = next(r for r in audit_rows(db, agent.id) if r.action is AuditAction.APPLICATION_WITHDRAWN)
    assert entry.person_id == row.person_id and mine.number in entry.detail and "已宣读撤回提示" in entry.detail
    after = client.get(done.headers["Location"])
    assert "已为来电人撤回该申请" in after.text and 'id="withdraw-button"' not in after.text
    # Withdrawn is final: a second try is refused in Chinese with the status.
    again = client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 409 and "不能撤回" in _errors(again.text)[0]


def _card(db, id_number: str, status: CardStatus | None = None) -> CardStatus:
    if status is not None:
        db.execute(sa.update(BoPerson).where(BoPerson.id_number == id_number).values(card_status=status))
        db.commit()
    db.expire_all()
    return db.scalar(sa.select(BoPerson.card_status).where(BoPerson.id_number == id_number))


def test_report_the_callers_card_lost_after_the_warning_is_read_out(client, app, agent, caller, sms_inbox, db):
    _card(db, caller.id_number, CardStatus.ACTIVE)
    verify(client, caller, sms_inbox)
    overview = client.get("/hotline/callers/caller")
    assert 'href="/hotline/callers/caller/card"' in overview.text
    page = client.get("/hotline/callers/caller/card")
    assert page.status_code == 200 and "正常" in page.text and 'id="report-button"' in page.text
    token = csrf_token(page.text)

    unticked = client.post("/hotline/callers/caller/card/report-loss", data={"csrf_token": token})
    assert unticked.status_code == 400 and _errors(unticked.text) == [callers.CONFIRM_READ_OUT]
    assert _card(db, caller.id_number) is CardStatus.ACTIVE
    assert AuditAction.CARD_REPORTED_LOST not in {r.action for r in audit_rows(db, agent.id)}

    done = client.post("/hotline/callers/caller/card/report-loss", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/hotline/callers/caller/card?done=lost")
    assert _card(db, caller.id_number) is CardStatus.LOST
    entry = next(r for r in audit_rows(db, agent.id) if r.action is AuditAction.CARD_REPORTED_LOST)
    assert entry.person_id is not None and "已宣读挂失提示" in entry.detail
    # The person's own operation trail says which channel it came through.
    event = db.scalar(
        sa.select(IdentityEvent)
        .where(IdentityEvent.person_id == entry.person_id, IdentityEvent.method == "card_reported_lost")
        .order_by(IdentityEvent.id.desc())
    )
    assert event is not None and event.channel == "hotline"
    after = client.get(done.headers["Location"])
    assert "已为来电人挂失社会保障卡" in after.text and 'id="report-button"' not in after.text
    # Already lost: refused in Chinese, and the trail has one report only.
    again = client.post("/hotline/callers/caller/card/report-loss", data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 409 and "已经挂失" in _errors(again.text)[0]
    reports = [r for r in audit_rows(db, agent.id) if r.action is AuditAction.CARD_REPORTED_LOST]
    assert len(reports) == 1
