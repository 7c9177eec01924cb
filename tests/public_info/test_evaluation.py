"""好差评 over HTTP (LD/T 01 7): a person rates a finished service once; a bad rating opens a follow-up that staff
close, and the person is told the outcome."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.identity.service import ensure_person
from gateway.public_info.models import Evaluation, FollowUp, FollowUpStatus
from gateway.staff.models import StaffRole
from gateway.validation import make_id_number
from gateway.workdays import add_working_days
from notify.models import NotifyMessage
from tests.conftest import csrf_token, staff_login, step_up
from tests.public_info.conftest import seed_application, seed_checked_in_booking

SCORES = {"completeness": "4", "ease": "4", "timeliness": "3"}


def finished(db, person_id):
    return seed_application(
        db, person_id, submitted=datetime(2026, 11, 2, 9), decided=datetime(2026, 11, 9, 15), due=date(2026, 11, 16)
    )


def rate(client, subject: str, ref: str, satisfaction: str):
    """Post the rating form as the page would, its CSRF token included."""
    token = csrf_token(client.get("/info/evaluation").get_data(as_text=True))
    data = {"csrf_token": token, "subject": subject, "ref": ref, "satisfaction": satisfaction, **SCORES}
    return client.post("/info/evaluation/rate", data=data)


def test_a_finished_application_is_rated_from_its_page(client, db, logged_in):
    app = finished(db, logged_in)
    step_up(client)
    page = client.get(f"/progress/{app.number}").get_data(as_text=True)
    assert 'id="rate-form"' in page
    resp = rate(client, "application", app.number, "5")
    assert resp.status_code == 302 and resp.location.endswith(f"/progress/{app.number}?rated=1")
    assert "您已评价：非常满意" in client.get(f"/progress/{app.number}").get_data(as_text=True)


def test_a_service_is_rated_only_once(client, db, logged_in):
    app = finished(db, logged_in)
    assert rate(client, "application", app.number, "4").status_code == 302
    again = rate(client, "application", app.number, "1")
    assert again.status_code == 409
    assert "只能评价一次" in again.get_data(as_text=True)


def test_an_unfinished_application_cannot_be_rated(client, db, logged_in):
    app = seed_application(db, logged_in, submitted=datetime(2026, 11, 2, 9), decided=None, due=date(2026, 11, 16))
    assert rate(client, "application", app.number, "4").status_code == 409


def test_someone_elses_application_cannot_be_rated(client, db, logged_in, app):
    other = ensure_person(db, app.extensions["shebao_vault"], make_id_number("610302", date(1970, 1, 9), 611), "他人")
    db.commit()
    theirs = finished(db, other.id)
    assert rate(client, "application", theirs.number, "4").status_code == 404


def test_every_missing_answer_is_summarised_at_the_top(client, logged_in, db):
    app = finished(db, logged_in)
    token = csrf_token(client.get("/info/evaluation").get_data(as_text=True))
    resp = client.post("/info/evaluation/rate", data={"csrf_token": token, "subject": "application", "ref": app.number})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert html.count('<li><a href="#') == 4 and 'class="error-summary"' in html


def test_rating_needs_the_form_token(client, db, logged_in):
    app = finished(db, logged_in)
    data = {"subject": "application", "ref": app.number, "satisfaction": "5", **SCORES}
    assert client.post("/info/evaluation/rate", data=data).status_code == 400
    assert db.scalar(select(Evaluation).where(Evaluation.subject_ref == app.number)) is None


def test_rating_needs_a_login(client):
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    data = {"csrf_token": token, "subject": "application", "ref": "X", "satisfaction": "5", **SCORES}
    resp = client.post("/info/evaluation/rate", data=data)
    assert resp.status_code in (302, 401) and "login" in (resp.location or "")


def test_a_checked_in_appointment_is_rated_with_its_hall(client, db, logged_in):
    booking = seed_checked_in_booking(db, logged_in, date(2026, 11, 20))
    assert rate(client, "appointment", booking.code, "4").status_code == 302
    found = db.scalar(select(Evaluation).where(Evaluation.subject_ref == booking.code))
    assert found.hall_id is not None


def test_a_bad_rating_opens_a_follow_up_due_in_ten_working_days(client, db, logged_in):
    app = finished(db, logged_in)
    assert rate(client, "application", app.number, "2").status_code == 302
    found = db.scalar(select(Evaluation).where(Evaluation.subject_ref == app.number))
    follow_up = db.scalar(select(FollowUp).where(FollowUp.evaluation_id == found.id))
    assert follow_up.status is FollowUpStatus.OPEN
    assert follow_up.due_on == add_working_days(clock.today(), 10).date


def test_a_good_rating_opens_no_follow_up(client, db, logged_in):
    app = finished(db, logged_in)
    assert rate(client, "application", app.number, "3").status_code == 302
    found = db.scalar(select(Evaluation).where(Evaluation.subject_ref == app.number))
    assert db.scalar(select(FollowUp).where(FollowUp.evaluation_id == found.id)) is None


@pytest.fixture
def supervisor_client(app, make_staff, database_url):
    staff_client = app.test_client()
    made = make_staff(StaffRole.SUPERVISOR, name="回访主管")
    assert staff_login(staff_client, database_url, made).status_code == 302
    return staff_client


def test_staff_close_a_follow_up_and_the_person_is_told(client, db, logged_in, supervisor_client):
    app = finished(db, logged_in)
    rate(client, "application", app.number, "1")
    page = supervisor_client.get("/hotline/info/follow-ups").get_data(as_text=True)
    assert f'data-ref="{app.number}"' in page
    follow_up = db.scalar(
        select(FollowUp)
        .join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
        .where(Evaluation.subject_ref == app.number)
    )
    token = csrf_token(page)
    resp = supervisor_client.post(
        f"/hotline/info/follow-ups/{follow_up.id}/close",
        data={"csrf_token": token, "outcome": "已电话致歉并说明办理流程。"},
    )
    assert resp.status_code == 302
    key = f"evaluation:{follow_up.evaluation_id}:follow-up"
    message = db.scalars(select(NotifyMessage).where(NotifyMessage.idempotency_key == key)).first()
    assert message is not None and message.person_id == logged_in
    step_up(client)
    assert "回访处理结果：已电话致歉" in client.get(f"/progress/{app.number}").get_data(as_text=True)


def test_a_follow_up_cannot_be_closed_without_an_outcome(client, db, logged_in, supervisor_client):
    app = finished(db, logged_in)
    rate(client, "application", app.number, "2")
    follow_up = db.scalar(
        select(FollowUp)
        .join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
        .where(Evaluation.subject_ref == app.number)
    )
    token = csrf_token(supervisor_client.get("/hotline/info/follow-ups").get_data(as_text=True))
    resp = supervisor_client.post(f"/hotline/info/follow-ups/{follow_up.id}/close", data={"csrf_token": token})
    assert resp.status_code == 400 and 'class="error-summary"' in resp.get_data(as_text=True)


def test_an_agent_may_not_see_the_follow_ups(app, make_staff, database_url):
    agent_client = app.test_client()
    assert staff_login(agent_client, database_url, make_staff(StaffRole.AGENT)).status_code == 302
    assert agent_client.get("/hotline/info/follow-ups").status_code == 403


def test_a_rating_changes_the_published_figures(client, db, logged_in):
    month = clock.today().strftime("%Y-%m")
    before = client.get(f"/api/v1/info/evaluation?month={month}").get_json()["total"]
    app = finished(db, logged_in)
    rate(client, "application", app.number, "1")
    after = client.get(f"/api/v1/info/evaluation?month={month}").get_json()["total"]
    assert (after["ratings"], after["bad"]) == (before["ratings"] + 1, before["bad"] + 1)
