"""Argon2id at OWASP's parameters; a hash made with older parameters is replaced at the next good login."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from gateway.identity import passwords
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.service import LoginOutcome, authenticate_password
from tests.conftest import committing
from tests.identity.conftest import PASSWORD

# argon2-cffi's defaults, which the gateway used before (RFC 9106 low-memory: t=3, 64 MiB, p=4).
_OLD = PasswordHasher()


def test_new_hashes_use_owasp_parameters():
    params = extract_parameters(passwords.hash_password("Xy7#long-enough"))
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert params.type.name == "ID"
    assert not passwords.needs_rehash(passwords.hash_password("Xy7#long-enough"))


def test_login_with_an_old_parameter_hash_rehashes_it(app, member):
    vault = app.extensions["shebao_vault"]
    digest = vault.digest(member.id_number)
    where = (Credential.kind == CredentialKind.PASSWORD, Credential.identifier == digest)
    with committing(app) as db:
        db.scalars(select(Credential).where(*where)).one().secret_hash = _OLD.hash(PASSWORD)
    with committing(app) as db:
        old = db.scalar(select(Credential.secret_hash).where(*where))
        assert extract_parameters(old).memory_cost == 65536 and passwords.needs_rehash(old)

    # A wrong password never rewrites the hash.
    with committing(app) as db:
        assert authenticate_password(db, vault, member.id_number, "Wrong#2026").outcome is LoginOutcome.BAD
    with committing(app) as db:
        assert db.scalar(select(Credential.secret_hash).where(*where)) == old

    with committing(app) as db:
        assert authenticate_password(db, vault, member.id_number, PASSWORD).outcome is LoginOutcome.OK
    with committing(app) as db:
        new = db.scalar(select(Credential.secret_hash).where(*where))
    assert new != old
    assert (extract_parameters(new).memory_cost, extract_parameters(new).time_cost) == (19 * 1024, 2)
    assert not passwords.needs_rehash(new)
    # The new hash still opens the account.
    with committing(app) as db:
        assert authenticate_password(db, vault, member.id_number, PASSWORD).outcome is LoginOutcome.OK


def test_unknown_account_still_spends_a_verification():
    # The dummy hash is made with today's parameters, so a miss costs as much as a hit.
    assert not passwords.needs_rehash(passwords._DUMMY_HASH)
    assert passwords.verify_password(None, "anything") is False
