"""The live chat rules without HTTP (LD/T 01 5.5.2 b): service hours on the holiday calendar, the place in the
queue, the atomic take (two agents at once: exactly one wins — on SQLite and on the PostgreSQL lane), replies and
closing, encryption at rest, and who counts as verified."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.actor import Actor, ActorKind
from gateway.catalog.model import Channel
from gateway.chat import service
from gateway.chat.hours import HoursError, ServiceHours
from gateway.chat.models import ChatMessage, ChatStatus, ClosedBy, Sender
from gateway.chat.service import ChatRefused
from gateway.identity.service import Identity
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from tests.conftest import TEST_SECRET

VAULT = PiiVault(TEST_SECRET)
ALWAYS = ServiceHours.parse("daily 00:00-24:00")
ANONYMOUS = Actor(channel=Channel.WEB)
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=clock.BEIJING)  # a Monday, a working day


def agent(staff_id: int) -> Actor:
    return Actor(channel=Channel.HOTLINE, kind=ActorKind.STAFF, level=2, staff_id=staff_id,
                 staff_roles=frozenset({StaffRole.AGENT}))  # fmt: skip


@pytest.fixture
def db(app):
    with app.app_context():
        sessions = app.extensions["shebao_sessionmaker"]
        with sessions() as session:
            yield session
            session.rollback()


# ---------------------------------------------------------------- hours


def test_default_hours_are_working_days_in_beijing_time() -> None:
    hours = ServiceHours.parse(None)
    assert hours.is_open(datetime(2026, 12, 7, 8, 30, tzinfo=clock.BEIJING))  # Monday 8:30
    assert not hours.is_open(datetime(2026, 12, 7, 8, 29, tzinfo=clock.BEIJING))
    assert not hours.is_open(datetime(2026, 12, 7, 17, 30, tzinfo=clock.BEIJING))
    # 09:00 in Beijing is 01:00 UTC: the rule reads Beijing wall-clock time, whatever zone the instant is in.
    assert hours.is_open(datetime(2026, 12, 7, 1, 0, tzinfo=clock.UTC))
    assert not hours.is_open(datetime(2026, 12, 5, 10, 0, tzinfo=clock.BEIJING))  # a Saturday
    assert not hours.is_open(datetime(2026, 10, 1, 10, 0, tzinfo=clock.BEIJING))  # National Day, a Thursday
    assert hours.is_open(datetime(2026, 9, 20, 10, 0, tzinfo=clock.BEIJING))  # a Sunday worked instead
    assert hours.label == "法定工作日 8:30—17:30（北京时间）"


def test_hours_are_configurable_and_a_bad_value_is_refused() -> None:
    always = ServiceHours.parse("daily 00:00-24:00")
    assert always.is_open(datetime(2026, 12, 5, 23, 59, tzinfo=clock.BEIJING)) and always.label.startswith("每天")
    for bad in ("weekdays 9:00-17:00", "daily 18:00-09:00", "daily 9:00-25:00", "daily 9:70-10:00"):
        with pytest.raises(HoursError):
            ServiceHours.parse(bad)


def test_outside_hours_a_chat_is_refused_and_the_mailbox_offered(db) -> None:
    with pytest.raises(ChatRefused) as refused:
        service.open_chat(db, VAULT, ANONYMOUS, ServiceHours.parse(None), channel="web",
                          now=datetime(2026, 12, 5, 10, 0, tzinfo=clock.BEIJING))  # fmt: skip
    assert refused.value.code == "outside_hours" and "在线留言" in refused.value.message


# ---------------------------------------------------------------- the queue


def test_the_place_in_the_queue_counts_those_still_waiting_ahead(make_staff, db) -> None:
    taker = agent(make_staff(StaffRole.AGENT).id)
    one, _ = service.open_chat(db, VAULT, ANONYMOUS, ALWAYS, channel="web", now=T0)
    two, _ = service.open_chat(db, VAULT, ANONYMOUS, ALWAYS, channel="web", now=T0 + timedelta(seconds=5))
    three, _ = service.open_chat(db, VAULT, ANONYMOUS, ALWAYS, channel="web", now=T0 + timedelta(seconds=9))
    ahead = service.position(db, three, now=T0 + timedelta(seconds=10))
    assert service.position(db, two, now=T0 + timedelta(seconds=10)) == ahead - 1
    service.take(db, VAULT, taker, one.id, now=T0 + timedelta(seconds=20))
    assert service.position(db, one, now=T0) is None
    assert service.position(db, three, now=T0 + timedelta(seconds=20)) == ahead - 1
    # Two who stopped polling long ago leave the queue: the one still here moves up.
    service.poll(db, VAULT, three, now=T0 + timedelta(minutes=4))
    assert service.position(db, three, now=T0 + timedelta(minutes=4)) < ahead - 1
    assert service.expire_abandoned(db, now=T0 + timedelta(minutes=4)) >= 1
    db.refresh(two)
    assert two.status is ChatStatus.CLOSED and two.closed_by is ClosedBy.ABANDONED
    db.refresh(three)
    assert three.status is ChatStatus.WAITING


def test_messages_are_encrypted_at_rest_and_polled_since_an_id(db) -> None:
    row, token = service.open_chat(db, VAULT, ANONYMOUS, ALWAYS, channel="web", now=T0, first="我的电话13800138000")
    stored = db.scalars(select(ChatMessage.text_enc).where(ChatMessage.conversation_id == row.id)).all()
    assert stored and not any("13800138000" in s or "电话" in s for s in stored)
    state = service.poll(db, VAULT, row, now=T0)
    assert [m.sender for m in state.messages] == [Sender.SYSTEM, Sender.PERSON]
    assert service.poll(db, VAULT, row, state.last_id, now=T0).messages == ()
    assert service.find(db, VAULT, row.id, token) is row
    for wrong in ("", "x" * 32):
        with pytest.raises(ChatRefused):
            service.find(db, VAULT, row.id, wrong)
    with pytest.raises(ChatRefused):
        service.find(db, VAULT, 2**40, token)


def test_a_person_logged_in_at_level_2_is_verified_at_once_and_level_1_is_not(db, person) -> None:
    from gateway.identity.service import find_person

    found = find_person(db, VAULT, person.id_number)
    who = Identity(person_id=found.id, id_number=person.id_number, name=person.name)
    strong, _ = service.open_chat(db, VAULT, Actor(channel=Channel.WEB, kind=ActorKind.PERSON, level=2, person=who),
                                  ALWAYS, channel="web", now=T0)  # fmt: skip
    weak, _ = service.open_chat(db, VAULT, Actor(channel=Channel.WEB, kind=ActorKind.PERSON, level=1, person=who),
                                ALWAYS, channel="web", now=T0)  # fmt: skip
    assert strong.verified_person_id == found.id and strong.verified_by.value == "login"
    assert weak.person_id == found.id and weak.verified_person_id is None


# ---------------------------------------------------------------- agents


def test_only_the_agent_who_took_it_replies_and_closing_is_audited(make_staff, db) -> None:
    first, second = agent(make_staff(StaffRole.AGENT).id), agent(make_staff(StaffRole.AGENT).id)
    row, _ = service.open_chat(db, VAULT, ANONYMOUS, ALWAYS, channel="web", now=T0)
    with pytest.raises(ChatRefused, match="请先接入"):
        service.reply(db, VAULT, first, row.id, "您好", now=T0)
    service.take(db, VAULT, first, row.id, now=T0)
    with pytest.raises(ChatRefused) as taken:
        service.take(db, VAULT, second, row.id, now=T0)
    assert taken.value.code == "already_taken" and taken.value.status == 409
    with pytest.raises(ChatRefused, match="其他坐席"):
        service.reply(db, VAULT, second, row.id, "您好", now=T0)
    service.reply(db, VAULT, first, row.id, "您好，请讲。", now=T0)
    service.close_by_agent(db, VAULT, first, row.id, now=T0)
    assert row.status is ChatStatus.CLOSED and row.closed_by is ClosedBy.AGENT
    with pytest.raises(ChatRefused, match="已结束"):
        service.post(db, VAULT, row, "还在吗", now=T0)
    texts = [m.text for m in service.messages(db, VAULT, row)]
    assert "您好，请讲。" in texts and texts[-1].startswith("坐席已结束")  # the transcript stays
    details = db.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.action == AuditAction.CHAT_HANDLED, AuditEntry.staff_id == first.staff_id
        )
    ).all()
    assert [d.split("：")[1] for d in details] == ["接入", "回复", "结束"]


def test_two_agents_taking_one_conversation_at_once_one_wins(app, make_staff) -> None:
    """Two sessions (as two gateway workers) race: the conditional UPDATE lets exactly one take it."""
    agents = [agent(make_staff(StaffRole.AGENT).id) for _ in range(2)]
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        row, _ = service.open_chat(s, VAULT, ANONYMOUS, ALWAYS, channel="web", now=clock.now())
        s.commit()
        conversation = row.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def race(actor: Actor) -> None:
        with sessions() as s:
            start.wait()
            try:
                service.take(s, VAULT, actor, conversation, now=clock.now())
                s.commit()
                outcomes.append("taken")
            except ChatRefused as refused:
                s.rollback()
                outcomes.append(refused.code)

    threads = [threading.Thread(target=race, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["already_taken", "taken"]
    with sessions() as s:
        row = service.staff_conversation(s, conversation)
        assert row.status is ChatStatus.ACTIVE and row.staff_id in {a.staff_id for a in agents}
        takes = s.scalars(select(ChatMessage).where(ChatMessage.conversation_id == conversation)).all()
        assert sum(1 for m in takes if m.sender is Sender.SYSTEM) == 2  # queued + one "已接入", not two


# ---------------------------------------------------------------- key rotation


def test_a_chat_opened_before_a_key_rotation_stays_open_until_the_old_key_is_dropped(db) -> None:
    """The secret the browser holds is stored as a keyed hash: after SHEBAO_SECRET_KEY is rotated with the old one
    as a fallback the chat still opens (issue 19, docs/operations.md §6); once the fallback is gone it does not."""
    old, new = "chat-rotation-old-0123456789abcdefghijklmn", "chat-rotation-new-9876543210zyxwvutsrqpon"
    row, token = service.open_chat(db, PiiVault(old), ANONYMOUS, ALWAYS, channel="web", now=T0)
    assert service.find(db, PiiVault(new, (old,)), row.id, token).id == row.id
    with pytest.raises(ChatRefused):
        service.find(db, PiiVault(new), row.id, token)
