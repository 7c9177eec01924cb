"""Rotating SHEBAO_SECRET_KEY (issue 19): with the old secret in SHEBAO_SECRET_KEY_FALLBACKS nobody is logged out
and nothing encrypted is lost; ``shebao pii rekey`` (a fresh process) rewrites what the old secret sealed, after
which the new secret alone reads everything (ASVS 5.0 V11.2 key rotation)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway import create_app
from gateway.applications import uploads
from gateway.identity.models import Person
from gateway.identity.service import ensure_person, find_person, identity_of, set_password
from gateway.migrate import upgrade
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from tests.conftest import login

KEY_A = "rotation-test-secret-A-0123456789abcdefghij"
KEY_B = "rotation-test-secret-B-9876543210zyxwvutsrq"
PASSWORD = "Kx9#mTq2vLw!"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def rotated(tmp_path, settings):
    """A database of its own, written under secret A: one person with a password."""
    url = f"sqlite:///{tmp_path / 'rotation.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    id_number = make_id_number("610302", date(1975, 5, 6), 321)
    with sessionmaker(bind=engine).begin() as db:
        person = ensure_person(db, PiiVault(KEY_A), id_number, "轮换测试")
        set_password(db, PiiVault(KEY_A), person, PASSWORD)
    base = dataclasses.replace(settings, database_url=url, var_dir=tmp_path / "var")
    yield base, url, engine, id_number
    engine.dispose()


def _cli(url: str, var, *args: str, fallbacks: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(SHEBAO_DATABASE_URL=url, SHEBAO_SECRET_KEY=KEY_B, SHEBAO_ENV="testing", SHEBAO_VAR_DIR=str(var))
    if fallbacks:
        env["SHEBAO_SECRET_KEY_FALLBACKS"] = fallbacks
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "pii", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_rotating_the_secret_keeps_sessions_and_data(rotated):
    base, url, engine, id_number = rotated
    under_a = create_app(dataclasses.replace(base, secret_key=KEY_A))
    client = under_a.test_client()
    assert login(client, id_number, PASSWORD).status_code == 302
    cookie = client.get_cookie("shebao_session").value
    under_a.extensions["shebao_engine"].dispose()

    # Key B, with A as a fallback: the session made under A goes on, and a new login works.
    under_b = create_app(dataclasses.replace(base, secret_key=KEY_B, secret_key_fallbacks=(KEY_A,)))
    same = under_b.test_client()
    same.set_cookie("shebao_session", cookie)
    account = same.get("/account/")
    assert account.status_code == 200 and "my-document" in account.get_data(as_text=True)  # still logged in
    assert login(under_b.test_client(), id_number, PASSWORD).status_code == 302
    under_b.extensions["shebao_engine"].dispose()

    # An upload sealed under A (uploads are sealed at rest) must survive the rotation too.
    uploads.use_vault(base.var_dir, PiiVault(KEY_A))
    (upload,) = uploads.store_files([uploads.IncomingFile("身份证", "a.pdf", PDF)], base.var_dir)

    # A fresh process sees the data under the older key, readable; without A it would not be.
    var = base.var_dir
    before = _cli(url, var, "status", fallbacks=KEY_A)
    assert before.returncode == 0, before.stderr
    assert "under an older key, 0 unreadable" in before.stdout and "0 under an older key" not in before.stdout
    assert _cli(url, var, "status").returncode == 1  # B alone: not yet

    rekey = _cli(url, var, "rekey", fallbacks=KEY_A)
    assert rekey.returncode == 0, rekey.stderr
    assert "uploads\t1 files sealed again, 0 unreadable" in rekey.stdout
    after = _cli(url, var, "status")  # B alone now
    assert after.returncode == 0 and "0 under an older key, 0 unreadable" in after.stdout, after.stdout

    with sessionmaker(bind=engine)() as db:
        vault_b = PiiVault(KEY_B)
        person = find_person(db, vault_b, id_number)
        assert person is not None and identity_of(vault_b, person).name == "轮换测试"
        assert db.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    uploads.use_vault(base.var_dir, PiiVault(KEY_B))
    assert uploads.open_stored(upload.stored_name, base.var_dir) == PDF
    only_b = create_app(dataclasses.replace(base, secret_key=KEY_B))
    assert login(only_b.test_client(), id_number, PASSWORD).status_code == 302
    only_b.extensions["shebao_engine"].dispose()


def test_the_vault_reads_under_a_fallback_and_writes_under_the_current_secret():
    from gateway.security.pii import PiiError, Purpose

    sealed = PiiVault(KEY_A).encrypt("110101199003071234", Purpose.PERSON_ID_NUMBER, "row")
    rotated = PiiVault(KEY_B, (KEY_A,))
    assert rotated.decrypt(sealed, Purpose.PERSON_ID_NUMBER, "row") == "110101199003071234"
    assert not rotated.is_readable_now(sealed, Purpose.PERSON_ID_NUMBER, "row")
    moved = rotated.rekey(sealed, Purpose.PERSON_ID_NUMBER, "row")
    assert PiiVault(KEY_B).decrypt(moved, Purpose.PERSON_ID_NUMBER, "row") == "110101199003071234"
    with pytest.raises(PiiError):
        PiiVault(KEY_B).decrypt(sealed, Purpose.PERSON_ID_NUMBER, "row")
    assert rotated.digests("x") == [PiiVault(KEY_B).digest("x"), PiiVault(KEY_A).digest("x")]
