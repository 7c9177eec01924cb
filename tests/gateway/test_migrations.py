"""The migrations are the only source of the schema: they build it, match the models, and undo cleanly."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import gateway.models  # noqa: F401  (registers every table)
from gateway.db import Base
from gateway.migrate import downgrade, upgrade


@pytest.fixture
def fresh_url(tmp_path) -> str:
    if os.environ.get("SHEBAO_TEST_DATABASE_URL"):
        pytest.skip("runs on its own SQLite file so it cannot disturb the shared PostgreSQL database")
    return f"sqlite:///{tmp_path / 'm.db'}"


def test_migrations_match_the_models(fresh_url: str):
    upgrade(fresh_url)
    engine = sa.create_engine(fresh_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], "models changed without a migration: run `alembic revision --autogenerate`"


def test_downgrade_to_base_and_up_again(fresh_url: str):
    upgrade(fresh_url)
    downgrade(fresh_url, "base")
    engine = sa.create_engine(fresh_url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(fresh_url)
    engine = sa.create_engine(fresh_url)
    assert "bo_person" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_the_history_has_one_head():
    """Feature branches may land side by side (the app upgrades to every head), but a release merges them."""
    from alembic.script import ScriptDirectory

    from gateway.migrate import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1
