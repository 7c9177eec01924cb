"""The wire form of the back-office protocol (:mod:`gateway.backoffice.server`): the operations, their arguments and
answers, and the codec — dates as ISO strings, money as decimal strings (never floats), enums by value, ``Page``
as ``{"items", "page", "page_size", "total"}``. No Flask here: the client, the exchange log and the write queue
use it outside any app.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.backoffice.interface import (
    AccountRecord,
    BenefitPaymentRecord,
    ContributionRecord,
    DocumentRecord,
    EligibilityRecord,
    EligibilityVerdict,
    Page,
    PersonRecord,
    RecordVersion,
    RegistrationRecord,
    TransferRecord,
    UnitContributionMonth,
    UnitRecord,
    UnitStaffRecord,
)
from gateway.backoffice.models import Scheme
from gateway.catalog.forms import EligibilityCheck
from gateway.validation import DocumentType

__all__ = [
    "API_PREFIX",
    "MAX_PAGE_SIZE",
    "OPERATIONS",
    "Operation",
    "WireError",
    "arguments_of",
    "from_wire",
    "to_wire",
]

API_PREFIX = "/v1"
MAX_PAGE_SIZE = 500


class WireError(ValueError):
    """A JSON value does not fit the record it should become."""


# --- codec --------------------------------------------------------------------------------------------


def to_wire(value: Any) -> Any:
    """A record, page, list or scalar as plain JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Page):
        return {
            "items": [to_wire(i) for i in value.items],
            "page": value.page,
            "page_size": value.page_size,
            "total": value.total,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    raise TypeError(f"cannot send {type(value).__name__} over the wire")


def _optional_inner(kind: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(kind)) == 2:
            return args[0]
    return None


def from_wire(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` (a record class, ``list[...]``, ``X | None``, a scalar type)."""
    if kind is type(None):
        if data is not None:
            raise WireError("expected null")
        return None
    inner = _optional_inner(kind)
    if inner is not None:
        return None if data is None else from_wire(inner, data)
    if typing.get_origin(kind) is list:
        if not isinstance(data, list):
            raise WireError(f"expected a list, got {type(data).__name__}")
        (item,) = typing.get_args(kind)
        return [from_wire(item, d) for d in data]
    if typing.get_origin(kind) is Page:
        (item,) = typing.get_args(kind)
        if not isinstance(data, dict):
            raise WireError("expected a page object")
        try:
            return Page(
                items=from_wire(list[item], data["items"]),
                page=int(data["page"]),
                page_size=int(data["page_size"]),
                total=int(data["total"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError(f"bad page: {exc}") from exc
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise WireError(f"expected an object for {kind.__name__}")
        hints = typing.get_type_hints(kind)
        values = {}
        for f in dataclasses.fields(kind):
            if f.name in data:
                values[f.name] = from_wire(hints[f.name], data[f.name])
            elif f.default is dataclasses.MISSING:
                raise WireError(f"{kind.__name__}.{f.name} is missing")
        return kind(**values)
    return _scalar(kind, data)


def _scalar(kind: Any, data: Any) -> Any:
    try:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return kind(data)
        if kind is Decimal:
            if not isinstance(data, str | int):
                raise WireError("money must be sent as a decimal string")
            return Decimal(data)
        if kind is date:
            return date.fromisoformat(data)
        if kind is bool:
            if not isinstance(data, bool):
                raise WireError("expected true or false")
            return data
        if kind is int:
            if isinstance(data, bool) or not isinstance(data, int):
                raise WireError("expected an integer")
            return data
        if kind is str:
            if not isinstance(data, str):
                raise WireError("expected a string")
            return data
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise WireError(f"bad {getattr(kind, '__name__', kind)}: {data!r}") from exc
    raise WireError(f"no wire form for {kind!r}")


# --- operations ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Operation:
    """One interface method on the wire: its arguments (name → type), what it returns, and whether it
    may be retried (a read that changes nothing can be sent twice; a write cannot)."""

    name: str
    params: dict[str, Any]
    returns: Any
    idempotent: bool = True
    optional: tuple[str, ...] = ()


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("ping", {}, type(None)),
        Operation("find_person", {"id_number": str}, PersonRecord | None),
        Operation("find_unit", {"credit_code": str}, UnitRecord | None),
        Operation("find_by_document", {"doc_type": DocumentType, "number": str}, PersonRecord | None),
        Operation("documents", {"id_number": str}, list[DocumentRecord]),
        Operation("find_by_card", {"card_number": str}, PersonRecord | None),
        Operation("registrations", {"id_number": str}, list[RegistrationRecord]),
        Operation(
            "contributions",
            {"id_number": str, "page": int, "page_size": int, "scheme": Scheme | None},
            Page[ContributionRecord],
            optional=("scheme",),
        ),
        Operation("account", {"id_number": str}, AccountRecord | None),
        Operation("benefit_payments", {"id_number": str, "page": int, "page_size": int}, Page[BenefitPaymentRecord]),
        Operation("transfers", {"id_number": str}, list[TransferRecord]),
        Operation("unit_staff", {"credit_code": str, "page": int, "page_size": int}, Page[UnitStaffRecord]),
        Operation("unit_contribution_months", {"credit_code": str, "months": int}, list[UnitContributionMonth]),
        # A write: never retried (the answer may be lost after the change was made).
        Operation("update_phone", {"id_number": str, "phone": str}, type(None), idempotent=False),
        Operation("eligibility", {"id_number": str}, list[EligibilityRecord]),
        Operation(
            "report_card_lost",
            {"id_number": str, "card_number": str, "reported_on": date, "channel": str},
            type(None),
            idempotent=False,
        ),
        # Certifying the same year again only updates it, so a retry is harmless.
        Operation(
            "certify_eligibility",
            {"id_number": str, "year": int, "certified_on": date, "method": str, "reference": str},
            type(None),
        ),
        Operation("check_eligibility", {"id_number": str, "check": EligibilityCheck, "on": date}, EligibilityVerdict),
        Operation("record_version", {"id_number": str}, RecordVersion | None),
    )
}


def arguments_of(op: Operation, body: Any) -> dict[str, Any]:
    """The call's keyword arguments from the JSON body, checked against the operation."""
    if not isinstance(body, dict):
        raise WireError("the body must be a JSON object")
    unknown = set(body) - set(op.params)
    if unknown:
        raise WireError(f"unknown arguments: {', '.join(sorted(unknown))}")
    args: dict[str, Any] = {}
    for name, kind in op.params.items():
        if name not in body:
            if name in op.optional:
                continue
            raise WireError(f"missing argument: {name}")
        args[name] = from_wire(kind, body[name])
    for name in ("page", "page_size", "months"):
        if name in args and not 1 <= args[name] <= (MAX_PAGE_SIZE if name != "page" else 10**6):
            raise WireError(f"{name} out of range")
    return args
