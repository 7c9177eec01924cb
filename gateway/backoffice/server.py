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

The wire codec and the operations live in :mod:`gateway.backoffice.wire` (no Flask there); they are re-exported
here for the callers that know them by this name.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, jsonify, request

from gateway.backoffice.interface import BackOffice, BackOfficeRefused, BackOfficeUnavailable
from gateway.backoffice.wire import (
    API_PREFIX,
    MAX_PAGE_SIZE,
    OPERATIONS,
    Operation,
    WireError,
    arguments_of,
    from_wire,
    to_wire,
)

__all__ = [
    "API_PREFIX",
    "MAX_PAGE_SIZE",
    "OPERATIONS",
    "Operation",
    "WireError",
    "cli",
    "create_backoffice_app",
    "from_wire",
    "to_wire",
]


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
            args = arguments_of(op, request.get_json(silent=True) if request.data else {})
        except WireError as exc:
            return _error("bad_arguments", f"参数不正确：{exc}", 400)
        method: Callable[..., Any] = getattr(backoffice, name)
        try:
            result = method(**args)
        except BackOfficeRefused:
            return _error("refused", "业务系统拒绝了该操作。", 409)
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
