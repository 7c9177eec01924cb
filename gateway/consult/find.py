"""Find by need (issue 15): one question answered from the knowledge base and the catalog together — the best
answer (LD/T 01 5.5.2 a; a "not sure" goes to the ledger, 5.5.4), the service items that fit it, best first, and
the life events it names. Employer items are found only for someone acting for a unit, and kept apart."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.catalog import Catalog, ServiceItem, load_catalog
from gateway.catalog.life_events import LifeEvent, LifeEvents, citizen_items, is_unit_only, load_life_events
from gateway.catalog.model import Channel
from gateway.consult import ledger
from gateway.help.knowledge import Entry, Reply, knowledge_base
from gateway.help.search import rewrite_synonyms

#: How many service items a search shows at most.
MAX_ITEMS = 12
_GUIDE_PREFIX = "guide-"
_GUIDE_LINK = "/services/"


@dataclass(frozen=True)
class Found:
    """What one search found: the answer, the citizen's items, the events named, and (for a unit) its items."""

    query: str
    reply: Reply
    #: The answer to show: the reply's, unless it is an employer item's guide and the searcher is no unit.
    answer: Entry | None
    items: tuple[ServiceItem, ...]
    events: tuple[LifeEvent, ...]
    unit_items: tuple[ServiceItem, ...] = ()


def _item_of_entry(entry_id: str, link: str | None, catalog: Catalog) -> str | None:
    if entry_id.startswith(_GUIDE_PREFIX) and entry_id.removeprefix(_GUIDE_PREFIX) in catalog:
        return entry_id.removeprefix(_GUIDE_PREFIX)
    if link and link.startswith(_GUIDE_LINK):
        rest = link.removeprefix(_GUIDE_LINK).split("/")[0].split("?")[0]
        return rest if rest in catalog else None
    return None


def _phrases(query: str) -> list[str]:
    """The query as typed and in policy terms (退休金 → 养老金), without spaces: what names are matched on."""
    policy = rewrite_synonyms(query, knowledge_base().synonyms)
    return [p for p in dict.fromkeys("".join(q.split()) for q in (query, policy)) if p]


def rank_items(query: str, catalog: Catalog, events: LifeEvents) -> tuple[list[ServiceItem], list[LifeEvent]]:
    """Every web item that fits ``query``, best first — the guides the knowledge base ranks for it (BM25 over
    words and synonyms), then items whose name holds it, then the items of the events it names —
    and those events."""
    on_web = {i.id for i in catalog.for_channel(Channel.WEB)}
    ordered: dict[str, None] = {}
    kb = knowledge_base()
    for entry in kb.search(query, limit=MAX_ITEMS):
        item_id = _item_of_entry(entry.id, entry.link, catalog)
        if item_id in on_web:
            ordered.setdefault(item_id)
    phrases = _phrases(query)
    for item in catalog.for_channel(Channel.WEB):
        if any(p in item.name for p in phrases):
            ordered.setdefault(item.id)
    named = [e for e in events if e.matches(phrases)]
    for event in named:
        for item in event.items:
            ordered.setdefault(item.id)
    return [catalog.get(i) for i in ordered], named


def find(session: Session, raw_query: str | None, *, for_unit: bool = False, channel: str = "web") -> Found:
    """Answer ``raw_query`` from the knowledge base and the catalog (flushes a "not sure" to the ledger). Raises
    :class:`gateway.problems.UserError` for an empty or over-long query, as the help search does."""
    reply = ledger.ask(session, raw_query, channel=channel)
    catalog = load_catalog()
    items, events = rank_items(reply.query, catalog, load_life_events())
    citizen = {i.id for i in citizen_items(catalog)}
    mine = tuple(i for i in items if i.id in citizen)[:MAX_ITEMS]
    unit = tuple(i for i in items if is_unit_only(i))[:MAX_ITEMS] if for_unit else ()
    answer = reply.entry if reply.answered else None
    if answer is not None and not for_unit:
        item_id = _item_of_entry(answer.id, answer.link, catalog)
        if item_id is not None and is_unit_only(catalog.get(item_id)):
            answer = None  # an employer guide is no answer for a citizen: the unit area has it
    return Found(query=reply.query, reply=reply, answer=answer, items=mine, events=tuple(events), unit_items=unit)
