"""Opaque, signed references for forms: a page names a record by a token the server signed (bound to a purpose,
the staff member and a time limit), never by a ciphertext the server would decrypt (ASVS 5.0 V11.2, V8.2.2)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from gateway.security import keyring


class References:
    """Signs and reads small JSON payloads for one purpose; a token made for another purpose never reads."""

    def __init__(self, secret: str, purpose: str, max_age_s: int) -> None:
        # Signed with the current secret; read under it or one it replaced (gateway.security.keyring).
        self._serializer = URLSafeTimedSerializer(keyring.itsdangerous_keys(secret), salt=f"shebao-ref:{purpose}")
        self._max_age_s = max_age_s

    def make(self, **payload: Any) -> str:
        """A token carrying ``payload``: readable by whoever holds the page, alterable by no one (so nothing in it that
        the page may not show)."""
        return self._serializer.dumps(payload)

    def read(self, token: str) -> dict[str, Any] | None:
        """The payload of a genuine, unexpired token; None for anything else."""
        if not token or len(token) > 1000:
            return None
        try:
            payload = self._serializer.loads(token, max_age=self._max_age_s)
        except BadSignature:  # includes SignatureExpired
            return None
        return payload if isinstance(payload, dict) else None
