"""Live chat over HTTP (LD/T 01 5.5.2 b): the citizen's page under /consult/chat and its JSON poll, the console
under /hotline/chat (queue, take, reply, close, the caller check before anything personal, transcripts), the API
under /api/v1/chat, and service hours."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import select

from gateway import clock, create_app
from gateway.chat.models import ChatConversation
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from notify.models import NotifyMessage
from tests.conftest import csrf_token, login, staff_login, step_up


def _post(client, path: str, data: dict, page: str):
    html = client.get(page).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(html)})


def open_chat(client, text: str = "请问失业金怎么领？") -> int:
    page = client.get("/consult/chat/").get_data(as_text=True)
    assert "转人工咨询" in page
    opened = client.post("/consult/chat/", data={"text": text, "csrf_token": csrf_token(page)})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    html = client.get("/consult/chat/").get_data(as_text=True)
    number = re.search(r'id="chat-number">(\w+)<', html).group(1)
    with client.application.app_context():
        return get_session().scalar(select(ChatConversation.id).where(ChatConversation.number == number))


def poll(client, since: int = 0) -> dict:
    answer = client.get(f"/consult/chat/poll?since={since}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()


@pytest.fixture
def agent_client(app, make_staff, database_url):
    client = app.test_client()
    made = make_staff(StaffRole.AGENT, name="在线坐席")
    assert staff_login(client, database_url, made).status_code == 302
    client.staff = made
    return client


def test_help_and_the_mailbox_offer_live_chat(client) -> None:
    unsure = client.get("/help/", query_string={"q": "怎么办理护照"}).get_data(as_text=True)
    assert 'href="/consult/chat/"' in unsure and "转人工" in unsure
    assert 'href="/consult/chat/"' in client.get("/consult/").get_data(as_text=True)


def test_an_anonymous_visitor_waits_in_the_queue_and_an_agent_answers(client, agent_client, app) -> None:
    conversation = open_chat(client)
    html = client.get("/consult/chat/").get_data(as_text=True)
    assert "排队中" in html and "排在第" in html and 'id="chat-refresh"' in html  # without JS: a refresh button
    state = poll(client)
    assert state["status"] == "waiting" and state["position"] >= 1
    assert [m["sender"] for m in state["messages"]] == ["system", "person"]

    queue = agent_client.get("/hotline/chat/").get_data(as_text=True)
    assert f'/hotline/chat/{conversation}"' in queue and "未核验" in queue
    taken = _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/")
    assert taken.status_code == 302
    view = agent_client.get(f"/hotline/chat/{conversation}").get_data(as_text=True)
    assert "请问失业金怎么领？" in view and "未核验" in view and "核验咨询人身份" in view
    replied = _post(agent_client, f"/hotline/chat/{conversation}/reply", {"text": "您好，可在网上申领失业保险金。"},
                    f"/hotline/chat/{conversation}")  # fmt: skip
    assert replied.status_code == 302

    later = poll(client, state["last_id"])
    assert later["status"] == "active" and later["position"] is None
    assert [m["text"] for m in later["messages"] if m["sender"] == "agent"] == ["您好，可在网上申领失业保险金。"]
    sent = _post(client, "/consult/chat/send", {"text": "谢谢"}, "/consult/chat/")
    assert sent.status_code == 302
    console_poll = agent_client.get(f"/hotline/chat/{conversation}/poll?since={later['last_id']}")
    assert console_poll.headers["Cache-Control"] == "no-store"
    assert [(m["sender_label"], m["text"]) for m in console_poll.get_json()["messages"]] == [("咨询人", "谢谢")]

    closed = _post(agent_client, f"/hotline/chat/{conversation}/close", {}, f"/hotline/chat/{conversation}")
    assert closed.status_code == 302
    assert poll(client)["status"] == "closed"
    assert "本次会话已结束" in client.get("/consult/chat/").get_data(as_text=True)
    # The transcript stays readable on the console.
    transcript = agent_client.get(f"/hotline/chat/{conversation}").get_data(as_text=True)
    assert "谢谢" in transcript and "已结束" in transcript
    with app.app_context():
        details = get_session().scalars(select(AuditEntry.detail).where(AuditEntry.action == AuditAction.CHAT_HANDLED,
                                        AuditEntry.staff_id == agent_client.staff.id)).all()  # fmt: skip
    assert len(details) == 3


def test_a_second_agent_cannot_take_a_taken_conversation(client, agent_client, app, make_staff, database_url):
    conversation = open_chat(client)
    other = app.test_client()
    assert staff_login(other, database_url, make_staff(StaffRole.AGENT)).status_code == 302
    assert _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/").status_code == 302
    late = _post(other, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/")
    assert late.status_code == 409 and "已由其他坐席接入" in late.get_data(as_text=True)
    refused = _post(other, f"/hotline/chat/{conversation}/reply", {"text": "hi"}, f"/hotline/chat/{conversation}")
    assert refused.status_code == 409


def test_the_console_checks_roles(client, app, make_staff, database_url) -> None:
    assert "/hotline/login" in client.get("/hotline/chat/").headers["Location"]
    conversation = open_chat(client)
    supervisor = app.test_client()
    assert staff_login(supervisor, database_url, make_staff(StaffRole.SUPERVISOR)).status_code == 302
    assert supervisor.get("/hotline/chat/").status_code == 200  # reads the queue and transcripts
    assert _post(supervisor, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/").status_code == 403
    clerk = app.test_client()
    assert staff_login(clerk, database_url, make_staff(StaffRole.HALL)).status_code == 302
    assert clerk.get("/hotline/chat/").status_code == 403


def _caller(database_url: str) -> tuple[str, str, str]:
    """A back-office person with a phone of their own (away from the ranges the hotline tests take)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id_number, name, phone FROM bo_person WHERE phone <> '' ORDER BY id")).all()
    engine.dispose()
    phones = [r.phone for r in rows]
    return tuple([r for r in rows if phones.count(r.phone) == 1][85])


