"""Migration 0019 (one clock): naive Beijing rows and naive UTC rows become the same aware UTC instants, and the
downgrade gives the old naive values back. Runs on the database the suite runs on (SQLite file, or PostgreSQL in
a schema of its own so the shared test database is not disturbed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from gateway.db import UtcDateTime
from gateway.migrate import downgrade, upgrade
from tests.support import database_url_for_tests

BEFORE = "0018_services"
#: 10:00:00.25 on 23 November 2026 in Beijing is 02:00:00.25 UTC.
BEIJING_WALL = datetime(2026, 11, 23, 10, 0, 0, 250000)
UTC_WALL = datetime(2026, 11, 23, 2, 0, 0, 250000)
INSTANT = datetime(2026, 11, 23, 2, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def url(tmp_path) -> Iterator[str]:
    base = database_url_for_tests(tmp_path / "clock.db")
    if not base.startswith("postgresql"):
        yield base
        return
    schema = f"clock_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _seed(conn) -> None:
    people = "INSERT INTO person (id, id_digest, id_number_enc, name_enc) VALUES (1, 'a', 'x', 'y'), (2, 'b', 'x', 'y')"
    conn.execute(sa.text(people))
    # proxy_grant held naive Beijing wall-clock time …
    conn.execute(
        sa.text(
            "INSERT INTO proxy_grant (id, grantor_id, proxy_id, scope, created_at, valid_until, revoked_at) "
            "VALUES (1, 1, 2, 'book', :local, :local, NULL)"
        ),
        {"local": BEIJING_WALL},
    )
    # … notify_preference and staff_audit naive UTC: the same instant, written two ways.
    conn.execute(
        sa.text(
            "INSERT INTO notify_preference (person_id, kind, channels, updated_at) "
            "VALUES (1, 'appointment_booked', 'inbox', :utc)"
        ),
        {"utc": UTC_WALL},
    )
    conn.execute(
        sa.text("INSERT INTO staff_audit (at, action, detail) VALUES (:utc, 'viewed', 'seen')"), {"utc": UTC_WALL}
    )


def _instants(conn) -> dict[str, datetime | None]:
    """The stored values, read the way the models read them."""
    typed = sa.column("v", UtcDateTime())
    out = {}
    for name, sql in {
        "grant_created": "SELECT created_at AS v FROM proxy_grant WHERE id = 1",
        "grant_until": "SELECT valid_until AS v FROM proxy_grant WHERE id = 1",
        "grant_revoked": "SELECT revoked_at AS v FROM proxy_grant WHERE id = 1",
        "preference": "SELECT updated_at AS v FROM notify_preference WHERE person_id = 1",
        "audit": "SELECT at AS v FROM staff_audit",
    }.items():
        out[name] = conn.execute(sa.text(sql).columns(typed)).scalar_one()
    return out


def _naive(conn, sql: str) -> datetime:
    value = conn.execute(sa.text(sql).columns(sa.column("v", sa.DateTime()))).scalar_one()
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_naive_beijing_and_naive_utc_rows_become_the_same_instant(url: str):
    upgrade(url, BEFORE)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            _seed(conn)
        upgrade(url)
        with engine.connect() as conn:
            got = _instants(conn)
            if engine.dialect.name == "postgresql":
                kinds = dict(
                    conn.execute(
                        sa.text(
                            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = current_schema() AND data_type LIKE 'timestamp%'"
                        )
                    ).all()
                )
                assert set(kinds.values()) == {"timestamp with time zone"}, kinds
        assert got == {
            "grant_created": INSTANT,
            "grant_until": INSTANT,
            "grant_revoked": None,
            "preference": INSTANT,
            "audit": INSTANT,
        }
        assert all(v is None or v.tzinfo is not None for v in got.values())

        downgrade(url, BEFORE)
        with engine.connect() as conn:
            assert _naive(conn, "SELECT created_at AS v FROM proxy_grant WHERE id = 1") == BEIJING_WALL
            assert _naive(conn, "SELECT updated_at AS v FROM notify_preference WHERE person_id = 1") == UTC_WALL
            assert _naive(conn, "SELECT at AS v FROM staff_audit") == UTC_WALL
    finally:
        engine.dispose()


def test_the_column_type_refuses_naive_values_and_reads_aware_utc(url: str):
    upgrade(url)
    engine = sa.create_engine(url)
    table = sa.table("notify_audit", sa.column("id"), sa.column("at", UtcDateTime()), sa.column("action"))
    try:
        with engine.begin() as conn, pytest.raises(sa.exc.StatementError, match="naive datetime"):
            conn.execute(sa.select(table.c.id).where(table.c.at < datetime(2026, 11, 23, 10, 0)))
        beijing = datetime.fromisoformat("2026-11-23T10:00:00.250000+08:00")
        with engine.begin() as conn:
            rows = conn.execute(sa.select(sa.literal(beijing, UtcDateTime()))).scalar_one()
        assert rows == INSTANT and rows.tzinfo is not None
    finally:
        engine.dispose()
