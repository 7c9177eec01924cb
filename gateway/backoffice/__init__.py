"""The core-system adapter (DESIGN "The core system is outside")."""

from __future__ import annotations

from flask import Flask, current_app

from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable, Page

__all__ = ["BackOffice", "BackOfficeUnavailable", "Page", "get_backoffice", "init_app"]


def init_app(app: Flask) -> None:
    """Choose the implementation named by ``SHEBAO_BACKOFFICE``: ``local`` (default) or ``http``."""
    settings = app.config["SETTINGS"]
    if settings.backoffice == "http":
        from gateway.backoffice.http import HttpBackOffice

        app.extensions["shebao_backoffice"] = HttpBackOffice(
            settings.backoffice_url, settings.backoffice_api_key, read_timeout=settings.backoffice_timeout
        )
        return
    from gateway.backoffice.local import LocalBackOffice

    app.extensions["shebao_backoffice"] = LocalBackOffice(app.extensions["shebao_sessionmaker"])


def get_backoffice() -> BackOffice:
    return current_app.extensions["shebao_backoffice"]
