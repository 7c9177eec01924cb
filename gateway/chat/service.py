"""The live chat use cases (LD/T 01 5.5.2 b), without Flask: a person opens a conversation within service hours and
waits in the queue; any agent takes it — atomically, so two agents never both take one —, replies, runs the
12333 caller verification before seeing anything personal, and closes it; the transcript stays readable by staff.

All state is in the database (no process memory): any worker of any gateway node answers any poll. Services
flush; the request boundary commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from gateway import clock
from gateway.actor import Actor, audit
from gateway.chat.hours import ServiceHours
from gateway.chat.models import (
    AgentPresence,
    ChatConversation,
    ChatMessage,
    ChatStatus,
    ClosedBy,
    Sender,
    VerifiedBy,
)
from gateway.problems import UserError
from gateway.security.pii import PiiVault, Purpose
from gateway.staff.models import AuditAction, Staff
from notify import MessageKind, enqueue

TEXT_MAX = 500
#: A waiting conversation whose person has not asked for news this long has been left: it leaves the queue.
ABANDON_AFTER = timedelta(minutes=3)
#: ``seen_at`` is written at most this often (a poll every few seconds must not be a write every time).
SEEN_EVERY = timedelta(seconds=20)
#: A person who has not polled this long is away: an agent's reply is also sent to them through notify.
AWAY_AFTER = timedelta(minutes=2)
#: A logged-in person needs this assurance level to count as verified without the caller check.
VERIFIED_LEVEL = 2
NOT_FOUND = "没有找到该会话，或会话凭证不正确。"
#: How many conversations one agent serves at once unless the operator sets ``SHEBAO_CHAT_AGENT_CAPACITY``.
DEFAULT_CAPACITY = 3
#: An agent marked available whose console has not been open this long has left without saying so: not online.
ONLINE_WITHIN = timedelta(minutes=2)
MAX_MESSAGES = 400
#: Ids are 32-bit on PostgreSQL: a larger one names nothing (and must not reach the driver).
_MAX_ID = 2**31 - 1


class ChatRefused(UserError):
    """A chat request that cannot be done, with a Chinese message."""


@dataclass(frozen=True)
class MessageView:
    id: int
    at: datetime
    sender: Sender
    text: str


@dataclass(frozen=True)
class ChatState:
    """What a poll answers: the status, the place in the queue while waiting and the messages after ``since``."""

    conversation: ChatConversation
    position: int | None
    messages: tuple[MessageView, ...]
    #: While waiting: whether any agent is online now (a person waiting with nobody online is told so).
    agent_online: bool | None = None

    @property
    def last_id(self) -> int:
        return self.messages[-1].id if self.messages else 0


def _number(now: datetime) -> str:
    return f"LT{clock.beijing(now):%Y%m%d}{secrets.randbelow(10**6):06d}"


def _text(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise ChatRefused("empty_text", "请输入要发送的内容。", 400)
    if len(text) > TEXT_MAX:
        raise ChatRefused("text_too_long", f"每条消息不能超过{TEXT_MAX}个字。", 400)
    return text


def _say(session: Session, vault: PiiVault, row: ChatConversation, sender: Sender, text: str, now: datetime,
         staff_id: int | None = None) -> ChatMessage:  # fmt: skip
    count = session.scalar(select(func.count(ChatMessage.id)).where(ChatMessage.conversation_id == row.id)) or 0
    if count >= MAX_MESSAGES:
        raise ChatRefused("too_many_messages", "本次会话消息过多，请结束后重新发起或在线留言。", 409)
    message = ChatMessage(
        conversation_id=row.id,
        at=clock.utc(now),
        sender=sender,
        staff_id=staff_id,
        text_enc=vault.encrypt(text, Purpose.CHAT_MESSAGE, str(row.id)),
    )
    session.add(message)
    session.flush()
    return message


# ---------------------------------------------------------------- the person's side


def open_chat(
    session: Session, vault: PiiVault, actor: Actor, hours: ServiceHours, *, channel: str, now: datetime,
    first: str | None = None,
) -> tuple[ChatConversation, str]:  # fmt: skip
    """Open a conversation in the queue; returns it and the secret that opens it again (kept by the browser or
    app, stored here only as a keyed hash). Outside service hours it is refused: the mailbox is offered instead.
    A person logged in at level 2 or above counts as verified. Flushes."""
    now = clock.utc(now)
    if not hours.is_open(now):
        raise ChatRefused(
            "outside_hours", f"人工在线服务时间为{hours.label}，现在无法接入。请在线留言，我们会按时答复。", 409
        )
    first_text = _text(first) if first is not None and first.strip() else None
    person = actor.person
    verified = person is not None and actor.level >= VERIFIED_LEVEL
    token = secrets.token_urlsafe(24)
    number = _number(now)
    while session.scalar(select(ChatConversation.id).where(ChatConversation.number == number)) is not None:
        number = _number(now)
    row = ChatConversation(
        number=number,
        status=ChatStatus.WAITING,
        channel=channel,
        token_digest=vault.digest(f"chat:{token}"),
        opened_at=now,
        seen_at=now,
        person_id=person.person_id if person else None,
        verified_person_id=person.person_id if verified else None,
        verified_by=VerifiedBy.LOGIN if verified else None,
        verified_at=now if verified else None,
    )
    session.add(row)
    session.flush()
    _say(session, vault, row, Sender.SYSTEM, "您已进入人工服务排队，坐席接入后会在这里回复您。", now)
    if first_text:
        _say(session, vault, row, Sender.PERSON, first_text, now)
    return row, token


def find(session: Session, vault: PiiVault, conversation_id: int | str, token: str | None) -> ChatConversation:
    """The conversation its secret opens (one answer for an unknown id and a wrong secret)."""
    try:
        wanted = int(conversation_id)
    except (TypeError, ValueError):
        wanted = 0
    row = session.get(ChatConversation, wanted) if 0 < wanted <= _MAX_ID else None
    # Any of the secret's digests: a chat opened just before a key rotation stays open (docs/operations.md §6).
    if (
        row is None
        or not token
        or not any(secrets.compare_digest(row.token_digest, digest) for digest in vault.digests(f"chat:{token}"))
    ):
        raise ChatRefused("chat_not_found", NOT_FOUND, 404)
    return row


def own_latest(session: Session, person_id: int) -> ChatConversation | None:
    """A logged-in person's newest conversation that is not closed (how they find it from another device)."""
    return session.scalar(
        select(ChatConversation)
        .where(ChatConversation.person_id == person_id, ChatConversation.status != ChatStatus.CLOSED)
        .order_by(ChatConversation.id.desc())
        .limit(1)
    )


