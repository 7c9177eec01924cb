"""好差评 of a closed mailbox case (LD/T 01 5.5.1, 7): the person rates it once from their list of cases, a
差评 opens a follow-up staff close, the person is told, and the published figures count it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.actor import Actor, ActorKind
from gateway.catalog import Channel
from gateway.consult import mailbox
from gateway.consult.models import CaseKind, CaseStatus, ConsultCase, Topic
from gateway.identity.service import Identity, ensure_person
from gateway.public_info import evaluation
from gateway.public_info.models import Evaluation, EvaluationSubject, FollowUp, FollowUpStatus, Rating
from gateway.staff.models import StaffRole
from gateway.validation import make_id_number
from gateway.workdays import add_working_days
from notify.models import NotifyMessage
from tests.conftest import csrf_token, staff_login

SCORES = {"completeness": "3", "ease": "2", "timeliness": "2"}


def seed_case(db, app, person_id: int | None, *, closed: bool = True) -> ConsultCase:
    """A mailbox case filed through the mailbox's own use case, then closed (as staff would) or left open."""
    form = mailbox.Submission(CaseKind.CONSULTATION, Topic.PENSION, "退休待遇", "请问何时到账？", None, False)
    case, _code = mailbox.submit(db, app.extensions["shebao_vault"], form, person_id=person_id, now=clock.now())
    if closed:
        case.status, case.closed_at = CaseStatus.CLOSED, clock.now()
    db.commit()
    return case


def rate(client, ref: str, satisfaction: str, subject: str = "consultation"):
    token = csrf_token(client.get("/info/evaluation").get_data(as_text=True))
    data = {"csrf_token": token, "subject": subject, "ref": ref, "satisfaction": satisfaction, **SCORES}
    return client.post("/info/evaluation/rate", data=data)


def mailbox_row(client, month: str) -> dict | None:
    body = client.get(f"/api/v1/info/evaluation?month={month}").get_json()
    return next((r for r in body["by_item"] if r["key"] == "consult-mailbox"), None)


@pytest.fixture
def supervisor_client(app, make_staff, database_url):
    staff_client = app.test_client()
    made = make_staff(StaffRole.SUPERVISOR, name="留言回访主管")
    assert staff_login(staff_client, database_url, made).status_code == 302
    return staff_client


def test_a_closed_case_is_rated_very_dissatisfied_followed_up_told_and_counted(
    client, db, app, logged_in, supervisor_client
):
    case = seed_case(db, app, logged_in)
    month = f"{clock.today():%Y-%m}"
    before = mailbox_row(client, month) or {"ratings": 0, "bad": 0}
    mine = client.get("/consult/").get_data(as_text=True)
    assert f"/info/evaluation/rate?subject=consultation&amp;ref={case.number}" in mine
    form = client.get(f"/info/evaluation/rate?subject=consultation&ref={case.number}")
    assert form.status_code == 200 and 'id="rate-form"' in form.get_data(as_text=True)

    resp = rate(client, case.number, "1")
    assert resp.status_code == 302 and resp.location.endswith(f"/consult/?rated={case.number}#mine")
    found = db.scalar(select(Evaluation).where(Evaluation.subject_ref == case.number))
    assert (found.item_id, found.channel, found.satisfaction) == ("consult-mailbox", "web", 1)
    follow_up = db.scalar(select(FollowUp).where(FollowUp.evaluation_id == found.id))
    assert follow_up.status is FollowUpStatus.OPEN
    assert follow_up.due_on == add_working_days(clock.today(), 10).date
    listed = client.get("/consult/").get_data(as_text=True)
    assert "您已评价：非常不满意" in listed and f"{follow_up.due_on:%Y年%m月%d日} 前回访" in listed

    after = mailbox_row(client, month)
    assert after["label"] == "网上信箱留言（咨询、建议、投诉、举报）"
    assert (after["ratings"], after["bad"]) == (before["ratings"] + 1, before["bad"] + 1)
    page = client.get(f"/info/evaluation?month={month}").get_data(as_text=True)
    assert "网上信箱留言（咨询、建议、投诉、举报）" in page

    console = supervisor_client.get("/hotline/info/follow-ups").get_data(as_text=True)
    assert f'data-ref="{case.number}"' in console and "网上信箱留言（咨询、建议、投诉、举报）（网上信箱留言" in console
    closed = supervisor_client.post(
        f"/hotline/info/follow-ups/{follow_up.id}/close",
        data={"csrf_token": csrf_token(console), "outcome": "已电话联系，说明到账时间。"},
    )
    assert closed.status_code == 302
    key = f"evaluation:{found.id}:follow-up"
    told = db.scalars(select(NotifyMessage).where(NotifyMessage.idempotency_key == key)).first()
    assert told is not None and told.person_id == logged_in
    assert "回访处理结果：已电话联系，说明到账时间。" in client.get("/consult/").get_data(as_text=True)


