"""Growing the knowledge base (LD/T 01 5.5.4): entries staff write from a group of ledger questions, or that a
supervisor promotes from a published mailbox answer (5.5.3), kept in the database with their source, author,
time and status, and searched next to the curated ones in ``knowledge.yaml``.

Every process keeps one index; before answering it reads the entries' version — how many there are and when the
last one changed — and rebuilds when that differs from what it indexed. So an entry added in one gateway process
(or one gunicorn worker) is found at once by every other: nothing lives in one process's memory only. Every change
is audited; the ledger questions an entry answers leave the open ledger."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.actor import Actor, audit
from gateway.consult.models import (
    ConsultCase,
    EntryOrigin,
    EntryStatus,
    KnowledgeEntry,
    LedgerQuestion,
)
from gateway.help.knowledge import Entry, KnowledgeBase, knowledge_base
from gateway.problems import UserError
from gateway.staff.models import AuditAction

TITLE_MAX = 100
ANSWER_MAX = 1000
SOURCE_MAX = 200
LINK_MAX = 200
#: Entries kept in the database are named ``kb-<id>`` among the curated ones.
ID_PREFIX = "kb-"


class KnowledgeRefused(UserError):
    """A knowledge-base change that cannot be done, with a Chinese message."""


@dataclass(frozen=True)
class EntryDraft:
    """What staff wrote for an entry, checked by :func:`check_entry`."""

    title: str
    answer: str
    source: str
    link: str | None


def check_entry(form: dict[str, str]) -> tuple[EntryDraft | None, list[tuple[str, str]]]:
    """The entry, or every field's Chinese error at once."""
    errors: list[tuple[str, str]] = []
    title = " ".join((form.get("title") or "").split())
    answer = " ".join((form.get("answer") or "").split())
    source = " ".join((form.get("source") or "").split())
    link = (form.get("link") or "").strip() or None
    for field, value, what, most in (
        ("title", title, "问题", TITLE_MAX),
        ("answer", answer, "解答", ANSWER_MAX),
        ("source", source, "依据", SOURCE_MAX),
    ):
        if not value:
            errors.append((field, f"请填写{what}。"))
        elif len(value) > most:
            errors.append((field, f"{what}不能超过{most}个字。"))
    if link is not None and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX):
        errors.append(("link", "办理页面须是本站地址，以 / 开头，例如 /appointments/。"))
    if errors:
        return None, errors
    return EntryDraft(title, answer, source, link), []


def as_entry(row: KnowledgeEntry) -> Entry:
    return Entry(id=f"{ID_PREFIX}{row.id}", title=row.title, answer=row.answer, source=row.source, link=row.link)


# ------------------------------------------------------------------------------------------------ the index


@dataclass(frozen=True)
class _Indexed:
    version: tuple
    base: KnowledgeBase


_indexed: _Indexed | None = None
_lock = threading.Lock()


def version(session: Session) -> tuple:
    """The entries' version as the database has it: their number and the last change (any process's)."""
    count, last = session.execute(select(func.count(KnowledgeEntry.id), func.max(KnowledgeEntry.updated_at))).one()
    return (count, str(last))


def current(session: Session) -> KnowledgeBase:
    """The knowledge base with the published database entries, rebuilt when they changed since it was indexed."""
    global _indexed
    mark = version(session)
    indexed = _indexed
    if indexed is not None and indexed.version == mark:
        return indexed.base
    with _lock:
        rows = session.scalars(
            select(KnowledgeEntry).where(KnowledgeEntry.status == EntryStatus.PUBLISHED).order_by(KnowledgeEntry.id)
        )
        base = knowledge_base().with_entries([as_entry(r) for r in rows])
        _indexed = _Indexed(mark, base)
    return base


# ------------------------------------------------------------------------------------------------ changes


def _add(
    session: Session, actor: Actor, draft: EntryDraft, origin: EntryOrigin, ref: str, now: datetime
) -> KnowledgeEntry:
    now = clock.utc(now)
    row = KnowledgeEntry(
        title=draft.title,
        answer=draft.answer,
        source=draft.source,
        link=draft.link,
        origin=origin,
        origin_ref=ref[:60],
        status=EntryStatus.PUBLISHED,
        author_id=actor.staff_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        AuditAction.KNOWLEDGE_CHANGED,
        detail=f"知识库新增 {ID_PREFIX}{row.id}（{origin.label}：{ref}）：{draft.title}"[:300],
    )
    return row


