"""The demo data of ``make run`` and the tests: the reference back office's population and the demo people's
online logins, written in one transaction. Product code never loads demo data."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from gateway.backoffice.demo import DEMO_PASSWORD, DEMO_PEOPLE, DemoSpec, write_population
from gateway.identity.service import ensure_person, set_password
from gateway.security.pii import PiiVault


def load_demo_data(sessions: sessionmaker, vault: PiiVault, spec: DemoSpec) -> str:
    """Generate the demo population and the demo logins in one transaction; return a summary."""
    with sessions.begin() as session:
        summary = write_population(session, spec)
        for person in DEMO_PEOPLE:
            found = ensure_person(session, vault, person.id_number, person.name)
            set_password(session, vault, found, DEMO_PASSWORD)
    return f"{summary}, {len(DEMO_PEOPLE)} demo logins (password {DEMO_PASSWORD})"
