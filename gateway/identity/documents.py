"""Identity documents as part of identity (LD/T 01 6.2.3 b, issue 20): a person is found by (document type,
number), whichever document they show; the back office says which social security number holds a document, so
a passport and a permanent residence ID of one foreigner open one account (LD/T 01 6.2.1)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable, PersonRecord
from gateway.identity.models import Person, PersonDocument
from gateway.security.pii import PiiVault, Purpose
from gateway.validation import (
    DocumentType,
    describe_document,
    mask_document,
    normalize_document,
    parse_document_type,
)


@dataclass(frozen=True)
class Document:
    """One identity document: its type and canonical number (a passport's is ``"GBR:E12345678"``)."""

    doc_type: DocumentType
    number: str

    @property
    def masked(self) -> str:
        """The number as screens and logs show it (Regulation Art. 49)."""
        return mask_document(self.doc_type, self.number)

    @property
    def described(self) -> tuple[str, str]:
        """(the document's name, the masked number) as a certificate prints them."""
        return describe_document(self.doc_type, self.number)


def read_document(doc_type: str | None, number: str | None, country: str | None = None) -> Document:
    """A document typed into a form or sent by an API client; a blank type is the resident ID (old clients).
    Raises :class:`gateway.validation.ValidationError` with the Chinese reason."""
    kind = parse_document_type(doc_type)
    return Document(kind, normalize_document(kind, number, country if kind is DocumentType.PASSPORT else None))


def document_digest(vault: PiiVault, document: Document) -> str:
    """The keyed digest a document is found by. A resident ID's is the ID number's own digest (it is the social
    security number: the existing rows, login guards and password credentials stay as they are)."""
    if document.doc_type is DocumentType.RESIDENT_ID:
        return vault.digest(document.number)
    return vault.digest(f"{document.doc_type.value}:{document.number}")


def document_digests(vault: PiiVault, document: Document) -> list[str]:
    """:func:`document_digest` under the current secret, then under each replaced one (until ``shebao pii
    rekey`` has re-derived the stored ones)."""
    if document.doc_type is DocumentType.RESIDENT_ID:
        return vault.digests(document.number)
    return vault.digests(f"{document.doc_type.value}:{document.number}")


def find_person_by_document(session: Session, vault: PiiVault, document: Document) -> Person | None:
    """The person this document is already linked to in the gateway, or None."""
    digests = document_digests(vault, document)
    person = session.scalar(
        select(Person)
        .join(PersonDocument, PersonDocument.person_id == Person.id)
        .where(PersonDocument.doc_type == document.doc_type, PersonDocument.doc_digest.in_(digests))
        .limit(1)
    )
    if person is None and document.doc_type is DocumentType.RESIDENT_ID:
        person = session.scalar(select(Person).where(Person.id_digest.in_(digests)).limit(1))
    return person


def link_document(session: Session, vault: PiiVault, person: Person, document: Document) -> None:
    """Remember that ``document`` finds ``person``. Flushes. A document never finds two people: one linked to
    someone else is left alone (the back office is the authority; the console can look into it)."""
    if document.doc_type is DocumentType.RESIDENT_ID and vault.digest(document.number) == person.id_digest:
        return  # the social security number itself: found through the person row
    digest = document_digest(vault, document)
    existing = session.scalar(
        select(PersonDocument).where(PersonDocument.doc_type == document.doc_type, PersonDocument.doc_digest == digest)
    )
    if existing is not None:
        return
    # A concurrent request linking the same document trips the unique constraint and that request rolls back:
    # the link exists either way.
    session.add(
        PersonDocument(
            person_id=person.id,
            doc_type=document.doc_type,
            doc_digest=digest,
            number_enc=vault.encrypt(document.number, Purpose.PERSON_DOCUMENT_NUMBER, digest),
        )
    )
    session.flush()


def resolve_person(session: Session, vault: PiiVault, backoffice: BackOffice, document: Document) -> Person | None:
    """The person holding ``document``: linked already, or — when the gateway has not seen this document — the
    person of the social security number the back office names for it, linked from now on (one person, one
    record). None when nobody online holds it. May raise ``BackOfficeUnavailable``."""
    person = find_person_by_document(session, vault, document)
    if person is not None or document.doc_type is DocumentType.RESIDENT_ID:
        return person
    record = backoffice.find_by_document(document.doc_type, document.number)
    if record is None:
        return None
    person = session.scalar(select(Person).where(Person.id_digest == vault.digest(record.id_number)))
    if person is not None:
        link_document(session, vault, person, document)
    return person


def login_name(session: Session, vault: PiiVault, backoffice: BackOffice, document: Document) -> str:
    """The name a password login and its lockout are keyed by: the social security number of the document's
    holder; a document nobody online holds keeps a name of its own (so it fails like a wrong password, and its
    guesses are counted too)."""
    if document.doc_type is DocumentType.RESIDENT_ID:
        return document.number  # the social security number itself
    person = resolve_person(session, vault, backoffice, document)
    if person is None:
        return f"{document.doc_type.value}:{document.number}"
    return vault.decrypt(person.id_number_enc, Purpose.PERSON_ID_NUMBER, person.id_digest)


def number_document(backoffice: BackOffice, ssn: str) -> Document:
    """The document a social security number is (a card and the e-SSC carry only the number): the back office's
    document of that number, else its first, else the resident ID. With the back office away, the resident ID —
    the next sign-in on a card or the e-SSC does not correct it, so a foreigner's record says so until then."""
    try:
        records = backoffice.documents(ssn)
    except BackOfficeUnavailable:
        records = []
    match = next((r for r in records if r.number == ssn), records[0] if records else None)
    return Document(match.doc_type, match.number) if match else Document(DocumentType.RESIDENT_ID, ssn)


def holder_record(backoffice: BackOffice, document: Document) -> PersonRecord | None:
    """The back office's record of the document's holder (the resident ID is the social security number)."""
    return backoffice.find_by_document(document.doc_type, document.number)


def person_document(session: Session, vault: PiiVault, person: Person, ssn: str) -> Document:
    """The document the person registered with, for screens and certificates (``ssn``: their decrypted
    social security number, the number of a resident ID, a residence permit or a permanent residence ID)."""
    doc_type = person.doc_type or DocumentType.RESIDENT_ID
    row = session.scalar(
        select(PersonDocument)
        .where(PersonDocument.person_id == person.id, PersonDocument.doc_type == doc_type)
        .order_by(PersonDocument.id)
        .limit(1)
    )
    if row is None:
        return Document(doc_type, ssn)
    return Document(doc_type, vault.decrypt(row.number_enc, Purpose.PERSON_DOCUMENT_NUMBER, row.doc_digest))
