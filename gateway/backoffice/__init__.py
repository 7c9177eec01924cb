"""The core-system adapter (DESIGN "The core system is outside"): the interface and its two implementations.
The app's instance is built once in :mod:`gateway.clients` (``get_backoffice()``)."""

from __future__ import annotations

from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable, Page

__all__ = ["BackOffice", "BackOfficeUnavailable", "Page"]