def test_a_case_is_rated_only_once(client, db, app, logged_in):
    case = seed_case(db, app, logged_in)
    assert rate(client, case.number, "4").status_code == 302
    again = rate(client, case.number, "1")
    assert again.status_code == 409 and "只能评价一次" in again.get_data(as_text=True)
    assert "您已评价：满意" in client.get("/consult/").get_data(as_text=True)


def test_an_open_case_cannot_be_rated(client, db, app, logged_in):
    case = seed_case(db, app, logged_in, closed=False)
    resp = rate(client, case.number, "4")
    assert resp.status_code == 409 and "留言办结后才能评价" in resp.get_data(as_text=True)
    assert f"ref={case.number}" not in client.get("/consult/").get_data(as_text=True)


def test_someone_elses_or_an_anonymous_case_cannot_be_rated(client, db, app, logged_in):
    vault = app.extensions["shebao_vault"]
    other = ensure_person(db, vault, make_id_number("610302", date(1970, 1, 19), 613), "他人")
    db.commit()
    for case in (seed_case(db, app, other.id), seed_case(db, app, None)):
        assert rate(client, case.number, "4").status_code == 404
        assert client.get(f"/info/evaluation/rate?subject=consultation&ref={case.number}").status_code == 404


def test_a_case_is_rated_through_the_api(client, db, app, logged_in):
    case = seed_case(db, app, logged_in)
    token = csrf_token(client.get("/info/evaluation").get_data(as_text=True))
    body = {"subject": "consultation", "ref": case.number, "satisfaction": 2, "comment": "答复太慢"}
    body |= {k: int(v) for k, v in SCORES.items()}
    resp = client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201, resp.get_json()
    answer = resp.get_json()
    assert answer["satisfaction_label"] == "不满意"
    assert answer["follow_up_due"] == add_working_days(clock.today(), 10).date.isoformat()
    again = client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"


def test_the_api_lists_the_persons_finished_consultations_with_their_ratings(client, db, app, logged_in):
    rated, unrated = seed_case(db, app, logged_in), seed_case(db, app, logged_in)
    still_open = seed_case(db, app, logged_in, closed=False)
    token = csrf_token(client.get("/info/evaluation").get_data(as_text=True))
    body = {"subject": "consultation", "ref": rated.number, "satisfaction": 1, **{k: int(v) for k, v in SCORES.items()}}
    assert client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": token}).status_code == 201
    listed = client.get("/api/v1/info/evaluations/consultations").get_json()["consultations"]
    by_ref = {c["ref"]: c for c in listed}
    assert still_open.number not in by_ref
    assert by_ref[unrated.number]["rating"] is None
    assert by_ref[unrated.number]["title"] == f"咨询 {unrated.number}"
    given = by_ref[rated.number]["rating"]
    assert (given["satisfaction_label"], given["follow_up_status"]) == ("非常不满意", "open")
    assert given["follow_up_due"] == add_working_days(clock.today(), 10).date.isoformat()


def test_listing_finished_consultations_needs_a_login(client):
    resp = client.get("/api/v1/info/evaluations/consultations")
    assert resp.status_code == 401 and resp.get_json()["error"]["message"]


def test_a_rating_sent_twice_at_once_is_refused_not_a_crash(db, app, person, logged_in, monkeypatch):
    # Both sends pass the "rated already?" check before either is written: the unique index decides (a savepoint
    # keeps the rest of the request's work), and the loser is told it was rated once already.
    case = seed_case(db, app, logged_in)
    who = Identity(person_id=logged_in, id_number=person.id_number, name=person.name)
    actor = Actor(channel=Channel.WEB, kind=ActorKind.PERSON, level=1, person=who)
    scores = {field: Rating.BASIC for field, _q in evaluation.DIMENSIONS}
    evaluation.rate(db, actor, EvaluationSubject.CONSULTATION, case.number, scores)
    monkeypatch.setattr(evaluation, "evaluation_of", lambda *_args: None)  # as if the first were not yet visible
    with pytest.raises(evaluation.EvaluationRefused) as refused:
        evaluation.rate(db, actor, EvaluationSubject.CONSULTATION, case.number, scores)
    assert refused.value.code == "already_rated" and refused.value.status == 409
    db.commit()  # the first rating is kept
    assert db.scalar(select(Evaluation).where(Evaluation.subject_ref == case.number)).satisfaction == 3
