"""Fresh back-office people who hold other identity documents (LD/T 01 6.2.3 b, issue 20), for registration tests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from gateway.validation import DocumentType, make_permanent_residence_id_2023, make_residence_permit


@dataclass(frozen=True)
class Holder:
    social_security_number: str
    name: str
    phone: str
    documents: tuple[tuple[DocumentType, str], ...]


def add_holder(database_url: str, kind: str, name: str) -> Holder:
    """Write a new insured person into the reference back office (as the core system would hold them): a Hong
    Kong resident (``"hk"``) with a residence permit, or a foreigner (``"foreigner"``) with a 2023 permanent
    residence ID and a British passport, both linked to one social security number."""
    rng = random.SystemRandom()
    birth = date(rng.randint(1970, 1999), rng.randint(1, 12), rng.randint(1, 28))
    if kind == "hk":
        ssn = make_residence_permit("810000", birth, rng.randint(0, 999))
        documents = ((DocumentType.RESIDENCE_PERMIT, ssn),)
    else:
        ssn = make_permanent_residence_id_2023("61", "826", birth, rng.randint(0, 999))
        passport = f"GBR:{rng.randint(100000000, 999999999)}"
        documents = ((DocumentType.PERMANENT_RESIDENCE, ssn), (DocumentType.PASSPORT, passport))
    phone = f"199{rng.randint(0, 99999999):08d}"
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        unit_id = conn.execute(sa.text("SELECT MIN(id) FROM bo_unit")).scalar()
        person_id = conn.execute(
            sa.text(
                "INSERT INTO bo_person (id_number, name, birth_date, gender, phone, region, status, unit_id,"
                " card_number, card_status) VALUES (:n, :name, :b, :g, :p, '610302', 'working', :u, :c, 'active')"
                " RETURNING id"
            ),
            {
                "n": ssn,
                "name": name,
                "b": birth,
                "g": "M",
                "p": phone,
                "u": unit_id,
                "c": f"Z{rng.randint(0, 99999999):08d}",
            },
        ).scalar_one()
        # Insured for pension since 2020, so a 个人参保证明 can be issued.
        conn.execute(
            sa.text(
                "INSERT INTO bo_registration (person_id, unit_id, scheme, status, start_date, region)"
                " VALUES (:p, :u, 'pension', 'active', :s, '610302')"
            ),
            {"p": person_id, "u": unit_id, "s": date(2020, 1, 1)},
        )
        for doc_type, number in documents:
            conn.execute(
                sa.text("INSERT INTO bo_person_document (person_id, doc_type, number) VALUES (:p, :t, :n)"),
                {"p": person_id, "t": doc_type.value, "n": number},
            )
    engine.dispose()
    return Holder(ssn, name, phone, documents)