def _not_closed(row: ChatConversation) -> None:
    if row.status is ChatStatus.CLOSED:
        raise ChatRefused("chat_closed", "本次会话已结束。如需继续咨询，请重新发起。", 409)


def post(session: Session, vault: PiiVault, row: ChatConversation, text: str, *, now: datetime) -> MessageView:
    """The person writes. Flushes."""
    _not_closed(row)
    cleaned = _text(text)
    message = _say(session, vault, row, Sender.PERSON, cleaned, now)
    row.seen_at = clock.utc(now)
    session.flush()
    return MessageView(message.id, message.at, message.sender, cleaned)


def _abandon_cutoff(now: datetime) -> datetime:
    return clock.utc(now) - ABANDON_AFTER


def position(session: Session, row: ChatConversation, *, now: datetime) -> int | None:
    """The place in the queue (1 = next), counting only conversations still waiting and not left; None once
    taken or closed."""
    if row.status is not ChatStatus.WAITING:
        return None
    ahead = session.scalar(
        select(func.count(ChatConversation.id)).where(
            ChatConversation.status == ChatStatus.WAITING,
            ChatConversation.seen_at >= _abandon_cutoff(now),
            or_(
                ChatConversation.opened_at < row.opened_at,
                and_(ChatConversation.opened_at == row.opened_at, ChatConversation.id < row.id),
            ),
        )
    )
    return int(ahead or 0) + 1


def messages(session: Session, vault: PiiVault, row: ChatConversation, since: int = 0) -> tuple[MessageView, ...]:
    """The messages after id ``since``, oldest first, decrypted."""
    found = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == row.id, ChatMessage.id > max(0, since))
        .order_by(ChatMessage.id)
    )
    return tuple(
        MessageView(m.id, m.at, m.sender, vault.decrypt(m.text_enc, Purpose.CHAT_MESSAGE, str(row.id))) for m in found
    )


