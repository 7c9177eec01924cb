"""Fixtures for application tests: a database session, applicants, staff, a fixed 'now'."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from gateway.applications.service import Staff
from gateway.identity.models import Person
from gateway.identity.service import ensure_person, find_person
from gateway.validation import make_id_number

#: A Monday morning in the agency's time zone.
NOW = datetime(2026, 11, 23, 10, 0)
_people = itertools.count(1)


@pytest.fixture
def db(app) -> Session:
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


@pytest.fixture
def vault(app):
    return app.extensions["shebao_vault"]


@pytest.fixture
def backoffice(app):
    return app.extensions["shebao_backoffice"]


@pytest.fixture
def var_dir(settings):
    return settings.var_dir


@pytest.fixture
def gateway_person(db, vault):
    """A gateway Person for a demo account's ID number (created on first sight, as at login)."""

    def make(id_number: str, name: str = "测试") -> Person:
        person = find_person(db, vault, id_number) or ensure_person(db, vault, id_number, name)
        db.commit()
        return person

    return make


@pytest.fixture
def stranger(db, vault) -> tuple[Person, str]:
    """A person unknown to the back office (a fresh valid ID number)."""
    n = next(_people)
    id_number = make_id_number("610302", date(1975, 3, 1 + n % 28), 700 + n % 200)
    person = ensure_person(db, vault, id_number, f"新人{n}")
    db.commit()
    return person, id_number


PENSION_A = Staff("S1001", "王审核", "养老保险科")
PENSION_B = Staff("S1002", "张复核", "养老保险科")
UNEMPLOYMENT_A = Staff("S2001", "李经办", "失业保险科")


def essc_login(client, id_number: str, name: str, next_path: str = "/account/") -> None:
    """Log in at level 3 through the e-SSC sandbox, as the holder's phone would approve it."""
    import requests

    start = client.get(f"/account/essc/start?next={quote(next_path)}")
    assert start.status_code == 302, start.get_data(as_text=True)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.location).query).items()}
    form = {k: query[k] for k in ("client_id", "redirect_uri", "state", "nonce")}
    form.update(aac002=id_number, aac003=name, aab301="610302", fault="")
    approved = requests.post(start.location.split("?")[0], data=form, allow_redirects=False, timeout=5)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["Location"])
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302, done.get_data(as_text=True)


@pytest.fixture
def demo(accounts):
    """Demo accounts by key: employee, retiree, transfer, unemployed."""
    return {a.key: a for a in accounts}


@dataclass(frozen=True)
class Insured:
    id_number: str
    name: str
    status: str
    employed: bool


@pytest.fixture(scope="session")
def _pool(database_url: str) -> list[Insured]:
    """Back-office people (not the demo logins, whose pages other tests check), lowest ids first."""
    from gateway.backoffice.demo import DEMO_PEOPLE

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id_number, name, status, unit_id FROM bo_person ORDER BY id")).all()
    engine.dispose()
    demo = {d.id_number for d in DEMO_PEOPLE}
    return [Insured(r.id_number, r.name, r.status, r.unit_id is not None) for r in rows if r.id_number not in demo]


@pytest.fixture
def take(_pool: list[Insured]):
    """Hand out one back-office person per call (``status`` working/retired/unemployed), never twice."""

    def pick(status: str = "working", employed: bool | None = None) -> Insured:
        for who in _pool:
            if who.status == status and (employed is None or who.employed == employed):
                _pool.remove(who)
                return who
        raise RuntimeError(f"no {status} back-office person left")

    return pick


def passed_face_check(db, app, now: datetime) -> None:
    """Record a passed face check on draft ``app`` (for tests that submit a certification for other reasons;
    the check itself is tested through the sandbox in tests/applications/test_services.py)."""
    import secrets

    from gateway.applications.face_check import FaceCheck, FaceCheckStatus
    from gateway.clock import utc

    db.add(
        FaceCheck(
            session_id="FCtest" + secrets.token_hex(8),
            application_id=app.id,
            person_id=app.person_id,
            status=FaceCheckStatus.PASSED,
            started_at=utc(now),
            finished_at=utc(now),
            note="相似度0.97",
        )
    )
    db.commit()


def face_check_in_sandbox(client, item_id: str, verdict: str = "pass", fault: str = ""):
    """Step 2 of a face-checked item over HTTP: start at the gateway, answer on the sandbox's capture page as
    the person would, and come back. Returns the gateway's answer to the return."""
    import re

    import requests

    page = client.get(f"/services/{item_id}/apply/face")
    assert page.status_code == 200, page.get_data(as_text=True)
    assert f'href="/services/{item_id}/apply/face/start"' in page.get_data(as_text=True)
    started = client.get(f"/services/{item_id}/apply/face/start")
    assert started.status_code == 302 and "/face/capture/FC" in started.location, started.get_data(as_text=True)
    answer = {"verdict": verdict, "fault": fault}
    answered = requests.post(started.location, data=answer, allow_redirects=False, timeout=5)
    assert answered.status_code == 302, answered.text
    back = urlsplit(answered.headers["Location"])
    assert re.fullmatch(r"session_id=FC[0-9a-f]{24}", back.query), back.query
    return client.get(f"{back.path}?{back.query}")
