"""The question ledger (LD/T 01 5.5.4): questions the smart replies could not answer, or answered unhelpfully, kept
masked and grouped by similarity so staff see what the knowledge base is missing, most asked first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.consult.models import LedgerQuestion, LedgerReason
from gateway.help.knowledge import Reply, clean_query, knowledge_base, reply
from gateway.help.search import rewrite_synonyms, tokenize
from gateway.problems import UserError

#: Two questions share a group when this share of their words is common (Jaccard similarity).
SIMILAR = 0.5
#: How far back the console looks.
RECENT = 1000

_LONG_NUMBER = re.compile(r"\d{7,}[\dXx]?")


def mask_numbers(text: str) -> str:
    """``text`` with every run of 7+ digits (ID, phone, card numbers) cut to its first 3 and last 2."""
    return _LONG_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 5) + m.group(0)[-2:], text)


def _words(question: str) -> str:
    policy = rewrite_synonyms(question, knowledge_base().synonyms)
    return " ".join(dict.fromkeys(tokenize(policy)))[:200]


def record(
    session: Session,
    question: str,
    reason: LedgerReason,
    *,
    entry_id: str | None = None,
    channel: str = "web",
    now: datetime | None = None,
) -> LedgerQuestion:
    """Keep one failed question (masked). Flushes."""
    masked = mask_numbers(question)[:60]
    row = LedgerQuestion(
        at=clock.utc(now or clock.now()),
        question=masked,
        words=_words(masked),
        reason=LedgerReason(reason),
        entry_id=entry_id,
        channel=channel[:16],
    )
    session.add(row)
    session.flush()
    return row


def record_if_not_sure(session: Session, reply: Reply, *, channel: str = "web") -> None:
    """Keep the question when the assistant said it is not sure."""
    if not reply.answered:
        record(session, reply.query, LedgerReason.NOT_SURE, channel=channel)


@dataclass
class Group:
    """Similar questions: the most recent as the example, how often they were asked, and why."""

    example: str
    words: frozenset[str]
    count: int
    questions: list[str]
    reasons: dict[LedgerReason, int]
    last_at: datetime


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SIMILAR


def groups(session: Session) -> list[Group]:
    """The recent ledger grouped by similar words, the most asked group first."""
    rows = session.scalars(select(LedgerQuestion).order_by(LedgerQuestion.at.desc()).limit(RECENT))
    out: list[Group] = []
    for row in rows:
        words = frozenset(row.words.split())
        group = next((g for g in out if _similar(g.words, words)), None)
        if group is None:
            group = Group(row.question, words, 0, [], {}, row.at)
            out.append(group)
        group.count += 1
        if row.question not in group.questions and len(group.questions) < 5:
            group.questions.append(row.question)
        group.reasons[row.reason] = group.reasons.get(row.reason, 0) + 1
    return sorted(out, key=lambda g: (-g.count, -g.last_at.timestamp()))


def ask(session: Session, raw_question: str | None, *, channel: str = "web") -> Reply:
    """The smart reply to a question (LD/T 01 5.5.2 a); a "not sure" goes to the ledger (5.5.4). Flushes.
    Raises :class:`gateway.problems.UserError` for an empty or over-long question."""
    answer = reply(raw_question)
    record_if_not_sure(session, answer, channel=channel)
    return answer


def rate(session: Session, raw_question: str | None, entry_id: str, helpful: bool, *, channel: str = "web") -> None:
    """The person's verdict on an answer: an unhelpful one goes to the ledger (LD/T 01 5.5.4). Flushes."""
    question = clean_query(raw_question)
    if entry_id not in knowledge_base().entries:
        raise UserError("unknown_entry", "没有找到该解答。", 404)
    if not helpful:
        record(session, question, LedgerReason.UNHELPFUL, entry_id=entry_id, channel=channel)
