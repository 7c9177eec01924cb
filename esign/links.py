"""Expiring download links for one kept document (the hotline sends one to the caller's registered phone).

A link is ``/certificates/d/<token>``: the token names one document id and its expiry time and is signed
with the app's secret (itsdangerous, HMAC-SHA1 over a key derived from the secret with its own salt), so it
cannot be forged, pointed at another document or extended. It is a bearer link: whoever holds it may
download that one PDF until it expires — which is why it is short-lived and only sent to a registered phone.
"""

from __future__ import annotations

import time
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer

from gateway.config import Settings
from gateway.security import keyring

SALT = "shebao.esign.download-link"
PATH = "/certificates/d/"


class LinkProblem(StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"


class LinkError(ValueError):
    """The token cannot be used; ``problem`` says whether it expired or was never valid."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _serializer(secret_key: str) -> URLSafeSerializer:
    # Signed with the current secret; links made under a replaced one (SHEBAO_SECRET_KEY_FALLBACKS) still read.
    return URLSafeSerializer(keyring.itsdangerous_keys(secret_key), salt=SALT)


def download_token(secret_key: str, document_id: int, *, ttl_s: int, now: float | None = None) -> str:
    """A signed token for ``document_id`` valid for ``ttl_s`` seconds from ``now`` (epoch seconds)."""
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    expires = int((time.time() if now is None else now) + ttl_s)
    return _serializer(secret_key).dumps([int(document_id), expires])


def read_token(secret_key: str, token: str, *, now: float | None = None) -> int:
    """The document id a token names; :class:`LinkError` if forged, malformed or expired."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        raise LinkError(LinkProblem.INVALID) from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in payload)
    ):
        raise LinkError(LinkProblem.INVALID)
    document_id, expires = payload
    if (time.time() if now is None else now) >= expires:
        raise LinkError(LinkProblem.EXPIRED)
    return document_id


def download_link(
    settings: Settings,
    document_id: int,
    *,
    ttl_s: int | None = None,
    base_url: str | None = None,
    now: float | None = None,
) -> str:
    """The public, expiring download URL of one kept document (see :func:`esign.stored.keep`).

    ``ttl_s`` defaults to ``settings.download_link_ttl_s`` (24 h); the URL is absolute when ``base_url`` or
    ``settings.public_url`` is set (an SMS needs that), else a site-relative path."""
    ttl = settings.download_link_ttl_s if ttl_s is None else ttl_s
    token = download_token(settings.secret_key, document_id, ttl_s=ttl, now=now)
    base = (base_url or settings.public_url or "").rstrip("/")
    return f"{base}{PATH}{token}"
