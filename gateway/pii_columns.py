"""Every encrypted column, with its purpose and the row key its ciphertexts are bound to, and the one-off rewrite of
values still in the form before purpose keys (``shebao pii rekey``). Reading the old form keeps working either way;
the rewrite is there so an operator can finish the move and know it is finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from esign.models import IssuedDocument
from gateway.applications.models import Application
from gateway.backoffice.last_known import LastKnown
from gateway.backoffice.write_queue import CoreWrite
from gateway.chat.models import ChatMessage
from gateway.consult.models import CaseEvent, ConsultCase
from gateway.identity.models import (
    Credential,
    CredentialKind,
    IdentityEvent,
    LoginGuard,
    PendingBinding,
    Person,
    PersonDocument,
)
from gateway.security.pii import CURRENT, PiiError, PiiVault, Purpose
from gateway.staff.models import Staff
from gateway.units.models import UnitAccount, UnitClerk

BATCH = 500


@dataclass(frozen=True)
class StoredColumn:
    """One encrypted column: its model and attribute, its purpose, and how a row names itself."""

    model: type
    attribute: str
    purpose: Purpose
    row_key: Callable[[Any], str]


COLUMNS: tuple[StoredColumn, ...] = (
    StoredColumn(Person, "id_number_enc", Purpose.PERSON_ID_NUMBER, lambda r: r.id_digest),
    StoredColumn(Person, "name_enc", Purpose.PERSON_NAME, lambda r: r.id_digest),
    StoredColumn(PersonDocument, "number_enc", Purpose.PERSON_DOCUMENT_NUMBER, lambda r: r.doc_digest),
    StoredColumn(Staff, "totp_secret_enc", Purpose.STAFF_TOTP_SECRET, lambda r: r.username),
    StoredColumn(PendingBinding, "id_number_enc", Purpose.BINDING_ID_NUMBER, lambda r: str(r.id)),
    StoredColumn(PendingBinding, "document_enc", Purpose.BINDING_DOCUMENT, lambda r: str(r.id)),
    StoredColumn(UnitClerk, "id_number_enc", Purpose.CLERK_ID_NUMBER, lambda r: r.id_digest),
    StoredColumn(UnitClerk, "name_enc", Purpose.CLERK_NAME, lambda r: r.id_digest),
    StoredColumn(UnitAccount, "legal_rep_enc", Purpose.UNIT_LEGAL_REP, lambda r: r.credit_code),
    StoredColumn(ConsultCase, "subject_enc", Purpose.CASE_SUBJECT, lambda r: r.number),
    StoredColumn(ConsultCase, "body_enc", Purpose.CASE_BODY, lambda r: r.number),
    StoredColumn(ConsultCase, "contact_enc", Purpose.CASE_CONTACT, lambda r: r.number),
    StoredColumn(ConsultCase, "outcome_enc", Purpose.CASE_OUTCOME, lambda r: r.number),
    StoredColumn(CaseEvent, "text_enc", Purpose.CASE_EVENT_TEXT, lambda r: str(r.case_id)),
    StoredColumn(ChatMessage, "text_enc", Purpose.CHAT_MESSAGE, lambda r: str(r.conversation_id)),
    StoredColumn(LastKnown, "payload", Purpose.BACKOFFICE_ANSWER, lambda r: r.key),
    StoredColumn(CoreWrite, "arguments", Purpose.CORE_WRITE, lambda r: r.kind.value),
    StoredColumn(Application, "fields_enc", Purpose.APPLICATION_FIELDS, lambda r: str(r.id)),
    StoredColumn(IssuedDocument, "holder_id_enc", Purpose.CERTIFICATE_HOLDER, lambda r: str(r.id)),
)


def _rehash_people(session: Session, vault: PiiVault) -> int:
    """After a secret rotation: each person's look-up hash under the current secret, with everything keyed by it
    (their password credential, their login log; a lockout counter restarts) and their columns re-bound to it."""
    done, last = 0, 0
    while True:
        people = list(session.scalars(select(Person).where(Person.id > last).order_by(Person.id).limit(BATCH)))
        if not people:
            return done
        for person in people:
            last = person.id
            old = person.id_digest
            id_number = vault.decrypt(person.id_number_enc, Purpose.PERSON_ID_NUMBER, old)
            new = vault.digest(id_number)
            if new == old:
                continue
            person.id_number_enc = vault.rekey(person.id_number_enc, Purpose.PERSON_ID_NUMBER, old, new)
            person.name_enc = vault.rekey(person.name_enc, Purpose.PERSON_NAME, old, new)
            person.id_digest = new
            session.execute(
                update(Credential)
                .where(Credential.kind == CredentialKind.PASSWORD, Credential.identifier == old)
                .values(identifier=new)
            )
            session.execute(update(IdentityEvent).where(IdentityEvent.subject_digest == old).values(subject_digest=new))
            session.execute(delete(LoginGuard).where(LoginGuard.subject_digest == old))
            done += 1
        session.flush()


def _rehash_documents(session: Session, vault: PiiVault) -> int:
    """After a secret rotation: each identity document's look-up hash under the current secret (the number is
    kept encrypted, bound to the hash), so a document is found without the replaced secret."""
    from gateway.identity.documents import Document, document_digest

    done, last = 0, 0
    while True:
        rows = list(
            session.scalars(
                select(PersonDocument).where(PersonDocument.id > last).order_by(PersonDocument.id).limit(BATCH)
            )
        )
        if not rows:
            return done
        for row in rows:
            last = row.id
            old = row.doc_digest
            number = vault.decrypt(row.number_enc, Purpose.PERSON_DOCUMENT_NUMBER, old)
            new = document_digest(vault, Document(row.doc_type, number))
            if new == old:
                continue
            row.number_enc = vault.rekey(row.number_enc, Purpose.PERSON_DOCUMENT_NUMBER, old, new)
            row.doc_digest = new
            done += 1
        session.flush()


def _drop_stale_answers(session: Session, vault: PiiVault) -> int:
    """Last known answers kept under a replaced secret: their row key is a keyed hash of a question that is not
    stored, so it cannot be re-derived; they are a cache the next good answer refills, so they go."""
    stale = [
        row.key
        for row in session.scalars(select(LastKnown))
        if not _readable_now(vault, row.payload, Purpose.BACKOFFICE_ANSWER, row.key)
    ]
    for start in range(0, len(stale), BATCH):
        session.execute(delete(LastKnown).where(LastKnown.key.in_(stale[start : start + BATCH])))
    return len(stale)


def _readable_now(vault: PiiVault, token: str, purpose: Purpose, row: str) -> bool:
    try:
        return vault.is_readable_now(token, purpose, row)
    except PiiError:
        return False


def rekey(session: Session, vault: PiiVault) -> dict[str, int]:
    """Rewrite every value still in the old form, or sealed under a replaced secret, under the current secret;
    returns how many per column. Flushes."""
    counts: dict[str, int] = {}
    if vault.rotating:
        counts["person.id_digest"] = _rehash_people(session, vault)
        counts["person_document.doc_digest"] = _rehash_documents(session, vault)
        counts["bo_last_known (dropped)"] = _drop_stale_answers(session, vault)
    for column in COLUMNS:
        attr = getattr(column.model, column.attribute)
        done = 0
        if vault.rotating:
            done = _rekey_every_row(session, vault, column)
        else:
            while True:
                rows = list(
                    session.scalars(
                        select(column.model)
                        .where(attr.is_not(None), attr != "", ~attr.startswith(CURRENT, autoescape=True))
                        .limit(BATCH)
                    )
                )
                if not rows:
                    break
                for row in rows:
                    old = getattr(row, column.attribute)
                    setattr(row, column.attribute, vault.rekey(old, column.purpose, column.row_key(row)))
                session.flush()
                done += len(rows)
        counts[f"{column.model.__tablename__}.{column.attribute}"] = done
    return counts


def _rekey_every_row(session: Session, vault: PiiVault, column: StoredColumn) -> int:
    """Every row of the column, in primary-key order: those the current secret alone cannot open are rewritten."""
    attr = getattr(column.model, column.attribute)
    (pk,) = column.model.__table__.primary_key.columns
    key = getattr(column.model, pk.key)
    done, last = 0, None
    while True:
        query = select(column.model).where(attr.is_not(None), attr != "").order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = list(session.scalars(query))
        if not rows:
            return done
        for row in rows:
            last = getattr(row, pk.key)
            old = getattr(row, column.attribute)
            if not vault.is_readable_now(old, column.purpose, column.row_key(row)):
                setattr(row, column.attribute, vault.rekey(old, column.purpose, column.row_key(row)))
                done += 1
        session.flush()


def status(session: Session, vault: PiiVault) -> dict[str, tuple[int, int, int]]:
    """Per column: (values the current secret opens, values only a replaced secret or the old form opens,
    values nothing opens) — what an operator checks before and after ``rekey``."""
    out: dict[str, tuple[int, int, int]] = {}
    for column in COLUMNS:
        attr = getattr(column.model, column.attribute)
        now = older = lost = 0
        for row in session.scalars(select(column.model).where(attr.is_not(None), attr != "")):
            try:
                if vault.is_readable_now(getattr(row, column.attribute), column.purpose, column.row_key(row)):
                    now += 1
                else:
                    older += 1
            except PiiError:
                lost += 1
        out[f"{column.model.__tablename__}.{column.attribute}"] = (now, older, lost)
    return out
