"""Shared fixtures: a migrated database with demo data, the app, a client and a login helper.

The database is SQLite in a temporary folder, or PostgreSQL when ``SHEBAO_TEST_DATABASE_URL`` is set
(the CI's second lane). The schema is made by the Alembic migrations, as in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from gateway import create_app
from gateway.appointments.demo import load_halls
from gateway.backoffice.demo import DEMO_PASSWORD, DemoAccount, DemoSpec, demo_accounts
from gateway.config import Settings
from gateway.identity.demo import load_demo_data
from gateway.migrate import upgrade
from gateway.security.limits import limiter
from gateway.security.pii import PiiVault
from tests.sandbox_server import serve_in_thread
from tests.seen_words import OTHER_SYSTEMS, install_browser_scan, install_client_scan, take_browser_leaks
from tests.support import database_url_for_tests

pytest_plugins = ["tests.browser_fixtures"]

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
TODAY = date(2026, 11, 23)
SMALL = DemoSpec(seed=7, people=250, units=8, today=TODAY)  # enough for every pool of the suite


def reset_database(url: str) -> None:
    """Start from nothing: drop every table (PostgreSQL lane) so the migrations build the schema."""
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_url_for_tests(tmp_path_factory.mktemp("db") / "shebao.db")
    reset_database(url)
    upgrade(url)
    engine = sa.create_engine(url)
    sessions = sessionmaker(bind=engine)
    load_demo_data(sessions, PiiVault(TEST_SECRET), SMALL)
    with sessions.begin() as session:
        load_halls(session)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """The external-service sandboxes, served once for the whole run."""
    from sandboxes import create_sandbox_app

    with serve_in_thread(create_sandbox_app()) as url:
        OTHER_SYSTEMS.add(url)  # their pages are not scanned for the gateway's words
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        sandbox_url=sandbox_url,
        env="testing",
        secret_key=TEST_SECRET,
        var_dir=Path(tmp_path_factory.mktemp("var")),
        database_url=database_url,
        page_size=12,
        log_level="WARNING",
    )


install_client_scan()
install_browser_scan()


@pytest.fixture(autouse=True)
def _plain_words() -> Iterator[None]:
    """Fail the test whose browser pages showed a person a raw code or a UTC instant (tests/seen_words.py; the
    Flask test client fails the request itself). Set up first, so torn down after the test's browser contexts."""
    take_browser_leaks()
    yield
    found = take_browser_leaks()
    assert not found, f"raw codes reached a person in the browser: {found}"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with no rate-limit hits counted. The limits live in a file (``var/ratelimits.db``) that
    outlives an app, as it outlives a gateway's restart, so a new app no longer starts from zero by itself."""
    if limiter._storage is not None:
        limiter.reset()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    limiter.reset()
    app.extensions["shebao_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def accounts(database_url: str) -> list[DemoAccount]:
    engine = sa.create_engine(database_url)
    try:
        return demo_accounts(sessionmaker(bind=engine))
    finally:
        engine.dispose()


@pytest.fixture
def person(accounts: list[DemoAccount]) -> DemoAccount:
    """The demo employee with several years of contributions."""
    return accounts[0]


@contextmanager
def committing(app: Flask) -> Iterator[Session]:
    """An app context whose database session commits at the end, as a request that succeeded would: services
    only flush (DESIGN "Use cases and the Actor"), so a test that sets up data through them commits here."""
    from gateway.request_db import get_session

    with app.app_context():
        yield get_session()
        get_session().commit()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, id_number: str, password: str = DEMO_PASSWORD):
    """Log in through the real form (CSRF included) and return the response."""
    page = client.get("/account/login")
    return client.post(
        "/account/login",
        data={
            "id_number": id_number,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


# ---------------------------------------------------------------- staff


@dataclass(frozen=True)
class StaffLogin:
    """A staff account made for one test: its username, password and TOTP seed."""

    id: int
    username: str
    password: str
    totp_secret: str


def next_totp_code(database_url: str, staff: StaffLogin) -> str:
    """The code an authenticator would show for the first time step not yet used by this account (each step is
    good once), waiting for the clock when the account already used the next one."""
    import time

    from gateway.staff.models import Staff
    from gateway.staff.totp import STEP_S, code_at

    engine = sa.create_engine(database_url)
    try:
        with sessionmaker(bind=engine)() as db:
            last = db.get(Staff, staff.id).totp_last_step
    finally:
        engine.dispose()
    step = max(int(time.time() // STEP_S), last + 1)
    while step > int(time.time() // STEP_S) + 1:  # only one step of drift is accepted
        time.sleep(1)
    return code_at(staff.totp_secret, step * STEP_S)


@pytest.fixture
def make_staff(database_url: str):
    """Create a staff account with the given roles (a fresh username each call)."""
    import secrets

    from gateway.staff.service import create_staff

    def make(*roles, department: str = "养老保险科", name: str = "测试坐席") -> StaffLogin:
        engine = sa.create_engine(database_url)
        try:
            with sessionmaker(bind=engine)() as db:
                made = create_staff(
                    db,
                    PiiVault(TEST_SECRET),
                    username=f"t{secrets.token_hex(5)}",
                    name=name,
                    department=department,
                    password=DEMO_PASSWORD,
                    roles=roles,
                )
                db.commit()
                return StaffLogin(made.staff.id, made.staff.username, DEMO_PASSWORD, made.totp_secret)
        finally:
            engine.dispose()

    return make


def staff_login(client: FlaskClient, database_url: str, staff: StaffLogin):
    """Log a staff member in through the console's form (password + TOTP, CSRF included)."""
    page = client.get("/hotline/login")
    return client.post(
        "/hotline/login",
        data={
            "username": staff.username,
            "password": staff.password,
            "code": next_totp_code(database_url, staff),
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def step_up(client: FlaskClient, level: int = 2) -> None:
    """As if the logged-in person had just stepped up to ``level`` (SMS code, e-SSC: those have their own tests).
    Rights, progress and certificates need level 2 (the catalog's levels, enforced by the one gate)."""
    with client.session_transaction() as s:
        assert s.get("person_id") is not None, "log in first"
        s["auth_level"] = max(int(s.get("auth_level", 0)), level)
