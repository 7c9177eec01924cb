"""Agents' presence and capacity in live chat (LD/T 01 5.5.2 b "several agents and several conversations at
once"): an agent marks themselves available or away in the console, a person is told whether any agent is online
along with their place in the queue, and no agent serves more than SHEBAO_CHAT_AGENT_CAPACITY conversations at
once — enforced in the conditional UPDATE that takes a conversation, so two takes by one agent at the same
moment (two tabs, two gateway nodes) cannot pass it either, on SQLite and on the PostgreSQL lane."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.chat import service
from gateway.chat.models import AgentPresence, ChatStatus
from gateway.chat.service import ChatRefused
from gateway.config import ConfigError, Settings
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from tests.chat.test_service import ALWAYS, ANONYMOUS, VAULT, agent
from tests.conftest import csrf_token, staff_login


def _waiting(sessions, count: int) -> list[int]:
    with sessions() as s:
        ids = [service.open_chat(s, VAULT, ANONYMOUS, ALWAYS, channel="web", now=clock.now())[0].id
               for _ in range(count)]  # fmt: skip
        s.commit()
    return ids


def test_an_agent_serves_at_most_the_capacity_and_may_take_again_after_closing(app, make_staff) -> None:
    sessions = app.extensions["shebao_sessionmaker"]
    me = agent(make_staff(StaffRole.AGENT).id)
    first, second, third = _waiting(sessions, 3)
    with sessions() as s:
        service.take(s, VAULT, me, first, now=clock.now(), capacity=2)
        service.take(s, VAULT, me, second, now=clock.now(), capacity=2)
        s.commit()
        with pytest.raises(ChatRefused) as refused:
            service.take(s, VAULT, me, third, now=clock.now(), capacity=2)
        assert refused.value.code == "at_capacity" and refused.value.status == 409
        assert "同时服务2个会话" in refused.value.message
        s.rollback()
        assert s.get(service.ChatConversation, third).status is ChatStatus.WAITING  # still in the queue
        assert service.serving(s, me.staff_id) == 2
        # Another agent takes it; or, once this agent closes one, they may.
        service.close_by_agent(s, VAULT, me, first, now=clock.now())
        service.take(s, VAULT, me, third, now=clock.now(), capacity=2)
        s.commit()
        assert service.serving(s, me.staff_id) == 2


def test_one_agent_taking_two_conversations_at_once_stays_within_the_capacity(app, make_staff) -> None:
    """Two sessions (two tabs of one agent on two gateway workers) race for the agent's last free place: the
    agent's row lock and the count inside the conditional UPDATE let exactly one through."""
    sessions = app.extensions["shebao_sessionmaker"]
    me = agent(make_staff(StaffRole.AGENT).id)
    busy, *racing = _waiting(sessions, 3)
    with sessions() as s:
        service.take(s, VAULT, me, busy, now=clock.now(), capacity=2)
        s.commit()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def race(conversation_id: int) -> None:
        with sessions() as s:
            start.wait()
            try:
                service.take(s, VAULT, me, conversation_id, now=clock.now(), capacity=2)
                s.commit()
                outcomes.append("taken")
            except ChatRefused as refused:
                s.rollback()
                outcomes.append(refused.code)

    threads = [threading.Thread(target=race, args=(c,)) for c in racing]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["at_capacity", "taken"]
    with sessions() as s:
        assert service.serving(s, me.staff_id) == 2
        statuses = sorted(s.get(service.ChatConversation, c).status.value for c in racing)
        assert statuses == ["active", "waiting"]


def test_presence_tells_whether_an_agent_is_online(app, make_staff) -> None:
    sessions = app.extensions["shebao_sessionmaker"]
    me = agent(make_staff(StaffRole.AGENT).id)
    now = clock.now()
    with sessions() as s:
        before = service.agents_online(s, now=now)
        service.set_presence(s, me, True, now=now)
        s.commit()
        assert service.agents_online(s, now=now) == before + 1
        # The console open keeps them online; a console closed for longer than ONLINE_WITHIN does not.
        later = now + service.ONLINE_WITHIN + timedelta(seconds=1)
        row = s.get(AgentPresence, me.staff_id)
        assert row.seen_at < later - service.ONLINE_WITHIN
        service.console_seen(s, me.staff_id, now=later)
        assert s.get(AgentPresence, me.staff_id).seen_at == later
        service.set_presence(s, me, False, now=later)
        s.commit()
        assert s.get(AgentPresence, me.staff_id).available is False
        service.console_seen(s, me.staff_id, now=later + timedelta(minutes=1))  # away: not renewed
        assert s.get(AgentPresence, me.staff_id).seen_at == later
        details = list(
            s.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.staff_id == me.staff_id, AuditEntry.action == AuditAction.CHAT_HANDLED
                )
            )
        )
        assert details == ["在线咨询：坐席设为在线", "在线咨询：坐席设为离开"]


def test_taking_a_conversation_marks_the_agent_available(app, make_staff) -> None:
    sessions = app.extensions["shebao_sessionmaker"]
    me = agent(make_staff(StaffRole.AGENT).id)
    [waiting] = _waiting(sessions, 1)
    with sessions() as s:
        assert service.presence(s, me.staff_id) is None
        service.take(s, VAULT, me, waiting, now=clock.now())
        s.commit()
        assert service.presence(s, me.staff_id).available is True


