"""Personal data at rest: encrypted for reading back, keyed-hashed for look-ups (Regulation Art. 49).

Each purpose — a table's column — has its own key, derived from the one secret with HKDF (RFC 5869), and every
ciphertext is bound to its purpose and, where the row has a natural key, to its row, as AES-GCM associated data:
a value copied to another column or another row does not decrypt, and a key for one purpose opens nothing else
(ASVS 5.0 V11.2.1, V11.3.3, V11.4.2; OWASP cryptographic storage: one key, one purpose).

The stored form is versioned. ``v2.<base64url(nonce | ciphertext+tag)>`` is written; the form before (a Fernet token
under one key for everything, recognisable by its ``gAAAAA`` start) is still read, so existing rows keep working,
and ``shebao pii rekey`` rewrites every old value in the new form.

Rotating the secret (``SHEBAO_SECRET_KEY`` new, the old one in ``SHEBAO_SECRET_KEY_FALLBACKS``): values are written
under the new secret's keys and read under any of them, so nothing becomes unreadable and no session is lost; the
keyed look-up hash of the new secret is searched alongside the old ones' (:meth:`PiiVault.digests`), and
``shebao pii rekey`` rewrites what the old secrets sealed, after which the old secrets can be dropped."""

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
    BINDING_DOCUMENT = "pending_binding.document"
    CLERK_ID_NUMBER = "unit_clerk.id_number"
    CLERK_NAME = "unit_clerk.name"
    UNIT_LEGAL_REP = "unit_account.legal_rep"
    CASE_SUBJECT = "consult_case.subject"
    CASE_BODY = "consult_case.body"
    CASE_CONTACT = "consult_case.contact"
    CASE_OUTCOME = "consult_case.outcome"
    CASE_EVENT_TEXT = "consult_event.text"
    CHAT_MESSAGE = "chat_message.text"
    CALLER_PENDING = "session.hotline_pending_caller"
    BACKOFFICE_ANSWER = "bo_last_known.payload"
    CORE_WRITE = "bo_write_queue.arguments"
    #: A server-side web session's whole data (pending registrations, resets and phone changes hold ID and phone
    #: numbers), bound to the session's key.
    WEB_SESSION = "web_session.data"
    #: An uploaded application material's bytes on disk, bound to its stored name.
    UPLOAD_FILE = "application_material.file"
    #: An application's personal answers (forms.yaml ``personal``), bound to the application's id.
    APPLICATION_FIELDS = "app_application.fields"
    #: A certificate holder's number, kept to ask whether the record changed since issue; bound to the document id.
    CERTIFICATE_HOLDER = "esign_documents.holder_id"


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-pii", info=purpose).derive(secret.encode())


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Keys:
    """The keys one secret derives: one AES-GCM key per purpose, the legacy Fernet key and the look-up key."""

    def __init__(self, secret: str) -> None:
        self.purposes = {purpose: AESGCM(_derive(secret, f"pii:v2:{purpose}".encode())) for purpose in Purpose}
        # The form before purpose keys: read only, so rows written before keep working until rewritten.
        self.legacy = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))
        self.mac = _derive(secret, b"lookup")


