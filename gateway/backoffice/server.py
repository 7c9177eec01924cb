"""The reference back office served over JSON HTTP, so the ``http`` implementation has a real core system to talk to.

LD/T 01 6.4.4 keeps the online system on the other side of a network boundary from the core system
(DESIGN "The core system is outside"). This module is that boundary's far side for the embedded reference
back office: every :class:`~gateway.backoffice.interface.BackOffice` method is one operation at
``POST /v1/<operation>`` with its arguments as a JSON object, answered ``{"result": ...}``.

Why POST for queries: the arguments carry citizen ID numbers, which must stay out of URLs, proxy and access
logs (Regulation Art. 49). Whether a call may be retried is a property of the operation (all of these are
reads), not of the HTTP verb; :mod:`gateway.backoffice.http` decides retries by operation.

Every request needs ``Authorization: Bearer <SHEBAO_BACKOFFICE_API_KEY>``. Errors use the gateway's shape
``{"error": {"code", "message"}}``: 401 bad key, 400 bad arguments, 404 unknown operation, 503 the back
office's own store is down.

The wire codec (:func:`to_wire`, :func:`from_wire`) lives here too: dates as ISO strings, money as decimal
strings (never floats), enums by value, ``Page`` as ``{"items", "page", "page_size", "total"}``.
"""

from __future__ import annotations

import dataclasses
import enum
import hmac
import types
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from flask import Flask, jsonify, request

from gateway.backoffice.interface import (
    AccountRecord,
    BackOffice,
    BackOfficeUnavailable,
    BenefitPaymentRecord,
    ContributionRecord,
    DocumentRecord,
    EligibilityRecord,
    Page,
    PersonRecord,
    RegistrationRecord,
    TransferRecord,
    UnitContributionMonth,
    UnitRecord,
    UnitStaffRecord,
)
from gateway.backoffice.models import Scheme
from gateway.validation import DocumentType

__all__ = ["OPERATIONS", "Operation", "WireError", "cli", "create_backoffice_app", "from_wire", "to_wire"]

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
        # Certifying the same year again only updates it, so a retry is harmless.
        Operation(
            "certify_eligibility",
            {"id_number": str, "year": int, "certified_on": date, "method": str, "reference": str},
            type(None),
        ),
    )
}


def _arguments(op: Operation, body: Any) -> dict[str, Any]:
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


def _error(code: str, message: str, status: int):
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    return resp


def create_backoffice_app(backoffice: BackOffice, api_key: str) -> Flask:
    """A Flask app that answers every ``BackOffice`` operation for callers holding ``api_key``."""
    if not api_key:
        raise ValueError("the back-office server needs an API key")
    app = Flask("shebao_backoffice")
    app.json.ensure_ascii = False
    expected = f"Bearer {api_key}".encode()

    @app.before_request
    def _authorise():
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return _error("unauthorized", "接口密钥无效。", 401)
        return None

    @app.post(f"{API_PREFIX}/<name>")
    def call(name: str):
        op = OPERATIONS.get(name)
        # update_phone is optional: a back office without it does not offer the operation.
        if op is None or not callable(getattr(backoffice, name, None)):
            return _error("unknown_operation", "不支持的操作。", 404)
        try:
            args = _arguments(op, request.get_json(silent=True) if request.data else {})
        except WireError as exc:
            return _error("bad_arguments", f"参数不正确：{exc}", 400)
        method: Callable[..., Any] = getattr(backoffice, name)
        try:
            result = method(**args)
        except BackOfficeUnavailable:
            return _error("unavailable", "业务系统暂时不可用。", 503)
        return jsonify({"result": to_wire(result)})

    return app


# --- command line: `shebao backoffice serve` -------------------------------------------------------------


@click.group("backoffice")
def cli() -> None:
    """The reference back office (core system stand-in) served over HTTP."""


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8002, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the embedded reference back office at http://HOST:PORT/v1/ (key: SHEBAO_BACKOFFICE_API_KEY)."""
    from sqlalchemy.orm import sessionmaker
    from werkzeug.serving import run_simple

    from gateway.backoffice.local import LocalBackOffice
    from gateway.config import ConfigError, Settings
    from gateway.db import make_engine

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if not settings.backoffice_api_key:
        raise click.ClickException("set SHEBAO_BACKOFFICE_API_KEY: the back office never answers without a key.")
    local = LocalBackOffice(sessionmaker(bind=make_engine(settings.database_url)))
    click.echo(f"reference back office on http://{host}:{port}{API_PREFIX}/")
    run_simple(host, port, create_backoffice_app(local, settings.backoffice_api_key), threaded=True)