def test_the_capacity_setting_is_read_and_checked(monkeypatch) -> None:
    assert Settings().chat_agent_capacity == 3
    monkeypatch.setenv("SHEBAO_CHAT_AGENT_CAPACITY", "5")
    assert Settings.from_env().chat_agent_capacity == 5
    for bad in ("0", "11", "three"):
        monkeypatch.setenv("SHEBAO_CHAT_AGENT_CAPACITY", bad)
        with pytest.raises(ConfigError):
            Settings.from_env()


# ---------------------------------------------------------------- over HTTP


def test_the_console_marks_presence_and_the_person_is_told(app, make_staff, database_url) -> None:
    console, person = app.test_client(), app.test_client()
    staff = make_staff(StaffRole.AGENT, name="在线状态坐席")
    assert staff_login(console, database_url, staff).status_code == 302
    queue = console.get("/hotline/chat/").get_data(as_text=True)
    assert "离开：不计入在线客服" in queue and "设为在线" in queue
    assert '正在服务 <strong id="my-serving">0</strong> / 3' in queue
    done = console.post("/hotline/chat/presence", data={"available": "1", "csrf_token": csrf_token(queue)})
    assert done.status_code == 302
    queue = console.get(done.headers["Location"]).get_data(as_text=True)
    assert "在线：群众可看到有客服在线" in queue and "设为离开" in queue

    hours = person.get("/api/v1/chat/hours").get_json()
    assert hours["open"] is True and hours["agent_online"] is True
    assert "目前有客服在线" in person.get("/consult/chat/").get_data(as_text=True)
    opened = person.post("/api/v1/chat/conversations", json={"text": "有人在吗"})
    assert opened.status_code == 201
    body = opened.get_json()
    assert body["status"] == "waiting" and body["position"] >= 1 and body["agent_online"] is True

    # An agent cannot be made away by anyone else's request, and a person cannot mark presence at all.
    assert person.post("/hotline/chat/presence", data={"available": "1"}).status_code in (302, 400, 401, 403)
    with app.app_context():
        from gateway.request_db import get_session

        row = get_session().get(AgentPresence, staff.id)
        assert row.available is True


def test_logging_out_of_the_console_takes_the_agent_offline(app, make_staff, database_url) -> None:
    console = app.test_client()
    staff = make_staff(StaffRole.AGENT)
    staff_login(console, database_url, staff)
    queue = console.get("/hotline/chat/").get_data(as_text=True)
    console.post("/hotline/chat/presence", data={"available": "1", "csrf_token": csrf_token(queue)})
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        assert s.get(AgentPresence, staff.id).available is True
    home = console.get("/hotline/").get_data(as_text=True)
    assert console.post("/hotline/logout", data={"csrf_token": csrf_token(home)}).status_code == 302
    with sessions() as s:
        assert s.get(AgentPresence, staff.id).available is False


def test_the_console_refuses_a_take_over_the_capacity(settings, make_staff, database_url) -> None:
    import dataclasses

    from gateway import create_app

    app = create_app(dataclasses.replace(settings, chat_agent_capacity=1))
    try:
        sessions = app.extensions["shebao_sessionmaker"]
        first, second = _waiting(sessions, 2)
        console = app.test_client()
        staff_login(console, database_url, make_staff(StaffRole.AGENT))
        page = console.get(f"/hotline/chat/{first}").get_data(as_text=True)
        assert console.post(f"/hotline/chat/{first}/take", data={"csrf_token": csrf_token(page)}).status_code == 302
        page = console.get(f"/hotline/chat/{second}").get_data(as_text=True)
        refused = console.post(f"/hotline/chat/{second}/take", data={"csrf_token": csrf_token(page)})
        assert refused.status_code == 409 and "同时服务1个会话" in refused.get_data(as_text=True)
        queue = console.get("/hotline/chat/").get_data(as_text=True)
        assert '正在服务 <strong id="my-serving">1</strong> / 1' in queue
    finally:
        app.extensions["shebao_engine"].dispose()


def test_with_nobody_online_the_person_may_queue_and_is_offered_the_mailbox(app, client) -> None:
    """Every agent away (the presence rows of earlier tests included): the person is told, on the web page, in the
    hours answer and while waiting, and may still queue."""
    from sqlalchemy import update

    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        s.execute(update(AgentPresence).values(available=False))
        s.commit()
    page = client.get("/consult/chat/").get_data(as_text=True)
    assert "目前暂无客服在线" in page and 'href="/consult/#write"' in page
    assert client.get("/api/v1/chat/hours").get_json()["agent_online"] is False
    opened = client.post("/api/v1/chat/conversations", json={"text": "没人在吗"})
    assert opened.status_code == 201 and opened.get_json()["agent_online"] is False
    web = app.test_client()
    start = web.get("/consult/chat/").get_data(as_text=True)
    assert web.post("/consult/chat/", data={"text": "请问有人吗", "csrf_token": csrf_token(start)}).status_code == 302
    waiting = web.get("/consult/chat/").get_data(as_text=True)
    assert "排在第" in waiting and "目前暂无客服在线，您可以继续等候，或改为在线留言。" in waiting
    assert web.get("/consult/chat/poll").get_json()["agent_online"] is False
