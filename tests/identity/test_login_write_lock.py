"""A password login hashes before it writes: on SQLite a write transaction holds the whole database's write lock,
and holding it through Argon2 queued every other login and booking behind each login (issue 18's rush)."""

from __future__ import annotations

import sqlite3

import pytest

from gateway.identity import passwords, service
from gateway.identity.service import LoginOutcome, authenticate_password
from tests.conftest import committing
from tests.identity.conftest import PASSWORD


@pytest.fixture
def sqlite_path(app) -> str:
    url = app.extensions["shebao_engine"].url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's; PostgreSQL locks rows")
    return url.database


def _others_can_write(path: str) -> bool:
    """Whether another connection gets SQLite's write lock at once (BEGIN IMMEDIATE, no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # "database is locked"
        return False
    finally:
        other.close()


@pytest.mark.parametrize("password, outcome", [(PASSWORD, LoginOutcome.OK), ("Wrong#2026", LoginOutcome.BAD)])
def test_the_write_lock_is_free_while_the_password_is_checked(app, member, sqlite_path, monkeypatch, password, outcome):
    seen: list[bool] = []
    real = passwords.verify_password

    def watching(stored, given):  # noqa: ANN001, ANN202 — the signature of verify_password
        seen.append(_others_can_write(sqlite_path))
        return real(stored, given)

    monkeypatch.setattr(service, "verify_password", watching)
    vault = app.extensions["shebao_vault"]
    with committing(app) as db:
        assert authenticate_password(db, vault, member.id_number, password).outcome is outcome
    assert seen == [True]
