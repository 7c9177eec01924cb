"""Clients of outside systems, built once (DESIGN "Use cases and the Actor": "Clients of outside systems … are
built once in a registry that the app and the workers share").

The app builds one :class:`Clients` at start-up (:func:`init_app`) and its code reaches it through
:func:`get_clients`; ``shebao worker`` builds its own with the same :func:`build_clients` from the same
settings, so a request and the dispatcher always talk to the same back office and the same SMS gateway.

No Flask at import time: the worker uses this module outside any app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from gateway.config import Settings
from notify.sms import SmsClient

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session, sessionmaker

    from esign.service import CertificateService
    from gateway.backoffice.interface import BackOffice
    from gateway.backoffice.resilient import ExchangeContext
    from notify.wechat import WeChatGateway

__all__ = ["EXTENSION", "Clients", "build_backoffice", "build_clients", "build_sms", "get_clients", "init_app"]

EXTENSION = "shebao_clients"


@dataclass(frozen=True)
class Clients:
    """The outside systems' clients for one configuration: the core system, the SMS gateway, WeChat, and the
    agency's seal with its timestamp server."""

    settings: Settings = field(repr=False)
    backoffice: BackOffice
    sms: SmsClient

    @cached_property
    def wechat(self) -> WeChatGateway:
        """WeChat's API client, made on first use (wechatpy and, with Redis, its token storage are set up then);
        one per configuration in the process, so its cached access token is shared."""
        from notify.wechat import wechat_client

        s = self.settings
        return wechat_client(
            s.wechat_api_url or f"{s.sandbox_url}/wechat", s.wechat_appid, s.wechat_secret, s.redis_url
        )

    @cached_property
    def sealer(self) -> CertificateService:
        """The agency's seal (a local key or the CA's) and its timestamp-server client, made on first use; its
        fonts, key and seal appearance are loaded once per configuration in the process."""
        from esign.service import service_for

        return service_for(self.settings)


def build_backoffice(
    settings: Settings, sessions: sessionmaker[Session], context: Callable[[], ExchangeContext] | None = None
) -> BackOffice:
    """The implementation named by ``SHEBAO_BACKOFFICE``: ``local`` (default) or ``http`` (its breaker shared by
    every node through Redis when configured), inside the exchange log, last known answers and maintenance
    windows (:mod:`gateway.backoffice.resilient`). ``context`` says whom a call is for (the app's requests)."""
    from gateway.backoffice.resilient import ExchangeContext, ResilientBackOffice
    from gateway.security.pii import PiiVault

    inner: BackOffice
    if settings.backoffice == "http":
        from gateway.backoffice.breaker import breaker_for
        from gateway.backoffice.http import HttpBackOffice

        inner = HttpBackOffice(
            settings.backoffice_url,
            settings.backoffice_api_key,
            read_timeout=settings.backoffice_timeout,
            breaker=breaker_for(settings.redis_url),
        )
    else:
        from gateway.backoffice.local import LocalBackOffice

        inner = LocalBackOffice(sessions)
    vault = PiiVault(settings.secret_key, settings.secret_key_fallbacks)
    return ResilientBackOffice(inner, sessions, vault, context=context or ExchangeContext)


def build_sms(settings: Settings) -> SmsClient:
    """The SMS gateway client (the sandbox unless ``SHEBAO_SMS_URL`` is set)."""
    return SmsClient(settings.sms_url or f"{settings.sandbox_url}/sms", api_key=settings.sms_api_key)


def build_clients(
    settings: Settings, sessions: sessionmaker[Session], context: Callable[[], ExchangeContext] | None = None
) -> Clients:
    """Every outside system's client for ``settings``; ``sessions`` serves the embedded (local) back office."""
    return Clients(settings=settings, backoffice=build_backoffice(settings, sessions, context), sms=build_sms(settings))


def _request_context() -> ExchangeContext:
    """Whom the current request's back-office calls are for: its channel and an opaque reference (the exchange
    log never holds an ID number). Reads the Actor only if the request has built it already."""
    from flask import g, has_request_context, request

    from gateway.backoffice.resilient import ExchangeContext

    if not has_request_context():
        return ExchangeContext()
    actor = g.get("actor")
    if actor is None:
        first = request.path.strip("/").split("/", 1)[0]
        return ExchangeContext(channel=first if first in ("kiosk", "hotline", "api", "unit") else "web")
    parts = []
    if actor.staff_id is not None:
        parts.append(f"staff:{actor.staff_id}")
    subject = actor.subject
    if subject is not None:
        parts.append(f"person:{subject.person_id}")
    elif actor.unit is not None:
        parts.append(f"unit:{actor.unit.unit_id}")
    return ExchangeContext(channel=str(actor.channel.value), subject="/".join(parts) or None)


def _flush_exchange_log(_exc: BaseException | None) -> None:
    flush = getattr(get_clients().backoffice, "flush", None)
    if flush is not None:
        flush()


def init_app(app: Flask) -> Clients:
    """Build the app's registry once (after ``gateway.request_db.init_app``) and keep it in ``app.extensions``;
    ``shebao_backoffice`` stays a name for its back office (tests and tools reach it there)."""
    clients = app.extensions.get(EXTENSION)
    if clients is None:
        clients = build_clients(app.config["SETTINGS"], app.extensions["shebao_sessionmaker"], _request_context)
        app.extensions[EXTENSION] = clients
        app.extensions["shebao_backoffice"] = clients.backoffice
        from gateway.backoffice import resilient

        # Each request starts its own list of answers that are not live, and writes out the exchange-log entries
        # the database could not take while the request held SQLite's writer lock.
        app.before_request(resilient.begin_request)
        app.teardown_request(_flush_exchange_log)
    return clients


def get_clients() -> Clients:
    """The current app's registry."""
    from flask import current_app

    return current_app.extensions[EXTENSION]


def get_backoffice() -> BackOffice:
    """The current app's back office (local or HTTP, as configured)."""
    return get_clients().backoffice
