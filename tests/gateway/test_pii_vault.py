"""The PII vault: one key per purpose (HKDF), each ciphertext bound to its column and row (AES-GCM associated data),
the old single-key form still read and rewritten on request."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from gateway.security.pii import CURRENT, PiiError, PiiVault, Purpose, _derive

SECRET = "vault-test-secret-that-is-long-enough-0123456789"


@pytest.fixture
def vault() -> PiiVault:
    return PiiVault(SECRET)


def _old_form(value: str) -> str:
    """A value as the vault stored it before purpose keys: Fernet under the one key derived for "encrypt"."""
    return Fernet(base64.urlsafe_b64encode(_derive(SECRET, b"encrypt"))).encrypt(value.encode()).decode()


def test_a_value_comes_back_for_its_purpose_and_row(vault):
    sealed = vault.encrypt("张三", Purpose.PERSON_NAME, "row-1")
    assert sealed.startswith(CURRENT)
    assert vault.decrypt(sealed, Purpose.PERSON_NAME, "row-1") == "张三"


def test_another_purpose_cannot_open_it(vault):
    sealed = vault.encrypt("JBSWY3DPEHPK3PXP", Purpose.STAFF_TOTP_SECRET, "admin01")
    with pytest.raises(PiiError):
        vault.decrypt(sealed, Purpose.PERSON_ID_NUMBER, "admin01")


def test_a_value_moved_to_another_row_does_not_open(vault):
    sealed = vault.encrypt("110101199003070011", Purpose.PERSON_ID_NUMBER, "digest-a")
    with pytest.raises(PiiError):
        vault.decrypt(sealed, Purpose.PERSON_ID_NUMBER, "digest-b")


def test_each_purpose_has_its_own_key():
    keys = {_derive(SECRET, f"pii:v2:{purpose}".encode()) for purpose in Purpose}
    assert len(keys) == len(Purpose)


def test_another_secret_cannot_open_it(vault):
    sealed = vault.encrypt("张三", Purpose.PERSON_NAME)
    with pytest.raises(PiiError):
        PiiVault("another-secret-that-is-long-enough-0123456789").decrypt(sealed, Purpose.PERSON_NAME)


def test_a_tampered_value_is_refused(vault):
    sealed = vault.encrypt("张三", Purpose.PERSON_NAME)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(PiiError):
        vault.decrypt(flipped, Purpose.PERSON_NAME)


def test_garbage_is_refused_not_a_crash(vault):
    for junk in ("v2.", "v2.!!!", "not a token", ""):
        with pytest.raises(PiiError):
            vault.decrypt(junk, Purpose.PERSON_NAME)


def test_the_same_value_seals_differently_each_time(vault):
    assert vault.encrypt("张三", Purpose.PERSON_NAME) != vault.encrypt("张三", Purpose.PERSON_NAME)


def test_the_old_form_is_still_read(vault):
    assert vault.decrypt(_old_form("张三"), Purpose.PERSON_NAME, "any-row") == "张三"


def test_rekey_writes_the_old_form_in_the_new(vault):
    new = vault.rekey(_old_form("张三"), Purpose.PERSON_NAME, "row-1")
    assert PiiVault.is_current(new)
    assert vault.decrypt(new, Purpose.PERSON_NAME, "row-1") == "张三"


def test_rekey_leaves_a_current_value_alone(vault):
    sealed = vault.encrypt("张三", Purpose.PERSON_NAME, "row-1")
    assert vault.rekey(sealed, Purpose.PERSON_NAME, "row-1") == sealed
