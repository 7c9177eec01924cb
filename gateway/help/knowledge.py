"""The knowledge base (业务知识库, LD/T 01 5.5.4): the curated Q&A in ``knowledge.yaml`` plus one entry per
service guide in the catalog, searchable with :func:`search`. Loaded and indexed once per process; the entries
staff add in the console live in the database and are joined to it by :mod:`gateway.consult.knowledge`."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.catalog import Catalog, HandlingKind, load_catalog
from gateway.catalog.model import ServiceItem
from gateway.help.search import Document, SearchIndex, rewrite_synonyms
from gateway.problems import UserError

__all__ = [
    "DEFAULT_PATH",
    "MAX_QUERY_LENGTH",
    "MAX_RESULTS",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "Reply",
    "ReplyStatus",
    "clean_query",
    "knowledge_base",
    "load_knowledge_base",
    "reply",
    "search",
]

DEFAULT_PATH = Path(__file__).with_name("knowledge.yaml")
MAX_RESULTS = 10
#: A question, not an essay: long pasted text would only add noise (and work) to the search.
MAX_QUERY_LENGTH = 50


#: The smallest confidence (share of the question's weight the best entry covers) at which the assistant answers;
#: below it, it says it is not sure (LD/T 01 5.5.2 a). Tuned on tests/help/questions.yaml (test_accuracy.py).
CONFIDENCE_THRESHOLD = 0.45
#: Other entries shown beside an answer, or instead of one when not sure.
RELATED = 3


class KnowledgeError(ValueError):
    """The knowledge file is malformed (a deployment error, found at startup)."""


@dataclass(frozen=True)
class Entry:
    """One answer: the question it answers, the answer, where it comes from, and where to act on it."""

    id: str
    title: str
    answer: str
    source: str
    link: str | None = None
    #: What the search reads instead of the answer (a guide's summary without its list of materials).
    index_text: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "answer": self.answer, "source": self.source, "link": self.link}


class ReplyStatus(enum.StrEnum):
    """Whether the assistant answered, or honestly said it is not sure (LD/T 01 5.5.2 a)."""

    ANSWERED = "answered"
    NOT_SURE = "not_sure"


@dataclass(frozen=True)
class Reply:
    """One answer with its source, or "not sure" with the entries that came closest; why, in ``matched``."""

    query: str
    status: ReplyStatus
    #: The answer (``None`` when not sure).
    entry: Entry | None
    #: The share (0–1) of the question's weight the best entry covers.
    confidence: float
    #: The question's words, in policy terms, that the best entry contains.
    matched: tuple[str, ...]
    #: Other entries that may help, best first.
    related: tuple[Entry, ...]

    @property
    def answered(self) -> bool:
        return self.status is ReplyStatus.ANSWERED


class KnowledgeBase:
    """Entries, the synonym list and the search index over them."""

    def __init__(self, entries: list[Entry], synonyms: dict[str, str]) -> None:
        self.entries = {e.id: e for e in entries}
        if len(self.entries) != len(entries):
            raise KnowledgeError("duplicate entry ids in the knowledge base")
        self.synonyms = synonyms
        self._index = SearchIndex([Document(e.id, e.title, e.index_text or e.answer) for e in entries])

    def __len__(self) -> int:
        return len(self.entries)

    def with_entries(self, extra: Sequence[Entry]) -> KnowledgeBase:
        """This knowledge base plus ``extra`` entries (those staff keep in the database, LD/T 01 5.5.4), indexed
        anew: IDF weights and the confidence depend on every entry, so the index is rebuilt, not patched."""
        return KnowledgeBase([*self.entries.values(), *extra], self.synonyms)

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Entry]:
        """Entries answering ``query``, best first, at most ``limit``."""
        hits = self._index.search(self._ranking_text(query), limit)
        return [self.entries[h.key] for h in hits]

    def _ranking_text(self, query: str) -> str:
        """What entries are ranked on: the question's own words and the same question in policy terms."""
        return f"{query} {rewrite_synonyms(query, self.synonyms)}"

    def reply(self, query: str, threshold: float = CONFIDENCE_THRESHOLD) -> Reply:
        """One answer when the best entry covers at least ``threshold`` of the question, else "not sure".

        The question is first put in policy terms (synonyms: 骗保 → 骗取社会保险基金); entries are ranked by BM25
        over that and the original words; the confidence is the IDF share of the policy-term words the best entry
        contains (:meth:`SearchIndex.coverage`)."""
        policy = rewrite_synonyms(query, self.synonyms)
        hits = self._index.search(self._ranking_text(query), RELATED + 1)
        if not hits:
            return Reply(query, ReplyStatus.NOT_SURE, None, 0.0, (), ())
        best = hits[0]
        confidence = round(self._index.coverage(policy, best.key), 3)
        matched = self._index.matched(policy, best.key)
        if confidence >= threshold:
            related = tuple(self.entries[h.key] for h in hits[1:])
            return Reply(query, ReplyStatus.ANSWERED, self.entries[best.key], confidence, matched, related)
        related = tuple(self.entries[h.key] for h in hits[:RELATED])
        return Reply(query, ReplyStatus.NOT_SURE, None, confidence, matched, related)


