"""Withdrawing an application and reporting a lost card over the service API (issue 14), as the mini-program calls
them with its bearer token, and the web's progress page calling the same withdrawal use case. Each: the warning
must be confirmed first (LD/T 01 5.3.2), only the allowed statuses, traced and told, no-store, idempotent replays."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway import clock
from gateway.applications import card_loss, service, withdrawal
from gateway.applications.models import ApplicationStatus
from gateway.backoffice.models import BoPerson, CardStatus
from gateway.identity.models import IdentityEvent
from gateway.identity.service import find_person
from notify.models import NotifyMessage
from tests.api.conftest import Caller
from tests.api.test_service_api import CLERK, _submitted, ok, refused
from tests.conftest import committing, csrf_token, login, step_up


def _card_status(app: Flask, id_number: str, status: CardStatus | None = None) -> CardStatus:
    with committing(app) as session:
        row = session.scalar(sa.select(BoPerson).where(BoPerson.id_number == id_number))
        if status is not None:
            row.card_status = status
        return row.card_status


# ---------------------------------------------------------------- withdrawing an application


def test_withdraw_needs_the_warning_confirmed_then_ends_the_application(app, client: FlaskClient, caller) -> None:
    who = caller()
    number = _submitted(app, who)
    detail = ok(client.get(f"/api/v1/applications/{number}", headers=who.headers))
    assert detail["withdrawable"] is True and detail["withdraw_warning"] == withdrawal.WARNING
    # LD/T 01 5.3.2: not without the confirmation; a reason too long is refused in Chinese.
    refused(client.post(f"/api/v1/applications/{number}/withdraw", json={}, headers=who.headers), 400)
    refused(
        client.post(
            f"/api/v1/applications/{number}/withdraw",
            json={"reason": "长" * 201, "confirm_risk": True},
            headers=who.headers,
        ),
        400,
    )
    # Another person's application does not exist for them.
    other = caller()
    refused(
        client.post(f"/api/v1/applications/{number}/withdraw", json={"confirm_risk": True}, headers=other.headers), 404
    )
    key = {**who.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"reason": "已在窗口办理", "confirm_risk": True}
    first = client.post(f"/api/v1/applications/{number}/withdraw", json=body, headers=key)
    done = ok(first)
    assert done["status"] == ApplicationStatus.WITHDRAWN.value and done["status_label"] == "已撤回"
    assert done["result"] == "申请人撤回申请：已在窗口办理" and done["withdrawable"] is False
    assert done["timeline"][-1]["actor"] == "申请人" and done["timeline"][-1]["status"] == "withdrawn"
    assert "result_notice" not in done["receipts"]  # no decision of the agency: no result notice
    # A replay (a retried tap) gets the first answer back; without the key it is a conflict in Chinese.
    again = client.post(f"/api/v1/applications/{number}/withdraw", json=body, headers=key)
    assert again.status_code == 200 and again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    refused(client.post(f"/api/v1/applications/{number}/withdraw", json=body, headers=who.headers), 409, "wrong_status")
    with committing(app) as session:
        row = service.by_number(session, number)
        assert row.status is ApplicationStatus.WITHDRAWN
        # LD/T 01 5.3.1 c: the person is told, like every step of progress.
        told = session.scalars(sa.select(NotifyMessage).where(NotifyMessage.person_id == who.person_id)).all()
        assert any("已撤回" in m.body for m in told), [m.body for m in told]
        assert row not in [q.application for q in service.work_queue(session, row.department, clock.today())]


def test_only_an_application_not_yet_handled_may_be_withdrawn(app, client: FlaskClient, caller) -> None:
    who = caller()
    number = _submitted(app, who)
    with committing(app) as session:
        row = service.by_number(session, number)
        service.accept(session, row, CLERK, now=clock.now())
    detail = ok(client.get(f"/api/v1/applications/{number}", headers=who.headers))
    assert detail["withdrawable"] is False and detail["withdraw_warning"] is None
    error = refused(
        client.post(f"/api/v1/applications/{number}/withdraw", json={"confirm_risk": True}, headers=who.headers),
        409,
        "wrong_status",
    )
    assert "已受理" in error["message"] and "12333" in error["message"]
    # After a one-time notice it waits on the applicant again: withdrawing instead of supplementing is allowed.
    with committing(app) as session:
        row = service.by_number(session, number)
        service.request_supplement(session, row, CLERK, ["请补充转入地"], now=clock.now() + timedelta(seconds=1))
    done = ok(client.post(f"/api/v1/applications/{number}/withdraw", json={"confirm_risk": True}, headers=who.headers))
    assert done["status"] == "withdrawn" and done["result"] == "申请人撤回申请"
    assert "acceptance_notice" in done["receipts"]  # it was accepted: that receipt stays available


def test_the_web_progress_page_withdraws_through_the_same_use_case(app, client: FlaskClient, accounts) -> None:
    demo = accounts[3]
    assert login(client, demo.id_number).status_code == 302
    step_up(client, 2)
    with committing(app) as session:
        person = find_person(session, app.extensions["shebao_vault"], demo.id_number)
    number = _submitted(app, Caller(person.id, demo.id_number, demo.name, {}))
    page = client.get(f"/progress/{number}").get_data(as_text=True)
    assert f'href="/progress/{number}/withdraw"' in page
    confirm = client.get(f"/progress/{number}/withdraw")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and withdrawal.WARNING in html
    token = csrf_token(html)
    unconfirmed = client.post(f"/progress/{number}/withdraw", data={"csrf_token": token, "reason": "不办了"})
    assert unconfirmed.status_code == 400 and withdrawal.NOT_CONFIRMED in unconfirmed.get_data(as_text=True)
    done = client.post(f"/progress/{number}/withdraw", data={"csrf_token": token, "reason": "不办了", "confirm": "yes"})
    assert done.status_code == 302 and done.location.endswith(f"/progress/{number}?withdrawn=1")
    after = client.get(done.location).get_data(as_text=True)
    assert "申请已撤回" in after and "已撤回：申请人撤回申请：不办了" in after and "撤回申请</a>" not in after
    # Now closed: the confirmation page sends the person back to the detail, and a second post is told why.
    assert client.get(f"/progress/{number}/withdraw").status_code == 302
    twice = client.post(f"/progress/{number}/withdraw", data={"csrf_token": token, "confirm": "yes"})
    assert twice.status_code == 409 and "不能撤回" in twice.get_data(as_text=True)


# ---------------------------------------------------------------- reporting a lost card


def test_report_a_lost_card_after_confirming_the_warning(app, client: FlaskClient, caller) -> None:
    who = caller(level=2)
    _card_status(app, who.id_number, CardStatus.ACTIVE)
    card = ok(client.get("/api/v1/card", headers=who.headers))
    assert card["status"] == "active" and card["loss_warning"] == card_loss.WARNING
    refused(client.post("/api/v1/card/report-loss", json={}, headers=who.headers), 400, "risk_not_confirmed")
    assert _card_status(app, who.id_number) is CardStatus.ACTIVE  # nothing happened
    key = {**who.headers, "Idempotency-Key": str(uuid.uuid4())}
    first = client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=key)
    lost = ok(first)
    assert lost["status"] == "lost" and lost["status_label"] == "挂失" and lost["loss_warning"] is None
    assert "*" in lost["number"]  # masked (Art. 49)
    assert _card_status(app, who.id_number) is CardStatus.LOST  # the back office suspended it
    again = client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=key)
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    error = refused(client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=who.headers), 409)
    assert "已经挂失" in error["message"]
    assert ok(client.get("/api/v1/card", headers=who.headers))["status"] == "lost"
    with committing(app) as session:
        # LD/T 01 6.3.2: traced; 5.4.4 b: the person is told.
        traced = session.scalars(
            sa.select(IdentityEvent).where(
                IdentityEvent.person_id == who.person_id, IdentityEvent.method == "card_reported_lost"
            )
        ).all()
        assert len(traced) == 1 and traced[0].channel == "miniprogram" and "*" in traced[0].detail
        told = session.scalars(sa.select(NotifyMessage).where(NotifyMessage.person_id == who.person_id)).all()
        assert any("社会保障卡挂失" in m.body for m in told)


def test_report_loss_needs_level_2_and_a_card_in_use(app, client: FlaskClient, caller) -> None:
    low = caller(level=1)
    refused(client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=low.headers), 403)
    refused(client.post("/api/v1/card/report-loss", json={"confirm_risk": True}), 401)
    who = caller(level=2)
    _card_status(app, who.id_number, CardStatus.MAKING)
    assert ok(client.get("/api/v1/card", headers=who.headers))["loss_warning"] is None
    error = refused(client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=who.headers), 409)
    assert "制作中" in error["message"]
    assert _card_status(app, who.id_number) is CardStatus.MAKING


def test_the_core_system_refusing_sends_the_person_to_12333(app, client: FlaskClient, caller, monkeypatch) -> None:
    from gateway.backoffice.interface import BackOfficeRefused, BackOfficeUnavailable

    who = caller(level=2)
    _card_status(app, who.id_number, CardStatus.ACTIVE)
    backoffice = app.extensions["shebao_backoffice"]
    inner = getattr(backoffice, "inner", backoffice)

    def refuse(*_args, **_kwargs):
        raise BackOfficeRefused("card not found")

    monkeypatch.setattr(inner, "report_card_lost", refuse)
    error = refused(
        client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=who.headers),
        409,
        "card_loss_refused",
    )
    assert "12333" in error["message"]

    def down(*_args, **_kwargs):
        raise BackOfficeUnavailable("timed out")

    monkeypatch.setattr(inner, "report_card_lost", down)
    error = refused(client.post("/api/v1/card/report-loss", json={"confirm_risk": True}, headers=who.headers), 503)
    assert "12333" in error["message"]
    assert _card_status(app, who.id_number) is CardStatus.ACTIVE


def test_the_web_card_page_reports_the_loss_through_the_same_use_case(app, client: FlaskClient, accounts) -> None:
    demo = accounts[3]
    before = _card_status(app, demo.id_number)
    _card_status(app, demo.id_number, CardStatus.ACTIVE)
    try:
        assert login(client, demo.id_number).status_code == 302
        step_up(client, 2)
        page = client.get("/services/card-status").get_data(as_text=True)
        assert card_loss.WARNING in page and 'id="report-loss"' in page
        token = csrf_token(page)
        unconfirmed = client.post("/services/card-status/report-loss", data={"csrf_token": token})
        assert unconfirmed.status_code == 400 and card_loss.NOT_CONFIRMED in unconfirmed.get_data(as_text=True)
        assert _card_status(app, demo.id_number) is CardStatus.ACTIVE
        done = client.post("/services/card-status/report-loss", data={"csrf_token": token, "confirm": "yes"})
        assert done.status_code == 302 and done.location.endswith("/services/card-status?lost=1")
        after = client.get(done.location).get_data(as_text=True)
        assert "社会保障卡已挂失" in after and 'id="report-loss"' not in after
        assert _card_status(app, demo.id_number) is CardStatus.LOST
        twice = client.post("/services/card-status/report-loss", data={"csrf_token": token, "confirm": "yes"})
        assert twice.status_code == 409 and "已经挂失" in twice.get_data(as_text=True)
    finally:
        _card_status(app, demo.id_number, before)  # the demo person's card works again for other tests
