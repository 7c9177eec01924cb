"""Identity test helpers: fresh back-office people to register, and codes read from the SMS sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa

from gateway.clients import get_backoffice
from gateway.identity.service import Registration, register
from tests.conftest import committing, csrf_token

PASSWORD = "Shebao#2026"


@dataclass(frozen=True)
class Insured:
    id_number: str
    name: str
    phone: str


@pytest.fixture(scope="session")
def _unregistered_pool(database_url: str) -> list[Insured]:
    """Back-office people with no online account yet, each handed to one test only."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id_number, name, phone FROM bo_person ORDER BY id DESC")).all()
    engine.dispose()
    phones = [r.phone for r in rows]
    # Distinct phones only, so the per-phone SMS limit of one test never touches another.
    return [Insured(*r) for r in rows if phones.count(r.phone) == 1]


@pytest.fixture
def insured(_unregistered_pool: list[Insured], app) -> Insured:
    from tests.support import take_untouched

    return take_untouched(app, _unregistered_pool, "unregistered demo people")


@pytest.fixture
def member(insured: Insured, app) -> Insured:
    """A person who registered online (password ``PASSWORD``) through the service layer."""
    with committing(app) as db:
        register(
            db,
            app.extensions["shebao_vault"],
            get_backoffice(),
            Registration(insured.id_number, insured.name, insured.phone, PASSWORD, PASSWORD, "2026.1"),
        )
    return insured


@pytest.fixture
def sms_inbox(sandbox_url: str) -> Callable[[str], list[str]]:
    """The texts the SMS sandbox sent to a phone, oldest first."""

    def read(phone: str) -> list[str]:
        resp = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5)
        resp.raise_for_status()
        return [m["text"] for m in resp.json()["messages"]]

    return read


def last_code(texts: list[str]) -> str:
    match = re.search(r"验证码是(\d{6})", texts[-1])
    assert match, texts[-1]
    return match.group(1)


def post_form(client, path: str, data: dict, query: str = ""):
    """GET the page for its CSRF token, then POST ``data`` to it."""
    page = client.get(path + query)
    assert page.status_code == 200, page.status_code
    return client.post(path + query, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})
