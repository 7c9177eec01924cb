"""Identity rules that know nothing of Flask: registering people and checking passwords."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.identity.models import Credential, CredentialKind, Person
from gateway.identity.passwords import hash_password, verify_password
from gateway.security.pii import PiiVault


@dataclass(frozen=True)
class Identity:
    """Who is logged in, as the channels see it."""

    person_id: int
    id_number: str
    name: str


def find_person(session: Session, vault: PiiVault, id_number: str) -> Person | None:
    return session.scalar(select(Person).where(Person.id_digest == vault.digest(id_number)))


def ensure_person(session: Session, vault: PiiVault, id_number: str, name: str) -> Person:
    """The one Person for this ID number, created on first sight."""
    person = find_person(session, vault, id_number)
    if person is None:
        person = Person(
            id_digest=vault.digest(id_number),
            id_number_enc=vault.encrypt(id_number),
            name_enc=vault.encrypt(name),
        )
        session.add(person)
        session.flush()
    return person


def set_password(session: Session, vault: PiiVault, person: Person, password: str) -> None:
    """Give the person a password credential (replacing any earlier one)."""
    identifier = person.id_digest
    cred = session.scalar(
        select(Credential).where(
            Credential.kind == CredentialKind.PASSWORD, Credential.identifier == identifier
        )
    )
    if cred is None:
        cred = Credential(person_id=person.id, kind=CredentialKind.PASSWORD, identifier=identifier)
        session.add(cred)
    cred.secret_hash = hash_password(password)
    session.flush()


def check_password(session: Session, vault: PiiVault, id_number: str, password: str) -> Identity | None:
    """The identity if the ID number and password match; the same answer and cost otherwise."""
    digest = vault.digest(id_number)
    cred = session.scalar(
        select(Credential).where(Credential.kind == CredentialKind.PASSWORD, Credential.identifier == digest)
    )
    if not verify_password(cred.secret_hash if cred else None, password) or cred is None:
        return None
    person = cred.person
    return Identity(
        person_id=person.id,
        id_number=vault.decrypt(person.id_number_enc),
        name=vault.decrypt(person.name_enc),
    )
