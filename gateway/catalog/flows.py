"""Which channel carries which catalog item through (``flows.yaml``): the one source of the catalog's channel
claims and of the guides' "办理渠道" and "咨询" lines (LD/T 01 5.6.1: what a channel publishes is the same source as
what it does). The shipped catalog is checked against it when it loads (``gateway.catalog.loader``); the item ×
channel test walks it (``tests/gateway/test_item_channels.py``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateway.catalog.model import Channel

FLOWS_PATH = Path(__file__).resolve().parent / "flows.yaml"


@dataclass(frozen=True)
class Flow:
    """How ``channel`` carries ``item_id``: a web page path, a mini-program page with the API operations it
    calls, or a kiosk / console screen's endpoint."""

    item_id: str
    channel: Channel
    page: str | None = None
    operations: tuple[str, ...] = ()
    screen: str | None = None
    #: Operations the page reaches through a URL an answer hands it (a certificate's download_url).
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsultWay:
    """An online way to ask (咨询查询途径): the channel, its page, the words the guides print."""

    channel: Channel
    page: str
    text: str


@dataclass(frozen=True)
class Flows:
    flows: tuple[Flow, ...]
    consult: tuple[ConsultWay, ...]
    _by_item: Mapping[tuple[Channel, str], Flow] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_item: dict[tuple[Channel, str], Flow] = {}
        for f in self.flows:
            by_item.setdefault((f.channel, f.item_id), f)
        object.__setattr__(self, "_by_item", by_item)

    def channels_of(self, item_id: str) -> tuple[Channel, ...]:
        """The channels that carry ``item_id``, in the catalog's order of channels."""
        have = {f.channel for f in self.flows if f.item_id == item_id}
        return tuple(c for c in Channel if c in have)

    def of(self, channel: Channel) -> tuple[Flow, ...]:
        return tuple(f for f in self.flows if f.channel is channel)

    def find(self, channel: Channel, item_id: str) -> Flow | None:
        """The flow of ``item_id`` on ``channel`` (the first, in flows.yaml's order), from an index built once:
        the home page asks for a couple of dozen on every view (issue 18)."""
        return self._by_item.get((channel, item_id))

    def consult_line(self) -> str:
        """The guides' online consultation line: only the ways that exist."""
        return "；".join(w.text for w in self.consult)


def _flow(channel: Channel, item_id: str, raw: Any) -> Flow:
    if not isinstance(raw, Mapping) or not (set(raw) <= {"page", "operations", "screen", "links"}):
        raise ValueError(f"flows.yaml: {channel}.{item_id} must be a mapping of page / operations / links / screen")
    flow = Flow(
        item_id=item_id,
        channel=channel,
        page=raw.get("page"),
        operations=tuple(raw.get("operations") or ()),
        screen=raw.get("screen"),
        links=tuple(raw.get("links") or ()),
    )
    wanted = {
        Channel.WEB: flow.page is not None,
        Channel.MINIPROGRAM: flow.page is not None and bool(flow.operations),
        Channel.KIOSK: flow.screen is not None,
        Channel.HOTLINE: flow.screen is not None,
    }[channel]
    if not wanted:
        raise ValueError(f"flows.yaml: {channel}.{item_id} does not say what carries it")
    return flow


def parse_flows(data: Any) -> Flows:
    if not isinstance(data, Mapping):
        raise ValueError("flows.yaml: the top level must be a mapping")
    flows = []
    for channel in Channel:
        for item_id, raw in (data.get(channel.value) or {}).items():
            flows.append(_flow(channel, str(item_id), raw))
    consult = tuple(
        ConsultWay(Channel(w["channel"]), str(w["page"]), str(w["text"])) for w in data.get("consult") or ()
    )
    return Flows(tuple(flows), consult)


@functools.lru_cache(maxsize=1)
def load_flows() -> Flows:
    """The shipped flows, read once per process."""
    return parse_flows(yaml.safe_load(FLOWS_PATH.read_text(encoding="utf-8")))
