"""Load and validate the service catalog from YAML; every mistake is caught at load time."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from gateway.catalog.flows import Flows, load_flows
from gateway.catalog.forms import FORMS_PATH, Forms, load_forms_file
from gateway.catalog.model import (
    AssuranceLevel,
    Audience,
    Catalog,
    Channel,
    Consult,
    HandlingKind,
    Material,
    Scheme,
    Section,
    ServiceItem,
)

DEFAULT_PATH = Path(__file__).resolve().parent / "catalog.yaml"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE_RE = re.compile(r"^SB-[A-Z]{2,3}-\d{4}$")

# Every field an item may carry; the value says whether it must be present (after defaults).
_FIELDS: dict[str, bool] = {
    "id": True,
    "code": True,
    "name": True,
    "summary": True,
    "section": True,
    "scheme": True,
    "handling_kind": True,
    "legal_limit_days": False,
    "legal_basis": True,
    "required_materials": False,
    "result_delivery": True,
    "fee": True,
    "fee_basis": True,
    "hours": True,
    "consult": True,
    "complain": True,
    "assurance_level": True,
    "channels": True,
    "spec_clause": True,
    "risky": False,
    "risk_warning": False,
    "priority": False,
    "audience": False,
}


class CatalogError(ValueError):
    """The catalog file is wrong; the message names the file, the item, the field and the problem."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        item: str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.item = item
        self.field = field
        self.problem = problem
        where = [p for p in (self.path, f"item {item}" if item else None, f"field '{field}'" if field else None) if p]
        super().__init__(f"{': '.join(where)}: {problem}" if where else problem)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load the catalog at ``path``, or the shipped one (cached) when ``path`` is None."""
    if path is None:
        return _load_default()
    return _load(Path(path))


@functools.lru_cache(maxsize=1)
def _load_default() -> Catalog:
    """The shipped catalog, loaded and validated once per process, its channel claims checked against what the
    channels carry (``flows.yaml``) and its online consultation line written from the same data."""
    return _with_flows(_load(DEFAULT_PATH), load_flows())


def _with_flows(catalog: Catalog, flows: Flows) -> Catalog:
    """LD/T 01 5.6.1: an item lists a channel only when that channel carries it through; the guides' "咨询" line
    names only the online ways to ask that exist."""
    items = []
    for item in catalog.items:
        carried = flows.channels_of(item.id)
        if set(carried) != set(item.channels):
            raise CatalogError(
                f"claims {[c.value for c in item.channels]} but flows.yaml carries it on {[c.value for c in carried]}",
                path=DEFAULT_PATH,
                item=item.id,
                field="channels",
            )
        online = item.consult.online or flows.consult_line()
        items.append(dataclasses.replace(item, consult=Consult(phone=item.consult.phone, online=online)))
    return Catalog(items=tuple(items))


def clear_cache() -> None:
    """Forget the cached shipped catalog (for tests and reloads)."""
    _load_default.cache_clear()
    load_forms.cache_clear()


@functools.lru_cache(maxsize=1)
def load_forms() -> Forms:
    """What each shipped item's application asks (``forms.yaml``), loaded once, every item id checked against the
    shipped catalog."""
    return load_forms_file(FORMS_PATH, {item.id for item in load_catalog()})


def _load(path: Path) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read the file ({exc.strerror or exc})", path=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"not valid YAML: {exc}", path=path) from exc
    return parse_catalog(data, source=path)


def parse_catalog(data: Any, *, source: Path | str | None = None) -> Catalog:
    """Build a :class:`Catalog` from already-parsed YAML data, validating every item."""
    if not isinstance(data, Mapping):
        raise CatalogError("the top level must be a mapping with 'items'", path=source)
    unknown_top = set(data) - {"version", "defaults", "items"}
    if unknown_top:
        raise CatalogError(f"unknown top-level key(s): {', '.join(sorted(map(str, unknown_top)))}", path=source)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise CatalogError("'defaults' must be a mapping", path=source)
    for key in defaults:
        if key not in _FIELDS or key in ("id", "code"):
            raise CatalogError(f"'{key}' cannot be given in 'defaults'", path=source)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise CatalogError("'items' must be a non-empty list", path=source)

    items: list[ServiceItem] = []
    seen_ids: dict[str, int] = {}
    seen_codes: dict[str, str] = {}
    for index, raw in enumerate(raw_items):
        label = f"#{index}"
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
            label = f"'{raw['id']}' (#{index})"
        if not isinstance(raw, Mapping):
            raise CatalogError("must be a mapping of fields", path=source, item=label)
        item = _parse_item({**defaults, **raw}, _Ctx(source, label))
        if item.id in seen_ids:
            raise CatalogError(
                f"duplicate id, already used by item #{seen_ids[item.id]}",
                path=source,
                item=label,
                field="id",
            )
        if item.code in seen_codes:
            raise CatalogError(
                f"duplicate code '{item.code}', already used by '{seen_codes[item.code]}'",
                path=source,
                item=label,
                field="code",
            )
        seen_ids[item.id] = index
        seen_codes[item.code] = item.id
        items.append(item)
    return Catalog(items=tuple(items))


class _Ctx:
    """Where we are in the file, so every error can say so."""

    def __init__(self, source: Path | str | None, item: str) -> None:
        self.source = source
        self.item = item

    def error(self, field: str, problem: str) -> CatalogError:
        return CatalogError(problem, path=self.source, item=self.item, field=field)


def _parse_item(raw: Mapping[str, Any], ctx: _Ctx) -> ServiceItem:
    for key in raw:
        if key not in _FIELDS:
            raise ctx.error(str(key), "unknown field")
    for key, required in _FIELDS.items():
        if required and raw.get(key) is None:
            raise ctx.error(key, "missing required field")

    def text(key: str) -> str:
        return _text(raw[key], ctx, key)

    item_id = text("id")
    if not _ID_RE.match(item_id):
        raise ctx.error("id", f"'{item_id}' is not a lowercase slug like 'pension-transfer-out'")
    code = text("code")
    if not _CODE_RE.match(code):
        raise ctx.error("code", f"'{code}' is not a catalog code like 'SB-YL-0001'")

    handling = _enum(HandlingKind, raw["handling_kind"], ctx, "handling_kind")
    limit = raw.get("legal_limit_days")
    if limit is not None and (not _is_int(limit) or limit <= 0):
        raise ctx.error("legal_limit_days", f"must be a positive whole number of working days, got {limit!r}")
    # LD/T 01 5.3.1 b: a promised item is finished within a time limit; an instant one at once.
    if handling is HandlingKind.PROMISED and limit is None:
        raise ctx.error("legal_limit_days", "a promised item needs a time limit in working days")
    if handling is HandlingKind.INSTANT and limit is not None:
        raise ctx.error("legal_limit_days", "an instant item is finished at once and takes no time limit")

    level_raw = raw["assurance_level"]
    if not _is_int(level_raw):
        raise ctx.error("assurance_level", f"must be a whole number 1, 2 or 3, got {level_raw!r}")
    if level_raw not in {level.value for level in AssuranceLevel}:
        raise ctx.error("assurance_level", f"{level_raw} is out of range (1 to 3)")

    channels = _enum_list(Channel, raw["channels"], ctx, "channels")
    if not channels:
        raise ctx.error("channels", "an item must be offered on at least one channel")
    audience = _enum_list(Audience, raw.get("audience", ["person"]), ctx, "audience")
    if not audience:
        raise ctx.error("audience", "an item must name at least one audience")

    risky = _bool(raw.get("risky", False), ctx, "risky")
    warning = raw.get("risk_warning")
    if warning is not None:
        warning = _text(warning, ctx, "risk_warning")
    # LD/T 01 5.3.2: risky business gets a warning and a confirmation step.
    if risky and not warning:
        raise ctx.error("risk_warning", "a risky item needs a risk warning shown before confirmation")

    return ServiceItem(
        id=item_id,
        code=code,
        name=text("name"),
        summary=text("summary"),
        section=_enum(Section, raw["section"], ctx, "section"),
        scheme=_enum(Scheme, raw["scheme"], ctx, "scheme"),
        handling_kind=handling,
        legal_limit_days=limit,
        legal_basis=text("legal_basis"),
        required_materials=_materials(raw.get("required_materials", []), ctx),
        result_delivery=_text_list(raw["result_delivery"], ctx, "result_delivery", non_empty=True),
        fee=text("fee"),
        fee_basis=text("fee_basis"),
        hours=text("hours"),
        consult=_consult(raw["consult"], ctx),
        complain=_text_list(raw["complain"], ctx, "complain", non_empty=True),
        assurance_level=AssuranceLevel(level_raw),
        channels=channels,
        spec_clause=text("spec_clause"),
        risky=risky,
        risk_warning=warning,
        priority=_bool(raw.get("priority", False), ctx, "priority"),
        audience=audience,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, ctx: _Ctx, key: str) -> str:
    if not isinstance(value, str):
        raise ctx.error(key, f"must be text, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ctx.error(key, "must not be empty")
    return value.strip()


def _bool(value: Any, ctx: _Ctx, key: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(key, f"must be true or false, got {value!r}")
    return value


def _enum(enum_cls: type[Enum], value: Any, ctx: _Ctx, key: str) -> Any:
    allowed = ", ".join(str(member.value) for member in enum_cls)
    if not isinstance(value, str):
        raise ctx.error(key, f"must be one of {allowed}, got {type(value).__name__} {value!r}")
    try:
        return enum_cls(value)
    except ValueError:
        raise ctx.error(key, f"unknown value '{value}' (expected one of {allowed})") from None


def _enum_list(enum_cls: type[Enum], value: Any, ctx: _Ctx, key: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list, got {type(value).__name__} {value!r}")
    members = tuple(_enum(enum_cls, v, ctx, key) for v in value)
    if len(set(members)) != len(members):
        raise ctx.error(key, "lists the same value twice")
    return members


def _text_list(value: Any, ctx: _Ctx, key: str, *, non_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of text, got {type(value).__name__} {value!r}")
    if non_empty and not value:
        raise ctx.error(key, "must not be empty")
    return tuple(_text(v, ctx, key) for v in value)


def _consult(value: Any, ctx: _Ctx) -> Consult:
    # Without 'online' the shipped catalog writes the line from the online ways to ask that exist (flows.yaml).
    if not isinstance(value, Mapping) or "phone" not in value or not set(value) <= {"phone", "online"}:
        raise ctx.error("consult", "must be a mapping with 'phone' and, unless written from flows.yaml, 'online'")
    return Consult(
        phone=_text(value["phone"], ctx, "consult.phone"),
        online=_text(value["online"], ctx, "consult.online") if "online" in value else "",
    )


def _materials(value: Any, ctx: _Ctx) -> tuple[Material, ...]:
    if not isinstance(value, list):
        raise ctx.error("required_materials", f"must be a list, got {type(value).__name__} {value!r}")
    result = []
    for n, entry in enumerate(value):
        key = f"required_materials[{n}]"
        if not isinstance(entry, Mapping):
            raise ctx.error(key, "must be a mapping with name, note, original_required")
        extra = set(entry) - {"name", "note", "original_required"}
        if extra:
            raise ctx.error(key, f"unknown key(s): {', '.join(sorted(map(str, extra)))}")
        if "name" not in entry:
            raise ctx.error(f"{key}.name", "missing required field")
        note = entry.get("note", "")
        if note != "":
            note = _text(note, ctx, f"{key}.note")
        result.append(
            Material(
                name=_text(entry["name"], ctx, f"{key}.name"),
                note=note,
                original_required=_bool(entry.get("original_required", False), ctx, f"{key}.original_required"),
            )
        )
    return tuple(result)
