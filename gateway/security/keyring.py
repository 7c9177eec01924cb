"""Which secrets a secret replaced (``SHEBAO_SECRET_KEY_FALLBACKS``), for everything keyed by the app secret.

Rotating ``SHEBAO_SECRET_KEY`` must not log everyone out or break what is in flight (issue 19). Sessions and the
PII vault already read under the replaced secrets; the other keyed values — access tokens, SMS code hashes,
CAPTCHA challenges, signed references and download links, certificate anti-forgery code hashes and holder
digests, CSRF tokens — are made under the current secret and checked under the current one, then each replaced
one (:func:`with_fallbacks`), so a value made just before the rotation still works and nothing new is made under
an old key. Once the old secret is removed from the setting, what it alone made stops verifying.

The app (``gateway.create_app``), the worker and the command line call :func:`register` with their settings; the
functions that check keyed values take the current secret as before and look its fallbacks up here, so every
call site keeps passing one secret.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

__all__ = ["fallbacks_of", "itsdangerous_keys", "register", "with_fallbacks"]

_REPLACED: dict[str, tuple[str, ...]] = {}
_LOCK = threading.Lock()


def register(secret: str, fallbacks: Iterable[str]) -> None:
    """Record that ``secret`` replaced ``fallbacks`` (newest first); an empty list ends the rotation."""
    older = tuple(dict.fromkeys(f for f in fallbacks if f and f != secret))
    with _LOCK:
        _REPLACED[secret] = older


def fallbacks_of(secret: str) -> tuple[str, ...]:
    """The secrets ``secret`` replaced, still accepted for checking (never for making)."""
    return _REPLACED.get(secret, ())


def with_fallbacks(secret: str) -> tuple[str, ...]:
    """The current secret, then each one it replaced: the order to check a keyed value in."""
    return (secret, *fallbacks_of(secret))


def itsdangerous_keys(secret: str) -> list[str]:
    """The same keys in itsdangerous's order (oldest first; the last one signs)."""
    return [*reversed(fallbacks_of(secret)), secret]