def open_questions(session: Session, ids: list[int]) -> list[LedgerQuestion]:
    """The ledger questions named by ``ids`` that no entry answers yet, newest first."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(LedgerQuestion)
            .where(LedgerQuestion.id.in_(ids[:200]), LedgerQuestion.resolved_entry_id.is_(None))
            .order_by(LedgerQuestion.at.desc())
        )
    )


def add_from_ledger(
    session: Session, actor: Actor, question_ids: list[int], draft: EntryDraft, *, now: datetime
) -> KnowledgeEntry:
    """Answer a group of ledger questions with a new entry; they leave the open ledger (LD/T 01 5.5.4). Flushes."""
    questions = open_questions(session, question_ids)
    if not questions:
        raise KnowledgeRefused("no_questions", "这组问题已编入知识库，或已不在问题台账中。", 409)
    row = _add(session, actor, draft, EntryOrigin.LEDGER, f"{len(questions)}个相似问题", now)
    for q in questions:
        q.resolved_entry_id = row.id
    session.flush()
    return row


def promoted_entry(session: Session, case: ConsultCase) -> KnowledgeEntry | None:
    """The published entry promoted from ``case``, if any."""
    return session.scalar(
        select(KnowledgeEntry).where(
            KnowledgeEntry.origin == EntryOrigin.MAILBOX,
            KnowledgeEntry.origin_ref == case.number,
            KnowledgeEntry.status == EntryStatus.PUBLISHED,
        )
    )


def default_mailbox_source(case: ConsultCase) -> str:
    return f"本机构公开答复（留言编号 {case.number}）"


def promote(session: Session, actor: Actor, case_id: int, source: str, *, now: datetime) -> KnowledgeEntry:
    """A supervisor makes a published mailbox answer a knowledge-base entry (LD/T 01 5.5.3, 5.5.4). Flushes."""
    case = session.get(ConsultCase, case_id)
    if case is None:
        raise KnowledgeRefused("case_not_found", "没有找到该留言。", 404)
    if case.published_at is None or not case.public_question or not case.public_answer:
        raise KnowledgeRefused("not_published", "只有已公开的答复可以编入知识库。", 409)
    if promoted_entry(session, case) is not None:
        raise KnowledgeRefused("already_promoted", "该公开答复已编入知识库。", 409)
    draft, errors = check_entry(
        {
            "title": case.public_question[:TITLE_MAX],
            "answer": case.public_answer[:ANSWER_MAX],
            "source": source.strip() or default_mailbox_source(case),
        }
    )
    if draft is None:
        raise KnowledgeRefused("bad_entry", errors[0][1], 400)
    return _add(session, actor, draft, EntryOrigin.MAILBOX, case.number, now)


#: What each field is called in the audit trail and on the page.
EDITABLE = (("title", "问题"), ("answer", "解答"), ("source", "依据"), ("link", "办理页面"))


def published_entry(session: Session, entry_id: int) -> KnowledgeEntry:
    """An entry that may be edited: one that is searched (a withdrawn one is kept as it was, as history)."""
    row = session.get(KnowledgeEntry, entry_id) if 0 < entry_id <= 2**31 - 1 else None
    if row is None:
        raise KnowledgeRefused("entry_not_found", "没有找到该知识库条目。", 404)
    if row.status is not EntryStatus.PUBLISHED:
        raise KnowledgeRefused("entry_withdrawn", "该条目已撤下，不能再修改；如需要请重新编写。", 409)
    return row


def edit(session: Session, actor: Actor, entry_id: int, draft: EntryDraft, *, now: datetime) -> KnowledgeEntry:
    """Correct a published entry's question, answer, source or page. ``updated_at`` moves, so the entries'
    version changes and every process rebuilds its index before its next answer (:func:`current`): the corrected
    text is what anyone finds at once. The audit entry names the fields changed and the question as it was
    (LD/T 01 6.3.2: every change traced). Flushes."""
    row = published_entry(session, entry_id)
    changed = [label for field, label in EDITABLE if getattr(row, field) != getattr(draft, field)]
    if not changed:
        raise KnowledgeRefused("unchanged", "条目内容没有变化。", 400)
    before = row.title
    row.title, row.answer, row.source, row.link = draft.title, draft.answer, draft.source, draft.link
    # Strictly later than the last change anyone made: the version (count, newest change) must move.
    # (Another node's clock may run ahead of this one's.)
    last = session.scalar(select(func.max(KnowledgeEntry.updated_at)))
    if last is not None and last.tzinfo is None:  # an aggregate on SQLite: naive UTC, as stored
        last = last.replace(tzinfo=clock.UTC)
    stamp = clock.utc(now)
    if last is not None and last >= stamp:
        stamp = last + timedelta(microseconds=1)
    row.updated_at = stamp
    session.flush()
    audit(
        session,
        actor,
        AuditAction.KNOWLEDGE_CHANGED,
        detail=f"知识库修改 {ID_PREFIX}{row.id}（{'、'.join(changed)}）：原问题“{before}”"[:300],
    )
    return row


def withdraw(session: Session, actor: Actor, entry_id: int, *, now: datetime) -> KnowledgeEntry:
    """Take an entry out of the search (kept, with its history); the ledger questions it answered return to the
    open ledger. Flushes."""
    row = session.get(KnowledgeEntry, entry_id)
    if row is None:
        raise KnowledgeRefused("entry_not_found", "没有找到该知识库条目。", 404)
    if row.status is EntryStatus.WITHDRAWN:
        raise KnowledgeRefused("already_withdrawn", "该条目已撤下。", 409)
    row.status = EntryStatus.WITHDRAWN
    row.updated_at = clock.utc(now)
    # The questions it answered are unanswered again: back to the open ledger.
    for q in session.scalars(select(LedgerQuestion).where(LedgerQuestion.resolved_entry_id == row.id)):
        q.resolved_entry_id = None
    session.flush()
    audit(
        session,
        actor,
        AuditAction.KNOWLEDGE_CHANGED,
        detail=f"知识库撤下 {ID_PREFIX}{row.id}：{row.title}"[:300],
    )
    return row


def unpromoted_answers(session: Session, limit: int = 50) -> list[ConsultCase]:
    """Published mailbox answers no published entry was made from yet, newest first (for a supervisor)."""
    promoted = select(KnowledgeEntry.origin_ref).where(
        KnowledgeEntry.origin == EntryOrigin.MAILBOX, KnowledgeEntry.status == EntryStatus.PUBLISHED
    )
    return list(
        session.scalars(
            select(ConsultCase)
            .where(ConsultCase.published_at.is_not(None), ConsultCase.number.not_in(promoted))
            .order_by(ConsultCase.published_at.desc())
            .limit(limit)
        )
    )


def entries(session: Session, limit: int = 200) -> list[KnowledgeEntry]:
    """The entries staff added, newest first."""
    return list(session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id.desc()).limit(limit)))
