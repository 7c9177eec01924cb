"""The staff view of the outbox: messages by person and by status, and an audited resend of failures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway import clock
from gateway.problems import UserError
from gateway.validation import parse_page
from notify.kinds import Channel, MessageStatus
from notify.models import AuditAction, NotifyAttempt, NotifyAudit, NotifyMessage


class ResendError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StaffQuery:
    person_id: int | None = None
    status: MessageStatus | None = None
    channel: Channel | None = None
    page: int = 1
    page_size: int = 50


def _fmt(value) -> str | None:
    return clock.api_local(value, "seconds")  # Beijing time without an offset, as before


def message_json(row: NotifyMessage, attempts: list[NotifyAttempt]) -> dict:
    """What staff see: no message text (it may hold personal data), masked addresses, every attempt."""
    return {
        "id": row.id,
        "person_id": row.person_id,
        "kind": row.kind.value,
        "kind_label": row.kind.label,
        "channel": row.channel.value,
        "channel_label": row.channel.label,
        "template": f"{row.template}@{row.template_version}",
        "status": row.status.value,
        "status_label": row.status.label,
        "attempts": row.attempts,
        "resend_count": row.resend_count,
        "send_at": _fmt(row.send_at),
        "next_attempt_at": _fmt(row.next_attempt_at),
        "delivered_at": _fmt(row.delivered_at),
        "address": row.address_masked,
        "provider_id": row.provider_id,
        "last_error": row.last_error,
        "history": [
            {
                "number": a.number,
                "outcome": a.outcome.value,
                "error": a.error,
                "backoff_seconds": round(a.backoff_seconds, 1) if a.backoff_seconds is not None else None,
                "finished_at": _fmt(a.finished_at),
            }
            for a in attempts
        ],
    }


def find_messages(session: Session, query: StaffQuery) -> tuple[list[dict], int]:
    """Messages matching ``query``, newest first, with their attempts; and the total count."""
    m = NotifyMessage
    conds = []
    if query.person_id is not None:
        conds.append(m.person_id == query.person_id)
    if query.status is not None:
        conds.append(m.status == query.status)
    if query.channel is not None:
        conds.append(m.channel == query.channel)
    total = session.scalar(select(func.count()).select_from(m).where(*conds))
    size = max(1, min(200, query.page_size))
    rows = session.scalars(
        select(m).where(*conds).order_by(m.id.desc()).offset((max(1, query.page) - 1) * size).limit(size)
    ).all()
    history: dict[int, list[NotifyAttempt]] = {r.id: [] for r in rows}
    if rows:
        for a in session.scalars(
            select(NotifyAttempt).where(NotifyAttempt.message_id.in_(history)).order_by(NotifyAttempt.number)
        ):
            history[a.message_id].append(a)
    return [message_json(r, history[r.id]) for r in rows], total


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(NotifyMessage.status, func.count()).group_by(NotifyMessage.status)).all()
    counts = {s.value: 0 for s in MessageStatus}
    counts.update({s.value: n for s, n in rows})
    return counts


def resend(session: Session, message_id: int, actor: str, reason: str) -> None:
    """Queue a permanently failed message again and record who did it and why (caller commits)."""
    reason = (reason or "").strip()
    if not reason:
        raise ResendError("请填写重新发送的原因。")
    m = NotifyMessage
    done = session.execute(
        update(m)
        .where(m.id == message_id, m.status == MessageStatus.PERMANENT_FAILURE)
        .values(
            status=MessageStatus.CREATED,
            attempts=0,
            resend_count=m.resend_count + 1,
            next_attempt_at=clock.now(),
            receipt=None,
            claim_token=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise ResendError("只有发送失败的消息可以重新发送。")
    person_id = session.scalar(select(m.person_id).where(m.id == message_id))
    session.add(
        NotifyAudit(
            at=clock.now(),
            actor=actor[:64],
            action=AuditAction.RESEND,
            message_id=message_id,
            person_id=person_id,
            detail=reason[:255],
        )
    )


def query_from(args: Mapping[str, str]) -> StaffQuery:
    """The staff view's filters from a page's or the operations API's query string; a clear 400 when bad."""
    person_id = None
    if args.get("person_id", "").strip():
        raw = args["person_id"].strip()
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise UserError("invalid_person_id", "人员编号应为数字。", 400)
        person_id = int(raw)
    status = None
    if args.get("status"):
        try:
            status = MessageStatus(args["status"])
        except ValueError:
            raise UserError("invalid_status", "消息状态不正确。", 400) from None
    channel = None
    if args.get("channel"):
        try:
            channel = Channel(args["channel"])
        except ValueError:
            raise UserError("invalid_channel", "发送渠道不正确。", 400) from None
    return StaffQuery(person_id, status, channel, parse_page(args.get("page")))


def resend_or_refuse(session: Session, message_id: int, actor: str, reason: str) -> int | None:
    """Resend a permanent failure (flushed, not committed) and return its person id; a refusal a person can
    read otherwise."""
    try:
        resend(session, message_id, actor, reason)
    except ResendError as exc:
        raise UserError("cannot_resend", exc.message, 409 if reason.strip() else 400) from None
    return session.scalar(select(NotifyMessage.person_id).where(NotifyMessage.id == message_id))
