"""The inbox (站内信): delivered inbox messages of one person, shown on every channel with an unread count."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway import clock
from notify.kinds import Channel, MessageKind, MessageStatus
from notify.models import NotifyMessage

MAX_PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxMessage:
    id: int
    kind: MessageKind
    title: str
    body: str
    link: str | None
    delivered_at: datetime  # an instant (aware UTC); shown in Beijing time
    read: bool

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "delivered_at": clock.api_local(self.delivered_at, "minutes"),  # Beijing, no offset (documented)
            "read": self.read,
        }


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxMessage]
    page: int
    page_size: int
    total: int
    unread: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _visible(person_id: int):
    # Scheduled or undelivered rows are not in the inbox yet: a reminder appears when it is due.
    m = NotifyMessage
    return (m.person_id == person_id, m.channel == Channel.INBOX, m.status == MessageStatus.DELIVERED)


def _item(row: NotifyMessage) -> InboxMessage:
    return InboxMessage(row.id, row.kind, row.title, row.body, row.link, row.delivered_at, row.read_at is not None)


def unread_count_column(person_id: int):  # noqa: ANN201 - a scalar subquery
    """:func:`unread_count` as a column, to be read in the same statement as the person (one query per page)."""
    return (
        select(func.count())
        .select_from(NotifyMessage)
        .where(*_visible(person_id), NotifyMessage.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(session: Session, person_id: int) -> int:
    """How many delivered inbox messages the person has not opened."""
    return session.scalar(
        select(func.count()).select_from(NotifyMessage).where(*_visible(person_id), NotifyMessage.read_at.is_(None))
    )


def list_messages(session: Session, person_id: int, page: int = 1, page_size: int = 12) -> InboxPage:
    """One page of the person's inbox, newest first."""
    page = max(1, int(page))
    page_size = max(1, min(MAX_PAGE_SIZE, int(page_size)))
    total = session.scalar(select(func.count()).select_from(NotifyMessage).where(*_visible(person_id)))
    rows = session.scalars(
        select(NotifyMessage)
        .where(*_visible(person_id))
        .order_by(NotifyMessage.delivered_at.desc(), NotifyMessage.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return InboxPage([_item(r) for r in rows], page, page_size, total, unread_count(session, person_id))


def open_message(session: Session, person_id: int, message_id: int) -> InboxMessage | None:
    """The message if it is the person's, marked read (the caller commits); None otherwise."""
    row = session.scalar(select(NotifyMessage).where(NotifyMessage.id == message_id, *_visible(person_id)))
    if row is None:
        return None
    if row.read_at is None:
        session.execute(
            update(NotifyMessage)
            .where(NotifyMessage.id == message_id, NotifyMessage.read_at.is_(None))
            .values(read_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    return InboxMessage(row.id, row.kind, row.title, row.body, row.link, row.delivered_at, True)
