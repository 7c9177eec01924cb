"""The SQL session store writes a session in one transaction without reading it first (issue 18: every
statement is a round trip to PostgreSQL): a new key is inserted, a known one updated in place, one deleted
meanwhile inserted again, and a rotation removes the old key in the same write."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from gateway.identity.web_sessions import SessionCodec, SqlSessionStore
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET


def _store(app) -> SqlSessionStore:
    return SqlSessionStore(app, SessionCodec(PiiVault(TEST_SECRET)))


def _statements(app) -> list[str]:
    seen: list[str] = []
    sa.event.listen(app.extensions["shebao_engine"], "before_cursor_execute",
                    lambda _c, _cur, statement, *_a: seen.append(statement.split()[0].upper()))  # fmt: skip
    return seen


def _rows(app, key: str) -> int:
    with app.extensions["shebao_engine"].connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM web_session WHERE id = :k"), {"k": key}).scalar_one()


def test_a_known_session_is_updated_without_being_read(app):
    store, key = _store(app), secrets.token_hex(32)
    store.save(key, {"step": 1}, None, 600, new=True)
    seen = _statements(app)
    store.save(key, {"step": 2}, None, 600)
    assert "SELECT" not in seen and "UPDATE" in seen, seen
    assert store.load(key) == {"step": 2}
    assert _rows(app, key) == 1


def test_a_session_deleted_meanwhile_is_written_again(app):
    store, key = _store(app), secrets.token_hex(32)
    store.save(key, {"step": 1}, None, 600, new=True)
    store.delete(key)  # "log out everywhere", or the clean-up, between the request's read and its save
    store.save(key, {"step": 2}, None, 600)
    assert store.load(key) == {"step": 2}
    assert _rows(app, key) == 1


def test_a_rotation_takes_the_old_key_away_in_the_same_write(app):
    store, old, new = _store(app), secrets.token_hex(32), secrets.token_hex(32)
    store.save(old, {"who": "before login"}, None, 600, new=True)
    store.save(new, {"who": "after login"}, None, 600, new=True, replaces=old)
    assert store.load(old) is None
    assert store.load(new) == {"who": "after login"}
