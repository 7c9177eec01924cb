"""Rows written before purpose keys keep working, and ``shebao pii rekey`` (in a fresh process) moves them to the
current form, bound to their column and row."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.orm import sessionmaker

from gateway.identity.models import Person
from gateway.identity.service import find_person, identity_of
from gateway.security.pii import PiiVault, Purpose, _derive
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET


def _old_form(value: str) -> str:
    return Fernet(base64.urlsafe_b64encode(_derive(TEST_SECRET, b"encrypt"))).encrypt(value.encode()).decode()


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    with sessionmaker(bind=engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def old_person(db) -> tuple[int, str]:
    """A person as the gateway stored them before purpose keys (one Fernet key for every column)."""
    import secrets
    from datetime import date

    id_number = make_id_number("610302", date(1961, 2, 3), 100 + secrets.randbelow(899))
    while find_person(db, PiiVault(TEST_SECRET), id_number) is not None:
        id_number = make_id_number("610302", date(1961, 2, 3), 100 + secrets.randbelow(899))
    vault = PiiVault(TEST_SECRET)
    person = Person(id_digest=vault.digest(id_number), id_number_enc=_old_form(id_number), name_enc=_old_form("旧格式"))
    db.add(person)
    db.commit()
    return person.id, id_number


def test_an_old_row_still_reads(db, old_person):
    person_id, id_number = old_person
    found = identity_of(PiiVault(TEST_SECRET), db.get(Person, person_id))
    assert (found.id_number, found.name) == (id_number, "旧格式")


def test_rekey_moves_old_rows_to_bound_ciphertexts(db, old_person, database_url):
    person_id, id_number = old_person
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(SHEBAO_DATABASE_URL=database_url, SHEBAO_SECRET_KEY=TEST_SECRET, SHEBAO_ENV="testing")
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "pii", "rekey"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "person.id_number_enc" in done.stdout
    db.expire_all()
    person = db.get(Person, person_id)
    vault = PiiVault(TEST_SECRET)
    assert PiiVault.is_current(person.id_number_enc) and PiiVault.is_current(person.name_enc)
    assert vault.decrypt(person.name_enc, Purpose.PERSON_NAME, person.id_digest) == "旧格式"
    assert find_person(db, vault, id_number).id == person_id
