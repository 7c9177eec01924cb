"""The demo data of ``make run`` and the tests: the reference back office's population and the demo people's
online logins, written in one transaction. Product code never loads demo data."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE, DEMO_PASSWORD, DEMO_PEOPLE, DemoSpec, write_population
from gateway.identity.documents import Document, link_document
from gateway.identity.service import ensure_person, set_password
from gateway.security.pii import PiiVault


def load_demo_data(sessions: sessionmaker, vault: PiiVault, spec: DemoSpec) -> str:
    """Generate the demo population and the demo logins in one transaction; return a summary."""
    with sessions.begin() as session:
        summary = write_population(session, spec)
        for person in DEMO_PEOPLE:
            found = ensure_person(session, vault, person.id_number, person.name)
            set_password(session, vault, found, DEMO_PASSWORD)
        # The people of the other documents (LD/T 01 6.2.3 b): registered with their first document; a second
        # one (a permanent resident's passport) is linked when they first log in with it, as for anyone.
        for other in DEMO_DOCUMENT_PEOPLE:
            found = ensure_person(session, vault, other.social_security_number, other.name)
            found.doc_type = other.doc_type
            link_document(session, vault, found, Document(other.doc_type, other.doc_number))
            set_password(session, vault, found, DEMO_PASSWORD)
    logins = len(DEMO_PEOPLE) + len(DEMO_DOCUMENT_PEOPLE)
    return f"{summary}, {logins} demo logins (password {DEMO_PASSWORD})"
