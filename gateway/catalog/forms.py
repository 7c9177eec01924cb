"""What each item's online application asks (``forms.yaml``): the fields of step 1 and the eligibility check that
comes before them ("check you can apply"). Declared as data beside the catalog and checked when it loads, so a
wrong kind, a choice without options or a check nobody answers fails at start-up, not in front of a person.

The values a person submits are checked against these declarations by ``gateway.applications.fields``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

FORMS_PATH = Path(__file__).resolve().parent / "forms.yaml"


class FieldKind(StrEnum):
    """What a field holds; the kind decides its check, its keyboard on a phone and how it is masked."""

    TEXT = "text"
    TEXTAREA = "textarea"
    CHOICE = "choice"
    DATE = "date"
    NUMBER = "number"
    PHONE = "phone"
    BANK_ACCOUNT = "bank_account"


#: The input each kind gets on the web: (type, inputmode, autocomplete). HTML's own names.
KIND_INPUT: dict[FieldKind, tuple[str, str, str]] = {
    FieldKind.TEXT: ("text", "text", "off"),
    FieldKind.TEXTAREA: ("text", "text", "off"),
    FieldKind.CHOICE: ("radio", "", ""),
    FieldKind.DATE: ("date", "", "off"),
    FieldKind.NUMBER: ("text", "decimal", "off"),
    FieldKind.PHONE: ("tel", "tel", "tel"),
    FieldKind.BANK_ACCOUNT: ("text", "numeric", "off"),
}


class EligibilityCheck(StrEnum):
    """The back office's answer to "may this person apply for this item now?" (``BackOffice.check_eligibility``)."""

    UNEMPLOYMENT_BENEFIT = "unemployment_benefit"  # 《失业保险条例》第十四条
    PENSION_CLAIM = "pension_claim"  # 法定退休年龄 + 最低缴费年限（《社会保险法》第十六条）


@dataclass(frozen=True)
class ChoiceOption:
    """One answer of a choice field; ``refusal`` (if any) is why that answer cannot be applied for online."""

    value: str
    label: str
    refusal: str = ""


@dataclass(frozen=True)
class FormField:
    """One thing the person types or chooses in step 1."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    help: str = ""
    options: tuple[ChoiceOption, ...] = ()
    max_length: int = 60
    #: Personal data (Regulation Art. 49): stored encrypted, masked on the staff console.
    personal: bool = False
    #: Required only when another field has this answer: ``(field name, value)``.
    required_when: tuple[str, str] | None = None
    pattern: str = ""
    pattern_message: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: Dates: not later than today; and at most this many days ago.
    past_only: bool = False
    max_days_ago: int | None = None
    autocomplete: str = ""

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs, as the templates and the API list them."""
        return tuple((o.value, o.label) for o in self.options)

    @property
    def input_type(self) -> str:
        return KIND_INPUT[self.kind][0]

    @property
    def inputmode(self) -> str:
        return KIND_INPUT[self.kind][1]

    @property
    def autocomplete_token(self) -> str:
        return self.autocomplete or KIND_INPUT[self.kind][2]


@dataclass(frozen=True)
class ItemForm:
    """An item's own fields and its eligibility check (None: nothing the back office can check first)."""

    item_id: str
    fields: tuple[FormField, ...] = ()
    eligibility: EligibilityCheck | None = None


@dataclass(frozen=True)
class Forms:
    items: Mapping[str, ItemForm]
    common: tuple[FormField, ...]

    def of(self, item_id: str) -> ItemForm:
        return self.items.get(item_id) or ItemForm(item_id)

    def fields_for(self, item_id: str) -> tuple[FormField, ...]:
        """The item's own fields, then the common ones (contact phone, note)."""
        return (*self.of(item_id).fields, *self.common)


class FormsError(ValueError):
    """``forms.yaml`` is wrong; the message names the item, the field and the problem."""


_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD_KEYS = {
    "name",
    "label",
    "kind",
    "required",
    "help",
    "choices",
    "max_length",
    "personal",
    "required_when",
    "pattern",
    "pattern_message",
    "min",
    "max",
    "past_only",
    "max_days_ago",
    "autocomplete",
}


