"""Service API fixtures: settings with a seal of this folder's own (receipts are sealed), back-office people handed
out one per test from the far end of the table (the applications and mini-program pools take the others), and
bearer tokens for them on the mini-program channel at a chosen level."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from esign import pki
from gateway.config import Settings
from gateway.identity.service import ensure_person
from gateway.identity.tokens import issue_tokens
from tests.conftest import committing

MINIPROGRAM = "miniprogram"


@pytest.fixture(scope="session")
def settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    ours = dataclasses.replace(settings, var_dir=tmp_path_factory.mktemp("api-var"))
    pki.init_local(Path(ours.var_dir) / "seal", ours.agency_name)
    return ours


@dataclass(frozen=True)
class Insured:
    id_number: str
    name: str
    status: str


@pytest.fixture(scope="session")
def _pool(database_url: str) -> list[Insured]:
    from gateway.backoffice.demo import DEMO_PEOPLE

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id_number, name, status FROM bo_person ORDER BY id DESC")).all()
    engine.dispose()
    demo = {d.id_number for d in DEMO_PEOPLE}
    return [Insured(r.id_number, r.name, r.status) for r in rows if r.id_number not in demo]


@dataclass(frozen=True)
class Caller:
    """A person with a mini-program bearer token."""

    person_id: int
    id_number: str
    name: str
    headers: dict[str, str]


@pytest.fixture
def caller(app: Flask, _pool: list[Insured]) -> Callable[..., Caller]:
    """``caller(level=3, status="working")``: a fresh back-office person, logged in on the mini-program."""

    def make(level: int = 3, status: str = "working") -> Caller:
        who = next(w for w in _pool if w.status == status)
        _pool.remove(who)
        with committing(app) as session:
            person = ensure_person(session, app.extensions["shebao_vault"], who.id_number, who.name)
            pair = issue_tokens(session, app.config["SECRET_KEY"], person.id, level, MINIPROGRAM)
            person_id = person.id
        headers = {"Authorization": f"Bearer {pair.access_token}", "X-Shebao-Channel": MINIPROGRAM}
        return Caller(person_id, who.id_number, who.name, headers)

    return make
