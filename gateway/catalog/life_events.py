"""The catalog by life events (按人生大事找服务, ``life_events.yaml``): the groups a citizen recognises, checked
against the catalog when loaded. Employer items are not citizens' and never appear here (they live under /unit/).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateway.catalog.loader import CatalogError, load_catalog
from gateway.catalog.model import Audience, Catalog, Channel, ServiceItem

LIFE_EVENTS_PATH = Path(__file__).resolve().parent / "life_events.yaml"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_citizen_item(item: ServiceItem) -> bool:
    """True when insured persons use ``item`` (an item for units only belongs to the unit area)."""
    return Audience.PERSON in item.audience


def is_unit_only(item: ServiceItem) -> bool:
    """True for an employer item: only units use it, so it is listed under /unit/ and nowhere else."""
    return not is_citizen_item(item)


@dataclass(frozen=True)
class LifeEvent:
    """One life event: its name and words, and the catalog items a person meets in it (catalog order kept as
    written in the file)."""

    id: str
    name: str
    summary: str
    keywords: tuple[str, ...]
    items: tuple[ServiceItem, ...]

    def matches(self, words: Iterable[str]) -> bool:
        """True when one of ``words`` names this event (its name, or one of its keywords, contains the word or the
        word contains it)."""
        names = (self.name, *self.keywords)
        return any(w and any(w in n or (len(n) > 1 and n in w) for n in names) for w in words)


@dataclass(frozen=True)
class LifeEvents:
    events: tuple[LifeEvent, ...]

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def get(self, event_id: str | None) -> LifeEvent | None:
        return next((e for e in self.events if e.id == event_id), None)

    def home_of(self, item_id: str) -> LifeEvent | None:
        """The first event that lists the item: where a list showing each item once puts it."""
        return next((e for e in self.events if any(i.id == item_id for i in e.items)), None)

    def group(self, items: Sequence[ServiceItem]) -> list[tuple[LifeEvent, list[ServiceItem]]]:
        """``items`` under their home event, each once, events in file order and items in the event's order;
        events with none of them are left out."""
        wanted = {i.id for i in items}
        placed: set[str] = set()
        groups = []
        for event in self.events:
            mine = [i for i in event.items if i.id in wanted and i.id not in placed]
            placed.update(i.id for i in mine)
            if mine:
                groups.append((event, mine))
        return groups


def citizen_items(catalog: Catalog, channel: Channel = Channel.WEB) -> tuple[ServiceItem, ...]:
    """The items a citizen may be shown on ``channel``, in catalog order."""
    return tuple(i for i in catalog.for_channel(channel) if is_citizen_item(i))


def parse_life_events(data: Any, catalog: Catalog, *, source: Path | str | None = None) -> LifeEvents:
    """Build the events from parsed YAML, every item code resolved in ``catalog``; raises :class:`CatalogError`."""
    if not isinstance(data, Mapping) or not isinstance(data.get("events"), list) or not data["events"]:
        raise CatalogError("the top level must be a mapping with a non-empty list 'events'", path=source)
    by_code = {i.code: i for i in catalog}
    events: list[LifeEvent] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["events"]):
        where = f"event #{n}"
        if not isinstance(raw, Mapping) or set(raw) - {"id", "name", "summary", "keywords", "items"}:
            raise CatalogError("must be a mapping of id, name, summary, keywords, items", path=source, item=where)
        event_id = raw.get("id")
        if not isinstance(event_id, str) or not _ID_RE.match(event_id) or event_id in seen:
            raise CatalogError(f"needs a unique lowercase slug id, got {event_id!r}", path=source, item=where)
        seen.add(event_id)
        name, summary = raw.get("name"), raw.get("summary")
        if not (isinstance(name, str) and name.strip() and isinstance(summary, str) and summary.strip()):
            raise CatalogError("needs a name and a summary", path=source, item=event_id)
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise CatalogError("keywords must be a list of words", path=source, item=event_id, field="keywords")
        codes = raw.get("items")
        if not isinstance(codes, list) or not codes or len(set(codes)) != len(codes):
            raise CatalogError("needs a list of item codes, each once", path=source, item=event_id, field="items")
        items = []
        for code in codes:
            item = by_code.get(code)
            if item is None:
                raise CatalogError(f"no catalog item has the code {code!r}", path=source, item=event_id, field="items")
            if is_unit_only(item):
                raise CatalogError(
                    f"{code} ({item.name}) is an employer item: it belongs to the unit area, not a life event",
                    path=source,
                    item=event_id,
                    field="items",
                )
            items.append(item)
        events.append(
            LifeEvent(event_id, name.strip(), summary.strip(), tuple(k.strip() for k in keywords), tuple(items))
        )
    return LifeEvents(tuple(events))


@functools.lru_cache(maxsize=1)
def load_life_events() -> LifeEvents:
    """The shipped events over the shipped catalog, read and checked once per process."""
    data = yaml.safe_load(LIFE_EVENTS_PATH.read_text(encoding="utf-8"))
    return parse_life_events(data, load_catalog(), source=LIFE_EVENTS_PATH)