def poll(session: Session, vault: PiiVault, row: ChatConversation, since: int = 0, *, now: datetime) -> ChatState:
    """The person asks for news: their place in the queue and the messages after ``since``. Marks them present
    (at most every few seconds a write)."""
    now = clock.utc(now)
    if row.status is not ChatStatus.CLOSED and now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
        session.flush()
    online = agents_online(session, now=now) > 0 if row.status is ChatStatus.WAITING else None
    return ChatState(row, position(session, row, now=now), messages(session, vault, row, since), online)


def close_by_person(session: Session, vault: PiiVault, row: ChatConversation, *, now: datetime) -> ChatConversation:
    """The person ends the conversation. Flushes."""
    if row.status is ChatStatus.CLOSED:
        return row
    if _close(session, row.id, ClosedBy.PERSON, now):
        _say(session, vault, row, Sender.SYSTEM, "您已结束本次会话。", now)
    session.refresh(row)
    return row


# ---------------------------------------------------------------- the console's side


def _close(session: Session, conversation_id: int, by: ClosedBy, now: datetime) -> bool:
    """Close it if still open (a conditional UPDATE: closing twice, or from two places, closes once)."""
    done = session.execute(
        update(ChatConversation)
        .where(ChatConversation.id == conversation_id, ChatConversation.status != ChatStatus.CLOSED)
        .values(status=ChatStatus.CLOSED, closed_at=clock.utc(now), closed_by=by)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def expire_abandoned(session: Session, *, now: datetime) -> int:
    """Close waiting conversations whose person stopped asking for news (they left the page). Flushes."""
    done = session.execute(
        update(ChatConversation)
        .where(ChatConversation.status == ChatStatus.WAITING, ChatConversation.seen_at < _abandon_cutoff(now))
        .values(status=ChatStatus.CLOSED, closed_at=clock.utc(now), closed_by=ClosedBy.ABANDONED)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount or 0


@dataclass(frozen=True)
class Queue:
    waiting: list[ChatConversation]
    active: list[ChatConversation]
    closed: list[ChatConversation]


def queue(session: Session, *, now: datetime, closed_limit: int = 20) -> Queue:
    """The console's queue: waiting ones oldest first, then those being served, then the newest closed ones
    (their transcripts). Left conversations are closed first."""
    expire_abandoned(session, now=now)

    def of(status: ChatStatus, *order):
        return list(session.scalars(select(ChatConversation).where(ChatConversation.status == status).order_by(*order)))

    closed = list(
        session.scalars(
            select(ChatConversation)
            .where(ChatConversation.status == ChatStatus.CLOSED)
            .order_by(ChatConversation.closed_at.desc(), ChatConversation.id.desc())
            .limit(closed_limit)
        )
    )
    return Queue(
        of(ChatStatus.WAITING, ChatConversation.opened_at, ChatConversation.id),
        of(ChatStatus.ACTIVE, ChatConversation.taken_at, ChatConversation.id),
        closed,
    )


def staff_conversation(session: Session, conversation_id: int) -> ChatConversation:
    row = session.get(ChatConversation, conversation_id) if 0 < conversation_id <= _MAX_ID else None
    if row is None:
        raise ChatRefused("chat_not_found", "没有找到该会话。", 404)
    return row


def _agent_label(session: Session, staff_id: int | None) -> str:
    staff = session.get(Staff, staff_id) if staff_id else None
    return f"工号{staff.username}" if staff else "坐席"


def _serving(staff_id: int | None):
    """How many conversations the agent serves now, as a scalar subquery (evaluated inside the UPDATE; over an
    alias, so it counts the agent's rows rather than correlating with the row being updated)."""
    other = aliased(ChatConversation)
    return (
        select(func.count(other.id))
        .where(other.staff_id == staff_id, other.status == ChatStatus.ACTIVE)
        .correlate(None)
        .scalar_subquery()
    )


def serving(session: Session, staff_id: int | None) -> int:
    return int(session.scalar(select(_serving(staff_id))) or 0)


def _lock_agent(session: Session, staff_id: int | None) -> None:
    """Take the agent's own row lock until commit (PostgreSQL; SQLite writes one at a time anyway): two takes by
    the same agent at once — two tabs, two gateway nodes — then count each other's conversation, so together they
    cannot pass the capacity. Other agents are not held up."""
    session.execute(select(Staff.id).where(Staff.id == staff_id).with_for_update())


def take(
    session: Session, vault: PiiVault, actor: Actor, conversation_id: int, *, now: datetime,
    capacity: int = DEFAULT_CAPACITY,
) -> ChatConversation:  # fmt: skip
    """An agent takes a waiting conversation. One conditional UPDATE decides: of two agents taking the same one
    at once, exactly one succeeds (the other's row no longer matches ``status = waiting``); and the same UPDATE
    counts the conversations the agent already serves, so no agent holds more than ``capacity`` at once. Taking
    one marks the agent available. Audited. Flushes."""
    now = clock.utc(now)
    _lock_agent(session, actor.staff_id)
    done = session.execute(
        update(ChatConversation)
        .where(
            ChatConversation.id == conversation_id,
            ChatConversation.status == ChatStatus.WAITING,
            _serving(actor.staff_id) < capacity,
        )
        .values(status=ChatStatus.ACTIVE, staff_id=actor.staff_id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    row = staff_conversation(session, conversation_id)
    session.refresh(row)
    if done.rowcount != 1:
        if row.status is ChatStatus.ACTIVE:
            raise ChatRefused("already_taken", "该会话已由其他坐席接入。", 409)
        if row.status is ChatStatus.WAITING:
            raise ChatRefused("at_capacity", f"您已在同时服务{capacity}个会话，请先结束其中一个再接入新的会话。", 409)
        raise ChatRefused("chat_closed", "该会话已结束。", 409)
    _present(session, actor.staff_id, True, now)
    _say(
        session,
        vault,
        row,
        Sender.SYSTEM,
        f"人工客服（{_agent_label(session, actor.staff_id)}）已接入，请问有什么可以帮您？",
        now,
    )
    audit(
        session,
        actor,
        AuditAction.CHAT_HANDLED,
        person_id=row.verified_person_id,
        detail=f"在线咨询 {row.number}：接入",
    )
    return row


def _mine(actor: Actor, row: ChatConversation) -> None:
    if row.status is ChatStatus.WAITING:
        raise ChatRefused("not_taken", "请先接入该会话。", 409)
    _not_closed(row)
    if row.staff_id != actor.staff_id:
        raise ChatRefused("not_yours", "该会话由其他坐席服务。", 409)


def reply(
    session: Session, vault: PiiVault, actor: Actor, conversation_id: int, text: str, *, now: datetime
) -> ChatMessage:
    """The agent who took the conversation answers. A person who left the page (logged in) is also told through
    notify, once per absence. Audited. Flushes."""
    now = clock.utc(now)
    row = staff_conversation(session, conversation_id)
    _mine(actor, row)
    message = _say(session, vault, row, Sender.AGENT, _text(text), now, actor.staff_id)
    audit(
        session,
        actor,
        AuditAction.CHAT_HANDLED,
        person_id=row.verified_person_id,
        detail=f"在线咨询 {row.number}：回复",
    )
    if row.person_id is not None and now - row.seen_at >= AWAY_AFTER:
        _tell(session, row, "坐席已回复", f"chat-{row.id}-away-{int(row.seen_at.timestamp())}")
    return message


def close_by_agent(
    session: Session, vault: PiiVault, actor: Actor, conversation_id: int, *, now: datetime
) -> ChatConversation:
    """The agent ends the conversation; its transcript stays with the person. Audited; a logged-in person is
    told. Flushes."""
    row = staff_conversation(session, conversation_id)
    _mine(actor, row)
    if _close(session, row.id, ClosedBy.AGENT, now):
        _say(session, vault, row, Sender.SYSTEM, "坐席已结束本次会话。感谢您的咨询，如需继续咨询可重新发起。", now)
        audit(
            session,
            actor,
            AuditAction.CHAT_HANDLED,
            person_id=row.verified_person_id,
            detail=f"在线咨询 {row.number}：结束",
        )
        if row.person_id is not None:
            _tell(session, row, "已结束", f"chat-{row.id}-closed")
    session.refresh(row)
    return row


def verification_sent(
    session: Session, vault: PiiVault, actor: Actor, conversation_id: int, masked_phone: str, *, now: datetime
) -> None:
    """Tell the person in the chat that the caller check's code went to their registered phone. Flushes."""
    row = staff_conversation(session, conversation_id)
    _mine(actor, row)
    text = f"为保护您的个人信息，坐席正在核验您的身份：验证码已发送至您在社保登记的手机 {masked_phone}，"
    _say(session, vault, row, Sender.SYSTEM, text + "请在对话中告诉坐席。", now)


def mark_verified(
    session: Session, vault: PiiVault, actor: Actor, conversation_id: int, person_id: int, *, now: datetime
) -> ChatConversation:
    """The caller check passed (``gateway.callers.verification`` audited it): the agent may now see who it is.
    Flushes."""
    row = staff_conversation(session, conversation_id)
    _mine(actor, row)
    row.verified_person_id = person_id
    row.verified_by = VerifiedBy.CALLER_CHECK
    row.verified_at = clock.utc(now)
    _say(session, vault, row, Sender.SYSTEM, "身份核验已通过。", now)
    session.flush()
    return row


def transcripts_of(session: Session, person_id: int, limit: int = 20) -> list[ChatConversation]:
    """A verified person's conversations, newest first (the transcripts kept with them)."""
    return list(
        session.scalars(
            select(ChatConversation)
            .where(ChatConversation.verified_person_id == person_id)
            .order_by(ChatConversation.id.desc())
            .limit(limit)
        )
    )


def _tell(session: Session, row: ChatConversation, step: str, key: str) -> None:
    """Through notify, without the content (what was said may be personal)."""
    enqueue(
        session,
        person_id=row.person_id,
        kind=MessageKind.CONSULT_UPDATE,
        template="chat_update",
        params={"number": row.number, "step": step},
        idempotency_key=key,
    )


def purge_closed(session: Session, closed_before: datetime, *, now: datetime) -> int:
    """Clear the transcripts of conversations closed before ``closed_before``: every message goes, and with it the
    link to the person (logged in or verified) and the secret that opened it. The number, channel, times, agent,
    how it ended and how the person was verified stay, for the statistics. Returns how many were cleared.
    Flushes."""
    ids = list(
        session.scalars(
            select(ChatConversation.id).where(
                ChatConversation.status == ChatStatus.CLOSED,
                ChatConversation.closed_at < clock.utc(closed_before),
                ChatConversation.purged_at.is_(None),
            )
        )
    )
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(batch)))
        session.execute(
            update(ChatConversation)
            .where(ChatConversation.id.in_(batch))
            # An empty digest matches no secret: the person's copy of the secret opens nothing any more.
            .values(person_id=None, verified_person_id=None, token_digest="", purged_at=clock.utc(now))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return len(ids)


# ---------------------------------------------------------------- agents' presence


def _present(session: Session, staff_id: int | None, available: bool, now: datetime) -> AgentPresence:
    row = session.get(AgentPresence, staff_id)
    if row is None:
        row = AgentPresence(staff_id=staff_id, available=available, changed_at=now, seen_at=now)
        session.add(row)
    else:
        if row.available != available:
            row.available, row.changed_at = available, now
        row.seen_at = now
    session.flush()
    return row


def set_presence(session: Session, actor: Actor, available: bool, *, now: datetime) -> AgentPresence:
    """The agent says they answer live chat now (available) or not (away: a break, a phone call). Conversations
    they serve stay theirs either way. Audited. Flushes."""
    now = clock.utc(now)
    _lock_agent(session, actor.staff_id)  # the first mark makes the row: one at a time per agent
    row = _present(session, actor.staff_id, available, now)
    audit(session, actor, AuditAction.CHAT_HANDLED, detail=f"在线咨询：坐席设为{'在线' if available else '离开'}")
    return row


def signed_off(session: Session, staff_id: int | None, *, now: datetime) -> None:
    """The agent logged out of the console: no longer online (the logout itself is audited). Flushes."""
    row = presence(session, staff_id)
    if row is not None and row.available:
        row.available, row.changed_at = False, clock.utc(now)
        session.flush()


def presence(session: Session, staff_id: int | None) -> AgentPresence | None:
    return session.get(AgentPresence, staff_id) if staff_id else None


def console_seen(session: Session, staff_id: int | None, *, now: datetime) -> None:
    """The agent's console page is open (the queue reloads, a conversation polls): an available agent stays
    online. Written at most every ``SEEN_EVERY``. Flushes."""
    now = clock.utc(now)
    row = presence(session, staff_id)
    if row is not None and row.available and now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
        session.flush()


def agents_online(session: Session, *, now: datetime) -> int:
    """How many agents are available with their console open lately (what a person is told)."""
    return int(
        session.scalar(
            select(func.count(AgentPresence.staff_id)).where(
                AgentPresence.available.is_(True), AgentPresence.seen_at >= clock.utc(now) - ONLINE_WITHIN
            )
        )
        or 0
    )
