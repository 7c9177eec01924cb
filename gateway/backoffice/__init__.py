"""The core-system adapter (DESIGN "The core system is outside")."""

from __future__ import annotations

from flask import Flask

from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable, Page

__all__ = ["BackOffice", "BackOfficeUnavailable", "Page", "get_backoffice", "init_app"]


def init_app(app: Flask) -> None:
    """Build the app's outside-system clients (:mod:`gateway.clients`), whose back office is the one named by
    ``SHEBAO_BACKOFFICE``: ``local`` (default) or ``http``."""
    from gateway.clients import init_app as init_clients

    # ``shebao_backoffice`` stays as a name for the registry's back office (tests and tools reach it there).
    app.extensions["shebao_backoffice"] = init_clients(app).backoffice


def get_backoffice() -> BackOffice:
    from gateway.clients import get_clients

    return get_clients().backoffice
