"""Queueing messages: rows added inside the caller's transaction (the transactional outbox).

A booking and its reminder commit or roll back together; nothing is sent until the caller commits, and the
dispatcher only ever sees committed rows. The idempotency key, unique per channel, makes a retried caller
add nothing the second time — enforced by the database, so it also holds when two requests race.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from gateway import clock
from notify import wakeup
from notify.kinds import MessageKind, MessageStatus
from notify.models import NotifyMessage
from notify.preferences import delivery_channels
from notify.rendering import TemplateError, load_templates

MAX_KEY = 128


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    table = NotifyMessage.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(table).on_conflict_do_nothing(constraint="uq_notify_message_idempotency_key")
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["idempotency_key", "channel"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (DESIGN "Scale")
        stmt = insert(table)
        taken = set(
            session.scalars(
                select(NotifyMessage.channel).where(NotifyMessage.idempotency_key == rows[0]["idempotency_key"])
            )
        )
        rows = [r for r in rows if r["channel"] not in taken]
        if not rows:
            return
    session.execute(stmt, rows)


def _wake_after_commit(session: Session) -> None:
    # Once per session: after the caller commits, tell the dispatcher (a rollback sends no signal).
    if session.info.get("notify_wakeup"):
        return
    session.info["notify_wakeup"] = True
    event.listen(session, "after_commit", lambda _s: wakeup.signal())


def enqueue(
    session: Session,
    *,
    person_id: int,
    kind: MessageKind,
    template: str,
    params: dict[str, str],
    idempotency_key: str,
    send_at: datetime | None = None,
    link: str | None = None,
) -> None:
    """Queue one message per channel the person's preferences select, in the caller's transaction.

    ``send_at`` (an instant; a naive value is Beijing wall-clock time) delays it, e.g. the reminder the day
    before an appointment.
    Raises :class:`TemplateError` (a ValueError with a Chinese message) for an unknown template, missing or
    extra placeholders, over-long values or a bad key. The same ``idempotency_key`` again adds nothing.
    """
    kind = MessageKind(kind)
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= MAX_KEY:
        raise TemplateError(f"消息的幂等键必须是1到{MAX_KEY}个字符。")
    tpl = load_templates().get(template)
    if tpl.kind is not kind:
        raise TemplateError(f"消息模板“{template}”用于“{tpl.kind.label}”，不能用于“{kind.label}”。")
    rendered = load_templates().render(template, params, link)
    channels = delivery_channels(session, person_id, kind) & tpl.channels
    if not channels:
        return  # the person turned every channel off for this (optional) kind
    now = clock.now()
    due = clock.utc(send_at) if send_at is not None else now
    wechat = None
    if rendered.wechat is not None:
        wechat = json.dumps(
            {
                "template_id": rendered.wechat.template_id,
                "page": rendered.wechat.page,
                "data": rendered.wechat.data,
            },
            ensure_ascii=False,
        )
    rows = [
        {
            "person_id": person_id,
            "kind": kind,
            "channel": channel,
            "template": rendered.template,
            "template_version": rendered.version,
            "idempotency_key": idempotency_key,
            "title": rendered.title,
            "body": rendered.body,
            "link": rendered.link,
            "sms_text": rendered.sms_text,
            "wechat_payload": wechat,
            "status": MessageStatus.CREATED,
            "attempts": 0,
            "send_at": due,
            "next_attempt_at": due,
            "created_at": now,
            "resend_count": 0,
        }
        for channel in sorted(channels)
    ]
    _insert_ignoring_duplicates(session, rows)
    _wake_after_commit(session)
