"""Every encrypted column, with its purpose and the row key its ciphertexts are bound to, and the one-off rewrite of
values still in the form before purpose keys (``shebao pii rekey``). Reading the old form keeps working either way;
the rewrite is there so an operator can finish the move and know it is finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.consult.models import CaseEvent, ConsultCase
from gateway.identity.models import PendingBinding, Person, PersonDocument
from gateway.security.pii import CURRENT, PiiVault, Purpose
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
    StoredColumn(UnitClerk, "id_number_enc", Purpose.CLERK_ID_NUMBER, lambda r: r.id_digest),
    StoredColumn(UnitClerk, "name_enc", Purpose.CLERK_NAME, lambda r: r.id_digest),
    StoredColumn(UnitAccount, "legal_rep_enc", Purpose.UNIT_LEGAL_REP, lambda r: r.credit_code),
    StoredColumn(ConsultCase, "subject_enc", Purpose.CASE_SUBJECT, lambda r: r.number),
    StoredColumn(ConsultCase, "body_enc", Purpose.CASE_BODY, lambda r: r.number),
    StoredColumn(ConsultCase, "contact_enc", Purpose.CASE_CONTACT, lambda r: r.number),
    StoredColumn(ConsultCase, "outcome_enc", Purpose.CASE_OUTCOME, lambda r: r.number),
    StoredColumn(CaseEvent, "text_enc", Purpose.CASE_EVENT_TEXT, lambda r: str(r.case_id)),
)


def rekey(session: Session, vault: PiiVault) -> dict[str, int]:
    """Rewrite every value still in the old form in the current one; returns how many per column. Flushes."""
    counts: dict[str, int] = {}
    for column in COLUMNS:
        attr = getattr(column.model, column.attribute)
        done = 0
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
