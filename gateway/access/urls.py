"""Addresses a person is given (download links, the verify page printed on certificates): on the configured
public URL, or this request's host when none is set."""

from __future__ import annotations

from flask import current_app, request


def public_base_url() -> str:
    return (current_app.config["SETTINGS"].public_url or request.url_root).rstrip("/")


def verify_url() -> str:
    """The public verify page printed on every certificate (LD/T 01 5.4.2.4)."""
    return public_base_url() + "/verify/"
