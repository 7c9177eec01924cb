"""Personal data at rest: encrypted for reading back, keyed-hashed for look-ups (Regulation Art. 49).

Each purpose — a table's column — has its own key, derived from the one secret with HKDF (RFC 5869), and every
ciphertext is bound to its purpose and, where the row has a natural key, to its row, as AES-GCM associated data:
a value copied to another column or another row does not decrypt, and a key for one purpose opens nothing else
(ASVS 5.0 V11.2.1, V11.3.3, V11.4.2; OWASP cryptographic storage: one key, one purpose).

The stored form is versioned. ``v2.<base64url(nonce | ciphertext+tag)>`` is written; the form before (a Fernet token
under one key for everything, recognisable by its ``gAAAAA`` start) is still read, so existing rows keep working,
and ``shebao pii rekey`` rewrites every old value in the new form."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The prefix of the current stored form.
CURRENT = "v2."
_NONCE = 12


class PiiError(RuntimeError):
    """Stored personal data could not be decrypted (wrong key, purpose or row, or a damaged value)."""


class Purpose(enum.StrEnum):
    """What a ciphertext is: one column (or one session field). Each has its own key."""

    PERSON_ID_NUMBER = "person.id_number"
    PERSON_NAME = "person.name"
    PERSON_DOCUMENT_NUMBER = "person_document.number"
    STAFF_TOTP_SECRET = "staff_account.totp_secret"
    BINDING_ID_NUMBER = "pending_binding.id_number"
    CLERK_ID_NUMBER = "unit_clerk.id_number"
    CLERK_NAME = "unit_clerk.name"
    UNIT_LEGAL_REP = "unit_account.legal_rep"
    CASE_SUBJECT = "consult_case.subject"
    CASE_BODY = "consult_case.body"
    CASE_CONTACT = "consult_case.contact"
    CASE_OUTCOME = "consult_case.outcome"
    CASE_EVENT_TEXT = "consult_event.text"
    CALLER_PENDING = "session.hotline_pending_caller"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-pii", info=purpose).derive(secret.encode())


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PiiVault:
    """Encrypts and fingerprints personal data with keys derived from one secret, one key per purpose."""

    def __init__(self, secret: str) -> None:
        self._keys = {purpose: AESGCM(_derive(secret, f"pii:v2:{purpose}".encode())) for purpose in Purpose}
        # The form before purpose keys: read only, so rows written before keep working until rewritten.
        self._legacy = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))
        self._mac_key = _derive(secret, b"lookup")

    @staticmethod
    def _aad(purpose: Purpose, row: str) -> bytes:
        return f"shebao-pii|{purpose.value}|{row}".encode()

    def encrypt(self, value: str, purpose: Purpose, row: str = "") -> str:
        """``value`` sealed for ``purpose`` (and ``row``, the row's natural key, where it has one)."""
        nonce = os.urandom(_NONCE)
        sealed = self._keys[purpose].encrypt(nonce, value.encode(), self._aad(purpose, row))
        return CURRENT + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decrypt(self, token: str, purpose: Purpose, row: str = "") -> str:
        """The value sealed for exactly this purpose and row (or stored in the old form)."""
        if not token.startswith(CURRENT):
            return self._decrypt_legacy(token)
        try:
            raw = _b64decode(token[len(CURRENT) :])
            plain = self._keys[purpose].decrypt(raw[:_NONCE], raw[_NONCE:], self._aad(purpose, row))
            return plain.decode()
        except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise PiiError("personal data could not be decrypted") from exc

    def _decrypt_legacy(self, token: str) -> str:
        try:
            return self._legacy.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeDecodeError) as exc:
            raise PiiError("personal data could not be decrypted") from exc

    @staticmethod
    def is_current(token: str | None) -> bool:
        """Whether a stored value is already in the current form (empty values need nothing)."""
        return not token or token.startswith(CURRENT)

    def rekey(self, token: str, purpose: Purpose, row: str = "") -> str:
        """A value in the old form rewritten in the current one (a current value is returned unchanged)."""
        if self.is_current(token):
            return token
        return self.encrypt(self._decrypt_legacy(token), purpose, row)

    def digest(self, value: str) -> str:
        """A stable keyed hash, so a column can be searched without storing the value in clear."""
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()
