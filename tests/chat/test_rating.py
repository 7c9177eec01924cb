"""好差评 of a finished live chat (LD/T 01 5.5.2 b, 7): the person who was logged in rates it once on the closed
conversation's page or through the API; a chat no agent took cannot be rated; the figures count it on the channel
the chat was opened on."""

from __future__ import annotations

from sqlalchemy import select

from gateway import clock
from gateway.chat.models import ChatConversation, ChatStatus
from gateway.identity.service import find_person
from gateway.public_info.models import Evaluation, FollowUp
from gateway.request_db import get_session
from gateway.workdays import add_working_days
from tests.chat.test_http import _post, agent_client, open_chat  # noqa: F401  (agent_client is a fixture)
from tests.conftest import csrf_token, login

SCORES = {"completeness": 4, "ease": 4, "timeliness": 2}


def _logged_in(client, person, app) -> int:
    assert login(client, person.id_number).status_code == 302
    with app.app_context():
        return find_person(get_session(), app.extensions["shebao_vault"], person.id_number).id


def _chat(app, conversation: int) -> ChatConversation:
    with app.app_context():
        return get_session().get(ChatConversation, conversation)


def test_a_served_chat_is_rated_once_on_its_page(client, app, person, agent_client):  # noqa: F811
    person_id = _logged_in(client, person, app)
    conversation = open_chat(client)
    assert _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/").status_code == 302
    assert 'id="rate-form"' not in client.get("/consult/chat/").get_data(as_text=True)
    assert _post(client, "/consult/chat/close", {}, "/consult/chat/").status_code == 302
    page = client.get("/consult/chat/").get_data(as_text=True)
    assert 'id="rate-form"' in page
    number = _chat(app, conversation).number

    data = {"subject": "chat", "ref": number, "satisfaction": "1", **{k: str(v) for k, v in SCORES.items()}}
    resp = client.post("/info/evaluation/rate", data={**data, "csrf_token": csrf_token(page)})
    assert resp.status_code == 302 and resp.location.endswith(f"/consult/chat/?rated={number}#evaluation")
    shown = client.get("/consult/chat/").get_data(as_text=True)
    assert "您已评价：非常不满意" in shown and "前回访处理您的评价" in shown
    with app.app_context():
        found = get_session().scalar(select(Evaluation).where(Evaluation.subject_ref == number))
        assert (found.person_id, found.item_id, found.channel) == (person_id, "consult-chat", "web")
        follow_up = get_session().scalar(select(FollowUp).where(FollowUp.evaluation_id == found.id))
        assert follow_up.due_on == add_working_days(clock.today(), 10).date
    again = client.post("/info/evaluation/rate", data={**data, "csrf_token": csrf_token(page)})
    assert again.status_code == 409


def test_a_chat_no_agent_took_cannot_be_rated(client, app, person):
    _logged_in(client, person, app)
    conversation = open_chat(client)
    assert _post(client, "/consult/chat/close", {}, "/consult/chat/").status_code == 302
    page = client.get("/consult/chat/").get_data(as_text=True)
    assert 'id="rate-form"' not in page
    body = {"subject": "chat", "ref": _chat(app, conversation).number, "satisfaction": 5, **SCORES}
    resp = client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": csrf_token(page)})
    assert resp.status_code == 409 and "人工客服接入" in resp.get_json()["error"]["message"]


def test_a_chat_rated_through_the_api_counts_on_its_own_channel(client, app, person, agent_client):  # noqa: F811
    _logged_in(client, person, app)
    conversation = open_chat(client)
    assert _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/").status_code == 302
    assert _post(client, "/consult/chat/close", {}, "/consult/chat/").status_code == 302
    with app.app_context():
        row = get_session().get(ChatConversation, conversation)
        assert row.status is ChatStatus.CLOSED
        row.channel = "miniprogram"  # as if it had been opened in the mini-program
        get_session().commit()
        number = row.number
    month = f"{clock.today():%Y-%m}"

    def counted() -> int:
        rows = client.get(f"/api/v1/info/evaluation?month={month}").get_json()["by_channel"]
        return next((r["ratings"] for r in rows if r["key"] == "miniprogram"), 0)

    before = counted()
    listed = client.get("/api/v1/info/evaluations/consultations").get_json()["consultations"]
    assert {"subject": "chat", "ref": number, "rating": None}.items() <= next(
        c for c in listed if c["ref"] == number
    ).items()
    page = client.get("/consult/chat/").get_data(as_text=True)
    body = {"subject": "chat", "ref": number, "satisfaction": 5, **SCORES}
    resp = client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": csrf_token(page)})
    assert resp.status_code == 201 and resp.get_json()["follow_up_due"] is None
    assert counted() == before + 1
    listed = client.get("/api/v1/info/evaluations/consultations").get_json()["consultations"]
    assert next(c for c in listed if c["ref"] == number)["rating"]["satisfaction_label"] == "非常满意"
