"""The question ledger (LD/T 01 5.5.4): questions the smart replies could not answer, or answered unhelpfully, kept
masked and grouped by similarity so staff see what the knowledge base is missing, most asked first."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.consult import knowledge
from gateway.consult.models import LedgerQuestion, LedgerReason
from gateway.help.knowledge import MAX_RESULTS, Entry, Reply, clean_query, knowledge_base
from gateway.help.search import rewrite_synonyms, tokenize
from gateway.problems import UserError

#: Two questions share a group when this share of their words is common (Jaccard similarity), or when one
#: question's words (two or more) are almost all in the other's ("护照 办理" within "护照 办理 签证 时间").
SIMILAR = 0.5
CONTAINED = 0.8
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
    """Similar questions: the most recent as the example, how often they were asked, and why; ``ids`` are the
    ledger rows, so staff can answer the whole group with one knowledge-base entry."""

    example: str
    words: frozenset[str]
    count: int
    questions: list[str]
    reasons: dict[LedgerReason, int]
    last_at: datetime
    ids: list[int] = field(default_factory=list)
    #: Every word of the group's questions with how many asked it: what a new member is compared with.
    vocabulary: Counter[str] = field(default_factory=Counter)

    @property
    def key_words(self) -> list[str]:
        """The words (of two characters or more) most of the group's questions share, most common first."""
        shared = [w for w, n in self.vocabulary.most_common() if n * 2 >= self.count]
        return ([w for w in shared if len(w) > 1] or shared)[:8]


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How alike two questions' words are (0–1): the Jaccard share, or the containment share when the smaller
    question (two words or more) is nearly all inside the larger one."""
    if not a or not b:
        return 1.0 if a == b else 0.0
    common = len(a & b)
    jaccard = common / len(a | b)
    smaller = min(len(a), len(b))
    contained = common / smaller if smaller >= 2 else 0.0
    return max(jaccard, contained if contained >= CONTAINED else 0.0)


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return similarity(a, b) >= SIMILAR


def group_questions(rows: list[LedgerQuestion]) -> list[Group]:
    """``rows`` (newest first) grouped by similar words, the most asked group first. A question joins the group
    whose first question, or whose shared words, it is most like; ties go to the larger group."""
    out: list[Group] = []
    for row in rows:
        words = frozenset(row.words.split())
        best, score = None, 0.0
        for g in out:
            s = max(similarity(g.words, words), similarity(frozenset(g.key_words), words))
            if s >= SIMILAR and (s > score or (s == score and best is not None and g.count > best.count)):
                best, score = g, s
        if best is None:
            best = Group(row.question, words, 0, [], {}, row.at)
            out.append(best)
        best.count += 1
        best.ids.append(row.id)
        best.vocabulary.update(words)
        if row.question not in best.questions and len(best.questions) < 5:
            best.questions.append(row.question)
        best.reasons[row.reason] = best.reasons.get(row.reason, 0) + 1
    return sorted(out, key=lambda g: (-g.count, -g.last_at.timestamp()))


def groups(session: Session) -> list[Group]:
    """The open ledger (questions no entry answers yet), recent first, grouped by similar words."""
    rows = session.scalars(
        select(LedgerQuestion)
        .where(LedgerQuestion.resolved_entry_id.is_(None))
        .order_by(LedgerQuestion.at.desc(), LedgerQuestion.id.desc())
        .limit(RECENT)
    )
    return group_questions(list(rows))


def search(session: Session, raw_question: str | None, limit: int = MAX_RESULTS) -> list[Entry]:
    """The best entries for a question, those staff added included (LD/T 01 5.5.4)."""
    return knowledge.current(session).search(clean_query(raw_question), limit)


def ask(session: Session, raw_question: str | None, *, channel: str = "web") -> Reply:
    """The smart reply to a question (LD/T 01 5.5.2 a) from the whole knowledge base, entries staff added
    included; a "not sure" goes to the ledger (5.5.4). Flushes.
    Raises :class:`gateway.problems.UserError` for an empty or over-long question."""
    answer = knowledge.current(session).reply(clean_query(raw_question))
    record_if_not_sure(session, answer, channel=channel)
    return answer


def rate(session: Session, raw_question: str | None, entry_id: str, helpful: bool, *, channel: str = "web") -> None:
    """The person's verdict on an answer: an unhelpful one goes to the ledger (LD/T 01 5.5.4). Flushes."""
    question = clean_query(raw_question)
    if entry_id not in knowledge.current(session).entries:
        raise UserError("unknown_entry", "没有找到该解答。", 404)
    if not helpful:
        record(session, question, LedgerReason.UNHELPFUL, entry_id=entry_id, channel=channel)
