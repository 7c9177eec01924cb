"""Fixtures for the 12333 caller and hall-queue tests: the seal the hotline issues proofs with, back-office
people to play callers, the SMS sandbox's texts, a session and a logged-in agent. Plain helpers are in
``tests/hotline/helpers.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from esign import pki
from gateway.staff.models import StaffRole
from tests.conftest import StaffLogin, staff_login
from tests.hotline.helpers import CallerInfo


@pytest.fixture(scope="session")
def settings(settings, tmp_path_factory):
    """The shared settings with a var/ of our own holding the local agency seal (``shebao seal init``), so the
    hotline can issue sealed proofs and they stay out of other tests' folders."""
    own = replace(settings, var_dir=tmp_path_factory.mktemp("hotline-var"))
    pki.init_local(Path(own.var_dir) / "seal", own.agency_name)
    return own


@pytest.fixture(scope="session")
def _caller_pool(database_url: str) -> list[CallerInfo]:
    """Back-office people with a phone of their own and at least one registration (a proof can be issued),
    taken from the low ids (the identity tests take theirs from the high end); each goes to one test."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.id_number, p.name, p.phone FROM bo_person p "
                "WHERE p.phone <> '' AND EXISTS (SELECT 1 FROM bo_registration r WHERE r.person_id = p.id) "
                "ORDER BY p.id"
            )
        ).all()
    engine.dispose()
    phones = [r.phone for r in rows]
    pool = [CallerInfo(*r) for r in rows if phones.count(r.phone) == 1][10:70]
    pool.reverse()  # pop() from the front of the id range
    return pool


@pytest.fixture
def take_caller(_caller_pool: list[CallerInfo]) -> Callable[[], CallerInfo]:
    def take() -> CallerInfo:
        assert _caller_pool, "no demo callers left"
        return _caller_pool.pop()

    return take


@pytest.fixture
def caller(take_caller) -> CallerInfo:
    return take_caller()


@pytest.fixture
def sms_inbox(sandbox_url: str) -> Callable[[str], list[str]]:
    """The texts the SMS sandbox received for a phone, oldest first."""

    def read(phone: str) -> list[str]:
        resp = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5)
        resp.raise_for_status()
        return [m["text"] for m in resp.json()["messages"]]

    return read


@pytest.fixture
def db(app) -> Session:
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


@pytest.fixture
def agent(client, make_staff, database_url) -> StaffLogin:
    """A 12333 agent, logged in on ``client``."""
    made = make_staff(StaffRole.AGENT, name="热线坐席甲")
    assert staff_login(client, database_url, made).status_code == 302
    return made
