"""Personal data at rest: encrypted for reading back, keyed-hashed for look-ups (Regulation Art. 49)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class PiiError(RuntimeError):
    """Stored personal data could not be decrypted (wrong key or damaged value)."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-pii", info=purpose).derive(secret.encode())


class PiiVault:
    """Encrypts and fingerprints personal data with keys derived from one secret."""

    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))
        self._mac_key = _derive(secret, b"lookup")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise PiiError("personal data could not be decrypted") from exc

    def digest(self, value: str) -> str:
        """A stable keyed hash, so a column can be searched without storing the value in clear."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()