class PiiVault:
    """Encrypts and fingerprints personal data with keys derived from one secret, one key per purpose; reads
    (never writes) under the keys of ``fallbacks``, the secrets it replaced."""

    def __init__(self, secret: str, fallbacks: tuple[str, ...] | list[str] = ()) -> None:
        self._current = _Keys(secret)
        self._older = tuple(_Keys(old) for old in fallbacks if old and old != secret)

    @property
    def _keys(self) -> dict[Purpose, AESGCM]:
        return self._current.purposes

    @staticmethod
    def _aad(purpose: Purpose, row: str) -> bytes:
        return f"shebao-pii|{purpose.value}|{row}".encode()

    def encrypt(self, value: str, purpose: Purpose, row: str = "") -> str:
        """``value`` sealed for ``purpose`` (and ``row``, the row's natural key, where it has one)."""
        nonce = os.urandom(_NONCE)
        sealed = self._keys[purpose].encrypt(nonce, value.encode(), self._aad(purpose, row))
        return CURRENT + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decrypt(self, token: str, purpose: Purpose, row: str = "") -> str:
        """The value sealed for exactly this purpose and row (or stored in the old form), under the current
        secret or one it replaced."""
        return self._open(token, purpose, row)[0]

    def _open(self, token: str, purpose: Purpose, row: str) -> tuple[str, bool]:
        """(the value, whether the current secret's keys opened it)."""
        if not token.startswith(CURRENT):
            return self._decrypt_legacy(token), False
        try:
            raw = _b64decode(token[len(CURRENT) :])
        except (ValueError, binascii.Error) as exc:
            raise PiiError("personal data could not be decrypted") from exc
        for keys in (self._current, *self._older):
            try:
                plain = keys.purposes[purpose].decrypt(raw[:_NONCE], raw[_NONCE:], self._aad(purpose, row))
                return plain.decode(), keys is self._current
            except (InvalidTag, ValueError, UnicodeDecodeError):
                continue
        raise PiiError("personal data could not be decrypted")

    def seal_bytes(self, data: bytes, purpose: Purpose, row: str) -> bytes:
        """``data`` sealed for ``purpose`` and ``row``: nonce | ciphertext+tag (a file's contents)."""
        nonce = os.urandom(_NONCE)
        return nonce + self._keys[purpose].encrypt(nonce, data, self._aad(purpose, row))

    def open_bytes(self, sealed: bytes, purpose: Purpose, row: str) -> bytes:
        """What :meth:`seal_bytes` sealed for exactly this purpose and row, under the current or a replaced secret."""
        return self._open_bytes(sealed, purpose, row)[0]

    def _open_bytes(self, sealed: bytes, purpose: Purpose, row: str) -> tuple[bytes, bool]:
        """(the contents, whether the current secret's key opened them)."""
        for keys in (self._current, *self._older):
            try:
                plain = keys.purposes[purpose].decrypt(sealed[:_NONCE], sealed[_NONCE:], self._aad(purpose, row))
                return plain, keys is self._current
            except (InvalidTag, ValueError):
                continue
        raise PiiError("file could not be decrypted")

    def reseal_bytes(self, sealed: bytes, purpose: Purpose, row: str) -> bytes | None:
        """Contents sealed under a replaced secret, sealed again under the current one; None when already current."""
        plain, current = self._open_bytes(sealed, purpose, row)
        return None if current else self.seal_bytes(plain, purpose, row)

    def _decrypt_legacy(self, token: str) -> str:
        for keys in (self._current, *self._older):
            try:
                return keys.legacy.decrypt(token.encode()).decode()
            except (InvalidToken, UnicodeDecodeError):
                continue
        raise PiiError("personal data could not be decrypted")

    @staticmethod
    def is_current(token: str | None) -> bool:
        """Whether a stored value is already in the current form (empty values need nothing)."""
        return not token or token.startswith(CURRENT)

    def rekey(self, token: str, purpose: Purpose, row: str = "", new_row: str | None = None) -> str:
        """A value in the old form, or sealed under a replaced secret, rewritten under the current secret's key
        (for ``new_row`` when the row's key changes too); a current value for the same row is returned unchanged."""
        value, current = self._open(token, purpose, row)
        if current and new_row in (None, row):
            return token
        return self.encrypt(value, purpose, row if new_row is None else new_row)

    def is_readable_now(self, token: str, purpose: Purpose, row: str = "") -> bool:
        """Whether the current secret alone opens this value (what ``rekey`` is for)."""
        return self._open(token, purpose, row)[1]

    def digest(self, value: str) -> str:
        """A stable keyed hash, so a column can be searched without storing the value in clear."""
        return hmac.new(self._current.mac, value.encode(), hashlib.sha256).hexdigest()

    def digests(self, value: str) -> list[str]:
        """The keyed hash under the current secret, then under each replaced one: search with all of them until
        ``shebao pii rekey`` has rewritten the stored hashes."""
        return [hmac.new(k.mac, value.encode(), hashlib.sha256).hexdigest() for k in (self._current, *self._older)]

    @property
    def rotating(self) -> bool:
        """Whether replaced secrets are configured."""
        return bool(self._older)
