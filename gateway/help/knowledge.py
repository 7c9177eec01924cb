"""The knowledge base (业务知识库, LD/T 01 5.5.4): the curated Q&A in ``knowledge.yaml`` plus one entry per
service guide in the catalog, searchable with :func:`search`. Loaded and indexed once per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.catalog import Catalog, HandlingKind, load_catalog
from gateway.catalog.model import ServiceItem
from gateway.help.search import Document, SearchIndex, expand_synonyms
from gateway.problems import UserError

__all__ = [
    "DEFAULT_PATH",
    "MAX_QUERY_LENGTH",
    "MAX_RESULTS",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "clean_query",
    "knowledge_base",
    "load_knowledge_base",
    "search",
]

DEFAULT_PATH = Path(__file__).with_name("knowledge.yaml")
MAX_RESULTS = 10
#: A question, not an essay: long pasted text would only add noise (and work) to the search.
MAX_QUERY_LENGTH = 50


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

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "answer": self.answer, "source": self.source, "link": self.link}


class KnowledgeBase:
    """Entries, the synonym list and the search index over them."""

    def __init__(self, entries: list[Entry], synonyms: dict[str, str]) -> None:
        self.entries = {e.id: e for e in entries}
        if len(self.entries) != len(entries):
            raise KnowledgeError("duplicate entry ids in the knowledge base")
        self.synonyms = synonyms
        self._index = SearchIndex([Document(e.id, e.title, e.answer) for e in entries])

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Entry]:
        """Entries answering ``query``, best first, at most ``limit``."""
        hits = self._index.search(expand_synonyms(query, self.synonyms), limit)
        return [self.entries[h.key] for h in hits]


def _guide_entry(item: ServiceItem) -> Entry:
    """A service guide as an answer: what it is, what to bring, how and how long, where (LD/T 01 3.2)."""
    materials = "、".join(m.name for m in item.required_materials) or "无需提交材料（网上实名认证即可）"
    if item.handling_kind is HandlingKind.INSTANT:
        limit = "提交后即时办结"
    else:
        limit = f"{item.handling_kind.label}，{item.legal_limit_days}个工作日内办结"
    channels = "、".join(c.label for c in item.channels)
    answer = f"{item.summary} 办理材料：{materials}。办理方式：{limit}。办理渠道：{channels}。收费：{item.fee}。"
    basis = f"；{item.legal_basis}" if item.legal_basis else ""
    return Entry(
        id=f"guide-{item.id}",
        title=f"{item.name}（办事指南）",
        answer=answer,
        source=f"本机构网上服务事项清单 {item.code}（{item.spec_clause}）{basis}",
        link=f"/services/{item.id}",
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
                source=str(e["source"]).strip(),
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


def search(raw_query: str | None, limit: int = MAX_RESULTS) -> list[Entry]:
    """Validate ``raw_query`` and return the best answers for it."""
    return knowledge_base().search(clean_query(raw_query), limit)
