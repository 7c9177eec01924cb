"""The online service catalog (网上服务事项清单, LD/T 01 3.2): enums and immutable records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

#: Prefix of ``legal_basis`` when a time limit is the agency's own commitment, not a statutory one.
AGENCY_COMMITMENT = "本机构承诺时限"


class HandlingKind(StrEnum):
    """How an item is handled once submitted (LD/T 01 3.2 note, 5.3.1 b)."""

    INSTANT = "instant"  # 即时办理: built-in rules decide at once
    PROMISED = "promised"  # 承诺办理: reviewed, finished within the promised limit
    APPOINTMENT = "appointment"  # 预约办理: pre-review online, originals at a booked window

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _HANDLING_LABELS[self]


_HANDLING_LABELS = {
    HandlingKind.INSTANT: "即时办理",
    HandlingKind.PROMISED: "承诺办理",
    HandlingKind.APPOINTMENT: "预约办理",
}


class Channel(StrEnum):
    """The front ends an item can be used through (LD/T 01 6.1.2)."""

    WEB = "web"
    MINIPROGRAM = "miniprogram"
    KIOSK = "kiosk"
    HOTLINE = "hotline"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    Channel.WEB: "网上服务大厅",
    Channel.MINIPROGRAM: "微信小程序",
    Channel.KIOSK: "自助服务终端",
    Channel.HOTLINE: "12333 电话",
}


def channel_label(value: str | None) -> str:
    """A stored channel value in words, for pages (``{{ chat.channel | channel_label }}``); empty for none."""
    if not value:
        return ""
    try:
        return Channel(value).label
    except ValueError:
        return "其他渠道"  # never the stored code itself


class Section(StrEnum):
    """The web section an item lives in (DESIGN "Public contracts", stable paths)."""

    APPOINTMENTS = "appointments"  # LD/T 01 5.1
    PROGRESS = "progress"  # LD/T 01 5.2.1
    CERTIFICATES = "certificates"  # LD/T 01 5.4.2
    RIGHTS = "rights"  # LD/T 01 5.2.2
    SERVICES = "services"  # LD/T 01 5.3, 5.4.3

    @property
    def path(self) -> str:
        """The section's stable URL path."""
        return f"/{self.value}/"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _SECTION_LABELS[self]


_SECTION_LABELS = {
    Section.APPOINTMENTS: "网上预约",
    Section.PROGRESS: "办理进度",
    Section.CERTIFICATES: "证明打印",
    Section.RIGHTS: "权益查询",
    Section.SERVICES: "网上办事",
}


class Scheme(StrEnum):
    """The insurance scheme an item belongs to (Regulation Art. 2)."""

    PENSION = "pension"
    WORK_INJURY = "work_injury"
    UNEMPLOYMENT = "unemployment"
    MEDICAL = "medical"
    MATERNITY = "maternity"
    GENERAL = "general"

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return _SCHEME_LABELS[self]


_SCHEME_LABELS = {
    Scheme.PENSION: "养老保险",
    Scheme.WORK_INJURY: "工伤保险",
    Scheme.UNEMPLOYMENT: "失业保险",
    Scheme.MEDICAL: "医疗保险",
    Scheme.MATERNITY: "生育保险",
    Scheme.GENERAL: "综合",
}


class Audience(StrEnum):
    """Who uses an item: insured persons (参保人) or insured units (参保单位), LD/T 01 5."""

    PERSON = "person"
    UNIT = "unit"


class AssuranceLevel(IntEnum):
    """Identity assurance a session needs (DESIGN "Identity"; LD/T 01 5.4.1.5, 6.2.6)."""

    PASSWORD = 1  # account + password
    TWO_FACTOR = 2  # password + SMS code, or a bound third-party login
    REAL_PERSON = 3  # e-SSC, digital certificate, or face/biometric check


@dataclass(frozen=True)
class Material:
    """One required material (办理材料); only the ID unless a law requires more (Regulation Art. 31)."""

    name: str
    note: str = ""
    original_required: bool = False


@dataclass(frozen=True)
class Consult:
    """Where to ask about an item (咨询查询途径, LD/T 01 3.2, 5.5)."""

    phone: str
    online: str


@dataclass(frozen=True)
class ServiceItem:
    """One online service item with the fields LD/T 01 3.2 requires to be published."""

    id: str
    code: str
    name: str
    summary: str
    section: Section
    scheme: Scheme
    handling_kind: HandlingKind
    legal_limit_days: int | None  # working days (Regulation Art. 6, 10, 18, 20, 22, 24); None if instant
    legal_basis: str
    required_materials: tuple[Material, ...]
    result_delivery: tuple[str, ...]
    fee: str
    fee_basis: str
    hours: str
    consult: Consult
    complain: tuple[str, ...]
    assurance_level: AssuranceLevel
    channels: tuple[Channel, ...]
    spec_clause: str
    risky: bool = False  # LD/T 01 5.3.2: warning + confirmation step
    risk_warning: str | None = None
    priority: bool = False  # Regulation Art. 17: military insurance transfers served first
    audience: tuple[Audience, ...] = (Audience.PERSON,)

    @property
    def statutory_limit(self) -> bool:
        """True when the time limit is set by law rather than promised by the agency."""
        return self.legal_limit_days is not None and not self.legal_basis.startswith(AGENCY_COMMITMENT)

    @property
    def needs_confirmation(self) -> bool:
        """True when the person must confirm a warning before submitting (LD/T 01 5.3.2)."""
        return self.risky

    def available_on(self, channel: Channel | str) -> bool:
        """True when the item is offered on ``channel``."""
        return Channel(channel) in self.channels


class UnknownItem(KeyError):
    """No service item with that id; the message is for the person (Chinese)."""

    code = "unknown_item"

    def __init__(self, item_id: str) -> None:
        super().__init__(item_id)
        self.item_id = item_id
        self.message = f"没有找到服务事项“{item_id}”，请从服务事项清单中选择。"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Catalog:
    """The ordered list of service items with lookups by id, section and channel."""

    items: tuple[ServiceItem, ...]
    _by_id: Mapping[str, ServiceItem] = field(init=False, repr=False, compare=False)
    #: Each channel's items, as asked (pages ask on every view; the catalog never changes once loaded).
    _by_channel: dict[Channel, tuple[ServiceItem, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "_by_id", MappingProxyType({item.id: item for item in self.items}))
        object.__setattr__(self, "_by_channel", {})

    def get(self, item_id: str) -> ServiceItem:
        """The item with ``item_id``; raises :class:`UnknownItem` when there is none."""
        try:
            return self._by_id[item_id]
        except (KeyError, TypeError):
            raise UnknownItem(str(item_id)) from None

    def by_section(self, section: Section | str) -> tuple[ServiceItem, ...]:
        """Items of one web section, in catalog order."""
        wanted = Section(section)
        return tuple(item for item in self.items if item.section is wanted)

    def for_channel(self, channel: Channel | str) -> tuple[ServiceItem, ...]:
        """Items offered on one channel, in catalog order."""
        wanted = Channel(channel)
        found = self._by_channel.get(wanted)
        if found is None:
            found = self._by_channel[wanted] = tuple(item for item in self.items if wanted in item.channels)
        return found

    def __iter__(self) -> Iterator[ServiceItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and item_id in self._by_id
