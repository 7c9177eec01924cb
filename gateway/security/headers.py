"""Strict security headers on every response."""

from __future__ import annotations

from flask import Flask

# No inline script or style anywhere: everything is served from /static/.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    production = app.config["SETTINGS"].production

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=()")
        if production:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype in ("text/html", "application/json"):
            # Pages and the API's JSON show personal data (applications, inbox, tokens): never kept in a browser
            # or shared cache (ASVS 5.0 14.3.2; RFC 6749 5.1 for token answers). A view may still say otherwise.
            h.setdefault("Cache-Control", "no-store")
        return response