#: The standards the answers rest on, by the name a person can look up (not the code).
STANDARD_NAMES = {
    "LD/T 01": "《社会保险网上经办服务指南》",
    "GB/T 31621": "《社会保险经办业务流程 总则》",
}
_CLAUSE = r"\d+(?:\.\d+)*(?:\s*[a-z](?:\s*[、,，]\s*[a-z](?![\w.]))*)?"
_CITATION = re.compile(
    r"(?P<std>LD/T 01|GB/T 31621)(?:—\d{4})?\s+(?P<clauses>" + _CLAUSE + r"(?:\s*[、,，]\s*" + _CLAUSE + r")*)"
)
_ONE_CLAUSE = re.compile(r"(?P<number>\d+(?:\.\d+)*)\s*(?P<items>[a-z](?:\s*[、,，]\s*[a-z](?![\w.]))*)?")


def _clause_words(match: re.Match[str]) -> str:
    parts = []
    for clause in _ONE_CLAUSE.finditer(match.group("clauses")):
        items = re.sub(r"\s*[、,，]\s*", "、", clause.group("items") or "")
        parts.append(f"第{clause.group('number')}条" + (f"（{items}项）" if items else ""))
    return STANDARD_NAMES[match.group("std")] + "、".join(parts)


def in_words(source: str) -> str:
    """A citation as people read it: "LD/T 01—2020 5.1 a、b" → "《社会保险网上经办服务指南》第5.1条（a、b项）"."""
    return _CITATION.sub(_clause_words, source)


def _guide_entry(item: ServiceItem) -> Entry:
    """A service guide as an answer: what it is, what to bring, how and how long, where (LD/T 01 3.2)."""
    materials = "、".join(m.name for m in item.required_materials) or "无需提交材料（网上实名认证即可）"
    if item.handling_kind is HandlingKind.INSTANT:
        limit = "提交后即时办结"
    else:
        limit = f"{item.handling_kind.label}，{item.legal_limit_days}个工作日内办结"
    channels = "、".join(c.label for c in item.channels)
    answer = f"{item.summary} 办理材料：{materials}。办理方式：{limit}。办理渠道：{channels}。收费：{item.fee}。"
    # The rules in words, each passed through in_words; the item is named, never its catalog code (SB-…).
    cited = [f"本机构网上服务事项清单“{item.name}”", in_words(item.spec_clause)]
    if item.legal_basis:
        cited.append(in_words(item.legal_basis))
    return Entry(
        id=f"guide-{item.id}",
        title=f"{item.name}（办事指南）",
        answer=answer,
        source="；".join(cited),
        link=f"/services/{item.id}",
        # The materials list names documents (护照, 户口簿) that are not what the guide is about.
        index_text=item.summary,
    )


def load_knowledge_base(path: Path = DEFAULT_PATH, catalog: Catalog | None = None) -> KnowledgeBase:
    """Read the curated entries and synonyms from ``path`` and add the catalog's guides."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        synonyms = {str(k): str(v) for k, v in (data.get("synonyms") or {}).items()}
        entries = [
            Entry(
                id=str(e["id"]),
                title=str(e["title"]).strip(),
                answer=" ".join(str(e["answer"]).split()),
                source=in_words(str(e["source"]).strip()),
                link=e.get("link"),
            )
            for e in data["entries"]
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc
    for e in entries:
        if not (e.title and e.answer and e.source):
            raise KnowledgeError(f"{path}: entry {e.id} needs a title, an answer and a source")
    entries += [_guide_entry(item) for item in (catalog or load_catalog())]
    return KnowledgeBase(entries, synonyms)


@functools.cache
def knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base, built on first use (the app factory warms it at startup)."""
    return load_knowledge_base()


def clean_query(raw: str | None) -> str:
    """The query to search for, or a :class:`UserError` with a Chinese message (empty, too long)."""
    query = " ".join((raw or "").split())
    if not query:
        raise UserError("empty_query", "请输入要查询的问题，例如“怎么预约”。", 400)
    if len(query) > MAX_QUERY_LENGTH:
        raise UserError("query_too_long", f"查询内容不能超过{MAX_QUERY_LENGTH}个字，请简要描述您的问题。", 400)
    return query


def reply(raw_query: str | None) -> Reply:
    """Validate ``raw_query`` and answer it once from the curated entries, or say "not sure" (requests use
    :func:`gateway.consult.ledger.ask`, which adds the entries staff keep in the database)."""
    return knowledge_base().reply(clean_query(raw_query))


def search(raw_query: str | None, limit: int = MAX_RESULTS) -> list[Entry]:
    """Validate ``raw_query`` and return the best curated answers for it (requests use
    :func:`gateway.consult.ledger.search`, which adds the entries staff keep in the database)."""
    return knowledge_base().search(clean_query(raw_query), limit)