def _field(raw: Any, where: str) -> FormField:
    if not isinstance(raw, Mapping):
        raise FormsError(f"{where}: a field must be a mapping")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise FormsError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    name, label = raw.get("name"), raw.get("label")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise FormsError(f"{where}: 'name' must be a lowercase identifier, got {name!r}")
    where = f"{where} '{name}'"
    if not isinstance(label, str) or not label.strip():
        raise FormsError(f"{where}: 'label' (Chinese, for people) is required")
    try:
        kind = FieldKind(raw.get("kind", "text"))
    except ValueError:
        raise FormsError(f"{where}: unknown kind {raw.get('kind')!r}") from None
    options: list[ChoiceOption] = []
    for entry in raw.get("choices") or ():
        if (
            not isinstance(entry, Mapping)
            or not {"value", "label"} <= set(entry)
            or set(entry)
            - {
                "value",
                "label",
                "refusal",
            }
        ):
            raise FormsError(f"{where}: a choice needs 'value' and 'label' (and may have 'refusal')")
        options.append(ChoiceOption(str(entry["value"]), str(entry["label"]), str(entry.get("refusal") or "")))
    if kind is FieldKind.CHOICE and not options:
        raise FormsError(f"{where}: a choice field needs choices")
    if kind is not FieldKind.CHOICE and options:
        raise FormsError(f"{where}: only a choice field has choices")
    when = raw.get("required_when")
    required_when = None
    if when is not None:
        if not isinstance(when, Mapping) or len(when) != 1:
            raise FormsError(f"{where}: 'required_when' is one 'field: value' pair")
        ((other, value),) = when.items()
        required_when = (str(other), str(value))
    pattern = str(raw.get("pattern") or "")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise FormsError(f"{where}: bad pattern ({exc})") from None
        if not raw.get("pattern_message"):
            raise FormsError(f"{where}: a pattern needs a 'pattern_message' for people")
    max_days = raw.get("max_days_ago")
    if max_days is not None and (not isinstance(max_days, int) or max_days <= 0):
        raise FormsError(f"{where}: 'max_days_ago' must be a positive whole number")
    return FormField(
        name=name,
        label=label.strip(),
        kind=kind,
        required=bool(raw.get("required", True)) and required_when is None,
        help=str(raw.get("help") or ""),
        options=tuple(options),
        max_length=int(raw.get("max_length", 300 if kind is FieldKind.TEXTAREA else 60)),
        personal=bool(raw.get("personal", False)),
        required_when=required_when,
        pattern=pattern,
        pattern_message=str(raw.get("pattern_message") or ""),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        past_only=bool(raw.get("past_only", False)),
        max_days_ago=max_days,
        autocomplete=str(raw.get("autocomplete") or ""),
    )


def _fields(raw: Any, where: str) -> tuple[FormField, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FormsError(f"{where}: 'fields' must be a list")
    fields = tuple(_field(f, f"{where} field #{n}") for n, f in enumerate(raw))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise FormsError(f"{where}: a field name is used twice")
    for f in fields:
        if f.required_when is not None:
            other = next((g for g in fields if g.name == f.required_when[0]), None)
            if other is None or f.required_when[1] not in dict(other.choices):
                raise FormsError(f"{where} '{f.name}': 'required_when' names no choice of a field of this item")
    return fields


def parse_forms(data: Any, known_items: set[str] | None = None) -> Forms:
    """Build :class:`Forms` from parsed YAML; ``known_items`` (the catalog's ids) catches a misspelt item."""
    if not isinstance(data, Mapping) or set(data) - {"version", "common", "items"}:
        raise FormsError("the top level must be a mapping with 'common' and 'items'")
    common = _fields(data.get("common"), "common")
    items: dict[str, ItemForm] = {}
    for item_id, raw in (data.get("items") or {}).items():
        where = f"item {item_id}"
        if known_items is not None and item_id not in known_items:
            raise FormsError(f"{where}: not in the catalog")
        if not isinstance(raw, Mapping) or set(raw) - {"fields", "eligibility"}:
            raise FormsError(f"{where}: must be a mapping with 'fields' and/or 'eligibility'")
        check = raw.get("eligibility")
        try:
            eligibility = EligibilityCheck(check) if check is not None else None
        except ValueError:
            raise FormsError(f"{where}: unknown eligibility check {check!r}") from None
        fields = _fields(raw.get("fields"), where)
        clash = {f.name for f in fields} & {f.name for f in common}
        if clash:
            raise FormsError(f"{where}: field(s) {sorted(clash)} are already common to every item")
        items[item_id] = ItemForm(item_id, fields, eligibility)
    return Forms(items=items, common=common)


def load_forms_file(path: Path, known_items: set[str] | None = None) -> Forms:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FormsError(f"{path}: cannot read ({exc})") from exc
    return parse_forms(data, known_items)