def test_the_agent_sees_nothing_personal_until_the_caller_check_passes(client, agent_client, app, database_url,
                                                                         sandbox_url) -> None:  # fmt: skip
    id_number, name, phone = _caller(database_url)
    conversation = open_chat(client, f"我叫{name}，想查缴费记录")
    page = f"/hotline/chat/{conversation}"
    _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/")
    before = agent_client.get(page).get_data(as_text=True)
    assert "未核验" in before and id_number[:6] + "********" not in before
    wrong = _post(agent_client, f"{page}/verify", {"doc_type": "resident_id", "id_number": id_number, "name": "错名字"},
                  page)  # fmt: skip
    assert wrong.status_code == 400 and "不一致" in wrong.get_data(as_text=True)
    sent = _post(
        agent_client, f"{page}/verify", {"doc_type": "resident_id", "id_number": id_number, "name": name}, page
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    told = [m["text"] for m in poll(client)["messages"] if m["sender"] == "system"]
    assert any("验证码已发送至" in t and phone[-4:] in t for t in told)
    texts = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()["messages"]
    code = re.search(r"验证码(\d{6})", texts[-1]["text"]).group(1)
    _post(client, "/consult/chat/send", {"text": code}, "/consult/chat/")  # the person writes it back
    bad = _post(agent_client, f"{page}/verify/code", {"code": "000000" if code != "000000" else "111111"}, page)
    assert bad.status_code == 400
    done = _post(agent_client, f"{page}/verify/code", {"code": code}, page)
    assert done.status_code == 302 and "verified=1" in done.headers["Location"]
    after = agent_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "坐席核验" in after and id_number[:3] in after and id_number not in after  # masked
    assert "为该咨询人查询和办理" in after
    assert agent_client.get("/hotline/callers/caller").status_code == 200  # the usual delegation started
    with app.app_context():
        row = get_session().get(ChatConversation, conversation)
        assert row.verified_person_id is not None and row.verified_by.value == "caller_check"
        actions = (
            get_session().scalars(select(AuditEntry.action).where(AuditEntry.staff_id == agent_client.staff.id)).all()
        )
    assert AuditAction.CALLER_VERIFIED in actions and AuditAction.PERSON_SEARCHED in actions


def test_a_person_logged_in_at_level_2_is_shown_as_verified_and_told_of_the_end(client, agent_client, app,
                                                                                 person) -> None:  # fmt: skip
    login(client, person.id_number)
    step_up(client, 2)
    assert "客服可以直接为您查询个人信息" in client.get("/consult/chat/").get_data(as_text=True)
    conversation = open_chat(client)
    _post(agent_client, f"/hotline/chat/{conversation}/take", {}, "/hotline/chat/")
    view = agent_client.get(f"/hotline/chat/{conversation}").get_data(as_text=True)
    assert "已登录（二级及以上安全级别）" in view and "核验咨询人身份" not in view
    _post(agent_client, f"/hotline/chat/{conversation}/close", {}, f"/hotline/chat/{conversation}")
    with app.app_context():
        keys = get_session().scalars(select(NotifyMessage.idempotency_key).where(
            NotifyMessage.idempotency_key.like(f"chat-{conversation}-%"))).all()  # fmt: skip
    assert keys and all(k == f"chat-{conversation}-closed" for k in keys)


def test_a_person_may_end_the_chat_and_start_again(client) -> None:
    open_chat(client)
    assert _post(client, "/consult/chat/close", {}, "/consult/chat/").status_code == 302
    html = client.get("/consult/chat/").get_data(as_text=True)
    assert "您已结束本次会话" in html and "重新发起咨询" in html
    refused = _post(client, "/consult/chat/send", {"text": "还在吗"}, "/consult/chat/")
    assert refused.status_code == 409
    _post(client, "/consult/chat/new", {}, "/consult/chat/")
    assert "转人工咨询" in client.get("/consult/chat/").get_data(as_text=True)
    assert client.get("/consult/chat/poll").status_code == 404


def test_empty_and_long_messages_are_refused_in_chinese(client) -> None:
    open_chat(client)
    empty = _post(client, "/consult/chat/send", {"text": "  "}, "/consult/chat/")
    assert empty.status_code == 400 and "请输入要发送的内容" in empty.get_data(as_text=True)
    long = _post(client, "/consult/chat/send", {"text": "长" * 501}, "/consult/chat/")
    assert long.status_code == 400 and "不能超过500个字" in long.get_data(as_text=True)


def test_outside_service_hours_the_mailbox_is_offered(settings) -> None:
    app = create_app(dataclasses.replace(settings, chat_hours="workdays 08:30-17:30"))
    app.config["TESTING"] = True
    try:
        with clock.set_clock(clock.FixedClock(datetime(2026, 12, 5, 10, 0))):  # a Saturday, Beijing time
            client = app.test_client()
            page = client.get("/consult/chat/").get_data(as_text=True)
            assert "现在不在人工在线服务时间内" in page and "/consult/#write" in page and "转人工咨询" not in page
            token = csrf_token(client.get("/consult/").get_data(as_text=True))
            refused = client.post("/consult/chat/", data={"csrf_token": token})
            assert refused.status_code == 409 and "在线留言" in refused.get_data(as_text=True)
            hours = client.get("/api/v1/chat/hours").get_json()
            assert hours == {"open": False, "hours": "法定工作日 8:30—17:30（北京时间）",
                             "agent_online": hours["agent_online"]}  # fmt: skip
            assert isinstance(hours["agent_online"], bool)
            api = client.post("/api/v1/chat/conversations", json={})
            assert api.status_code == 409 and api.get_json()["error"]["code"] == "outside_hours"
    finally:
        app.extensions["shebao_engine"].dispose()


def test_a_wrong_hours_setting_stops_the_gateway_at_start(settings) -> None:
    from gateway.chat.hours import HoursError

    with pytest.raises(HoursError, match="SHEBAO_CHAT_HOURS"):
        create_app(dataclasses.replace(settings, chat_hours="9-5"))


# ---------------------------------------------------------------- the API


def test_the_api_opens_polls_posts_and_closes_with_the_token(client, agent_client) -> None:
    opened = client.post(
        "/api/v1/chat/conversations", json={"text": "养老保险怎么转移？"}, headers={"X-Shebao-Channel": "miniprogram"}
    )
    assert opened.status_code == 201 and opened.headers["Cache-Control"] == "no-store"
    body = opened.get_json()
    ident, token = body["id"], body["token"]
    assert (
        body["status"] == "waiting" and body["position"] >= 1 and body["messages"][-1]["text"] == "养老保险怎么转移？"
    )
    path = f"/api/v1/chat/conversations/{ident}"
    assert client.get(path).status_code == 404  # the id alone opens nothing
    assert client.get(path, headers={"X-Chat-Token": "wrong"}).get_json()["error"]["code"] == "chat_not_found"
    _post(agent_client, f"/hotline/chat/{ident}/take", {}, "/hotline/chat/")
    _post(agent_client, f"/hotline/chat/{ident}/reply", {"text": "可在网上申请转移。"}, f"/hotline/chat/{ident}")
    polled = client.get(f"{path}?since={body['last_id']}", headers={"X-Chat-Token": token})
    assert polled.status_code == 200 and polled.headers["Cache-Control"] == "no-store"
    state = polled.get_json()
    assert state["status"] == "active" and [m["sender"] for m in state["messages"]] == ["system", "agent"]
    assert state["messages"][-1]["at"].endswith("+08:00")
    sent = client.post(f"{path}/messages", json={"text": "好的"}, headers={"X-Chat-Token": token})
    assert sent.status_code == 201 and sent.get_json()["text"] == "好的"
    assert client.post(f"{path}/messages", json={"text": ""}, headers={"X-Chat-Token": token}).status_code == 400
    assert client.get(f"{path}?since=-1", headers={"X-Chat-Token": token}).status_code == 400
    closed = client.post(f"{path}/close", headers={"X-Chat-Token": token})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    again = client.post(f"{path}/messages", json={"text": "在吗"}, headers={"X-Chat-Token": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "chat_closed"
    assert client.get("/api/v1/chat/conversations/99999999999", headers={"X-Chat-Token": token}).status_code == 404


def test_the_api_operations_are_declared(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    ops = {op["operationId"]: op for path in doc["paths"].values() for op in path.values() if "operationId" in op}
    for name in ("openChat", "pollChat", "postChatMessage", "closeChat", "chatHours"):
        op = ops[name]
        assert op["tags"] == ["在线人工咨询"] and op["security"] == []
        success = next(a for s, a in op["responses"].items() if s.startswith("2"))
        assert "Cache-Control" in success["headers"]
        assert any("example" in c for c in success["content"].values())
    assert any(p["name"] == "X-Chat-Token" and p["in"] == "header" for p in ops["pollChat"]["parameters"])


def test_a_logged_in_person_finds_their_open_chat_on_another_device(app, person) -> None:
    phone, laptop = app.test_client(), app.test_client()
    login(phone, person.id_number)
    open_chat(phone, "在手机上开始的咨询")
    login(laptop, person.id_number)
    assert "在手机上开始的咨询" in laptop.get("/consult/chat/").get_data(as_text=True)
    assert _post(laptop, "/consult/chat/close", {}, "/consult/chat/").status_code == 302
    assert "转人工咨询" in laptop.get("/consult/chat/").get_data(as_text=True)  # closed: a new one may begin
