"""``shebao staff`` in a fresh process, as an operator runs it: only the CLI's own imports load models, so a table
whose foreign key names another package's table (the audit trail names ``person``) must still resolve."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.staff.models import AuditAction, AuditEntry, Staff, StaffRole
from tests.conftest import TEST_SECRET


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    environ.update(SHEBAO_DATABASE_URL=database_url, SHEBAO_SECRET_KEY=TEST_SECRET, SHEBAO_ENV="testing")
    return environ


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    with sessionmaker(bind=engine)() as session:
        yield session
    engine.dispose()


def staff_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``shebao staff …`` in its own interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "staff", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _actions(db, username: str) -> list[AuditAction]:
    db.expire_all()
    return list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.detail.contains(username))))


def test_add_creates_the_account_and_shows_its_enrolment_once(env, db):
    made = staff_cli(
        "add", "cli.agent1", "--name", "命令行", "--department", "失业保险科", "--role", "reviewer",
        "--password", DEMO_PASSWORD, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "otpauth://totp/" in made.stdout
    staff = db.scalar(sa.select(Staff).where(Staff.username == "cli.agent1"))
    assert staff.department == "失业保险科" and staff.roles == {StaffRole.REVIEWER}
    assert AuditAction.STAFF_CREATED in _actions(db, "cli.agent1")


def test_unlock_clears_a_lockout(env, db, make_staff):
    agent = make_staff(StaffRole.AGENT)
    db.get(Staff, agent.id).locked_until = clock.now() + timedelta(minutes=15)
    db.commit()
    result = staff_cli("unlock", agent.username, env=env)
    assert result.returncode == 0, result.stderr
    db.expire_all()
    assert db.get(Staff, agent.id).locked_until is None
    assert AuditAction.STAFF_UNLOCKED in _actions(db, agent.username)


def test_reset_totp_gives_a_new_seed(env, db, make_staff):
    agent = make_staff(StaffRole.AGENT)
    result = staff_cli("reset-totp", agent.username, env=env)
    assert result.returncode == 0, result.stderr
    assert "otpauth://totp/" in result.stdout and agent.totp_secret not in result.stdout
    assert AuditAction.TOTP_RESET in _actions(db, agent.username)


def test_lock_disables_the_account(env, db, make_staff):
    agent = make_staff(StaffRole.AGENT)
    result = staff_cli("lock", agent.username, env=env)
    assert result.returncode == 0, result.stderr
    db.expire_all()
    assert db.get(Staff, agent.id).active is False
    assert AuditAction.STAFF_LOCKED in _actions(db, agent.username)


def test_unknown_account_is_a_clear_error(env):
    result = staff_cli("unlock", "nobody_here", env=env)
    assert result.returncode != 0
    assert "no such staff account" in result.stderr
