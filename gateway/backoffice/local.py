"""The embedded reference back office: the ``BackOffice`` interface over its own ``bo_*`` tables."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from gateway.backoffice import eligibility_rules
from gateway.backoffice.interface import (
    AccountRecord,
    BackOffice,
    BackOfficeRefused,
    BackOfficeUnavailable,
    BenefitPaymentRecord,
    ContributionRecord,
    DocumentRecord,
    EligibilityRecord,
    EligibilityVerdict,
    Page,
    PersonRecord,
    RecordVersion,
    RegistrationRecord,
    TransferRecord,
    UnitContributionMonth,
    UnitRecord,
    UnitStaffRecord,
)
from gateway.backoffice.models import (
    BoAccount,
    BoBenefitPayment,
    BoContribution,
    BoEligibility,
    BoPerson,
    BoPersonDocument,
    BoRegistration,
    BoTransfer,
    BoUnit,
    CardStatus,
    ContributionStatus,
    RegistrationStatus,
    Scheme,
)
from gateway.catalog.forms import EligibilityCheck
from gateway.validation import DocumentType


class LocalBackOffice(BackOffice):
    """Reads the reference tables through its own sessions (never the request's)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def ping(self) -> None:
        try:
            with self._sessions() as s:
                s.execute(text("SELECT 1 FROM bo_person LIMIT 1"))
        except SQLAlchemyError as exc:
            raise BackOfficeUnavailable(str(exc)) from exc

    def _person_id(self, s: Session, id_number: str) -> int | None:
        return s.scalar(select(BoPerson.id).where(BoPerson.id_number == id_number))

    def _record(self, s: Session, where) -> PersonRecord | None:  # noqa: ANN001 — a SQL condition
        row = s.execute(
            select(BoPerson, BoUnit.name).outerjoin(BoUnit, BoUnit.id == BoPerson.unit_id).where(where)
        ).first()
        if row is None:
            return None
        p, unit_name = row
        return PersonRecord(
            id_number=p.id_number,
            name=p.name,
            birth_date=p.birth_date,
            gender=p.gender,
            phone=p.phone,
            region=p.region,
            status=p.status,
            unit_name=unit_name,
            card_number=p.card_number,
            card_status=p.card_status,
            card_applied_on=p.card_applied_on,
            card_made_on=p.card_made_on,
            card_sent_on=p.card_sent_on,
            card_branch=p.card_branch,
        )

    def find_person(self, id_number: str) -> PersonRecord | None:
        with self._sessions() as s:
            return self._record(s, BoPerson.id_number == id_number)

    def find_by_document(self, doc_type: DocumentType, number: str) -> PersonRecord | None:
        with self._sessions() as s:
            person_id = s.scalar(
                select(BoPersonDocument.person_id).where(
                    BoPersonDocument.doc_type == doc_type, BoPersonDocument.number == number
                )
            )
            if person_id is not None:
                return self._record(s, BoPerson.id == person_id)
            if doc_type is DocumentType.RESIDENT_ID:
                # A citizen's social security number is the ID number itself; no document row is kept.
                return self._record(s, BoPerson.id_number == number)
            return None

    def documents(self, id_number: str) -> list[DocumentRecord]:
        with self._sessions() as s:
            rows = s.execute(
                select(BoPersonDocument.doc_type, BoPersonDocument.number)
                .join(BoPerson, BoPerson.id == BoPersonDocument.person_id)
                .where(BoPerson.id_number == id_number)
                .order_by(BoPersonDocument.id)
            ).all()
            if rows:
                return [DocumentRecord(t, n) for t, n in rows]
            known = s.scalar(select(BoPerson.id).where(BoPerson.id_number == id_number))
            return [DocumentRecord(DocumentType.RESIDENT_ID, id_number)] if known is not None else []

    def find_by_card(self, card_number: str) -> PersonRecord | None:
        with self._sessions() as s:
            return self._record(s, BoPerson.card_number == card_number)

    def find_unit(self, credit_code: str) -> UnitRecord | None:
        with self._sessions() as s:
            u = s.scalar(select(BoUnit).where(BoUnit.credit_code == credit_code))
            if u is None:
                return None
            insured = s.scalar(select(func.count()).select_from(BoPerson).where(BoPerson.unit_id == u.id))
            return UnitRecord(
                credit_code=u.credit_code,
                name=u.name,
                legal_rep=u.legal_rep,
                region=u.region,
                registered_on=u.registered_on,
                insured_count=insured or 0,
            )

    def registrations(self, id_number: str) -> list[RegistrationRecord]:
        with self._sessions() as s:
            rows = s.execute(
                select(BoRegistration, BoUnit.name)
                .join(BoPerson, BoPerson.id == BoRegistration.person_id)
                .outerjoin(BoUnit, BoUnit.id == BoRegistration.unit_id)
                .where(BoPerson.id_number == id_number)
                .order_by(BoRegistration.id)
            ).all()
            return [
                RegistrationRecord(
                    scheme=r.scheme,
                    status=r.status,
                    start_date=r.start_date,
                    end_date=r.end_date,
                    unit_name=unit_name,
                    region=r.region,
                )
                for r, unit_name in rows
            ]

    def contributions(
        self, id_number: str, page: int, page_size: int, scheme: Scheme | None = None
    ) -> Page[ContributionRecord]:
        with self._sessions() as s:
            person_id = self._person_id(s, id_number)
            if person_id is None:
                return Page(items=[], page=page, page_size=page_size, total=0)
            where = [BoContribution.person_id == person_id]
            if scheme is not None:
                where.append(BoContribution.scheme == scheme)
            total = s.scalar(select(func.count()).select_from(BoContribution).where(*where)) or 0
            rows = s.execute(
                select(BoContribution, BoUnit.name)
                .outerjoin(BoUnit, BoUnit.id == BoContribution.unit_id)
                .where(*where)
                .order_by(BoContribution.period.desc(), BoContribution.scheme)
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
            items = [
                ContributionRecord(
                    period=c.period,
                    scheme=c.scheme,
                    base=c.base,
                    unit_amount=c.unit_amount,
                    person_amount=c.person_amount,
                    status=c.status,
                    unit_name=unit_name,
                )
                for c, unit_name in rows
            ]
            return Page(items=items, page=page, page_size=page_size, total=total)

    def account(self, id_number: str) -> AccountRecord | None:
        with self._sessions() as s:
            a = s.scalar(
                select(BoAccount)
                .join(BoPerson, BoPerson.id == BoAccount.person_id)
                .where(BoPerson.id_number == id_number)
            )
            if a is None:
                return None
            return AccountRecord(balance=a.balance, months_paid=a.months_paid, as_of=a.as_of)

    def benefit_payments(self, id_number: str, page: int, page_size: int) -> Page[BenefitPaymentRecord]:
        with self._sessions() as s:
            person_id = self._person_id(s, id_number)
            if person_id is None:
                return Page(items=[], page=page, page_size=page_size, total=0)
            where = BoBenefitPayment.person_id == person_id
            total = s.scalar(select(func.count()).select_from(BoBenefitPayment).where(where)) or 0
            rows = s.scalars(
                select(BoBenefitPayment)
                .where(where)
                .order_by(BoBenefitPayment.period.desc())
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
            items = [
                BenefitPaymentRecord(kind=b.kind, period=b.period, amount=b.amount, paid_on=b.paid_on) for b in rows
            ]
            return Page(items=items, page=page, page_size=page_size, total=total)

    def transfers(self, id_number: str) -> list[TransferRecord]:
        with self._sessions() as s:
            rows = s.scalars(
                select(BoTransfer)
                .join(BoPerson, BoPerson.id == BoTransfer.person_id)
                .where(BoPerson.id_number == id_number)
                .order_by(BoTransfer.applied_on.desc())
            ).all()
            return [
                TransferRecord(
                    scheme=t.scheme,
                    direction=t.direction,
                    other_region_name=t.other_region_name,
                    status=t.status,
                    applied_on=t.applied_on,
                    completed_on=t.completed_on,
                    reviewed_on=t.reviewed_on,
                    certificate_on=t.certificate_on,
                    received_on=t.received_on,
                    funds_on=t.funds_on,
                )
                for t in rows
            ]

    def unit_staff(self, credit_code: str, page: int, page_size: int) -> Page[UnitStaffRecord]:
        with self._sessions() as s:
            unit_id = s.scalar(select(BoUnit.id).where(BoUnit.credit_code == credit_code))
            if unit_id is None:
                return Page(items=[], page=page, page_size=page_size, total=0)
            where = BoPerson.unit_id == unit_id
            total = s.scalar(select(func.count()).select_from(BoPerson).where(where)) or 0
            since = (
                select(BoRegistration.person_id, func.min(BoRegistration.start_date).label("since"))
                .where(BoRegistration.unit_id == unit_id, BoRegistration.status == RegistrationStatus.ACTIVE)
                .group_by(BoRegistration.person_id)
                .subquery()
            )
            rows = s.execute(
                select(BoPerson, since.c.since)
                .outerjoin(since, since.c.person_id == BoPerson.id)
                .where(where)
                .order_by(BoPerson.name, BoPerson.id)
                .limit(page_size)
                .offset((page - 1) * page_size)
            ).all()
            items = [
                UnitStaffRecord(id_number=p.id_number, name=p.name, gender=p.gender, status=p.status, since=d)
                for p, d in rows
            ]
            return Page(items=items, page=page, page_size=page_size, total=total)

    def unit_contribution_months(self, credit_code: str, months: int = 12) -> list[UnitContributionMonth]:
        with self._sessions() as s:
            unit_id = s.scalar(select(BoUnit.id).where(BoUnit.credit_code == credit_code))
            if unit_id is None:
                return []
            rows = s.execute(
                select(
                    BoContribution.period,
                    func.count(func.distinct(BoContribution.person_id)),
                    func.sum(BoContribution.unit_amount),
                    func.sum(BoContribution.person_amount),
                    func.sum(case((BoContribution.status == ContributionStatus.ARREARS, 1), else_=0)),
                )
                .where(BoContribution.unit_id == unit_id)
                .group_by(BoContribution.period)
                .order_by(BoContribution.period.desc())
                .limit(months)
            ).all()
            return [
                UnitContributionMonth(
                    period=period,
                    headcount=headcount,
                    unit_amount=Decimal(unit_amount or 0).quantize(Decimal("0.01")),
                    person_amount=Decimal(person_amount or 0).quantize(Decimal("0.01")),
                    arrears=int(arrears or 0),
                )
                for period, headcount, unit_amount, person_amount, arrears in rows
            ]

    def certify_eligibility(self, id_number: str, year: int, certified_on: date, method: str, reference: str) -> None:
        with self._sessions() as s, s.begin():
            person_id = self._person_id(s, id_number)
            if person_id is None:
                raise BackOfficeUnavailable("no such person in the back office")
            mine = (BoEligibility.person_id == person_id, BoEligibility.year == year)
            row = s.scalar(select(BoEligibility).where(*mine))
            if row is None:
                row = BoEligibility(person_id=person_id, year=year)
                s.add(row)
            row.certified_on, row.method, row.reference = certified_on, method, reference

    def eligibility(self, id_number: str) -> list[EligibilityRecord]:
        with self._sessions() as s:
            rows = s.scalars(
                select(BoEligibility)
                .join(BoPerson, BoPerson.id == BoEligibility.person_id)
                .where(BoPerson.id_number == id_number)
                .order_by(BoEligibility.year.desc())
            ).all()
            return [EligibilityRecord(r.year, r.certified_on, r.method, r.reference) for r in rows]

    def report_card_lost(self, id_number: str, card_number: str, reported_on: date, channel: str) -> None:
        with self._sessions() as s, s.begin():
            row = s.scalar(select(BoPerson).where(BoPerson.id_number == id_number))
            if row is None or row.card_number != card_number:
                raise BackOfficeRefused("no such card of this person")
            if row.card_status is CardStatus.LOST:
                return  # reported twice (two channels at once): already suspended
            if row.card_status is not CardStatus.ACTIVE:
                raise BackOfficeRefused("the card is not in use")
            row.card_status = CardStatus.LOST

    def update_phone(self, id_number: str, phone: str) -> None:
        """Record a person's new mobile number, after the gateway verified both the person and the new number."""
        from sqlalchemy import update

        with self._sessions() as s, s.begin():
            s.execute(update(BoPerson).where(BoPerson.id_number == id_number).values(phone=phone))

    def _paid_months(self, s: Session, person_id: int, scheme: Scheme) -> int:
        return (
            s.scalar(
                select(func.count(func.distinct(BoContribution.period))).where(
                    BoContribution.person_id == person_id,
                    BoContribution.scheme == scheme,
                    BoContribution.status == ContributionStatus.PAID,
                )
            )
            or 0
        )

    def check_eligibility(self, id_number: str, check: EligibilityCheck, on: date) -> EligibilityVerdict:
        person = self.find_person(id_number)
        with self._sessions() as s:
            person_id = self._person_id(s, id_number)
            if check is EligibilityCheck.UNEMPLOYMENT_BENEFIT:
                registrations = self.registrations(id_number)
                paid = self._paid_months(s, person_id, Scheme.UNEMPLOYMENT) if person_id is not None else 0
                # The contribution rows kept here cover recent years only; the insured span counts the rest.
                span = max(
                    (
                        eligibility_rules.months_between(r.start_date, r.end_date or on)
                        for r in registrations
                        if r.scheme is Scheme.UNEMPLOYMENT
                    ),
                    default=0,
                )
                return eligibility_rules.unemployment_benefit(person, registrations, max(paid, span))
            account = s.scalar(select(BoAccount).where(BoAccount.person_id == person_id)) if person_id else None
            paid = self._paid_months(s, person_id, Scheme.PENSION) if person_id is not None else 0
            months = max(paid, account.months_paid if account is not None else 0)
            return eligibility_rules.pension_claim(person, months, on)

    def record_version(self, id_number: str) -> RecordVersion | None:
        """A digest of everything kept about the person: any change to the record gives another version."""
        with self._sessions() as s:
            person = s.scalar(select(BoPerson).where(BoPerson.id_number == id_number))
            if person is None:
                return None
            pid = person.id
            state = {
                "person": [person.name, person.phone, person.region, person.status.value, person.unit_id],
                "registrations": [
                    [r.scheme.value, r.status.value, str(r.start_date), str(r.end_date), r.unit_id]
                    for r in s.scalars(
                        select(BoRegistration).where(BoRegistration.person_id == pid).order_by(BoRegistration.id)
                    )
                ],
                "contributions": [
                    list(map(str, row))
                    for row in s.execute(
                        select(
                            BoContribution.scheme,
                            func.count(),
                            func.max(BoContribution.period),
                            func.sum(BoContribution.unit_amount + BoContribution.person_amount),
                            func.sum(case((BoContribution.status == ContributionStatus.ARREARS, 1), else_=0)),
                        )
                        .where(BoContribution.person_id == pid)
                        .group_by(BoContribution.scheme)
                        .order_by(BoContribution.scheme)
                    ).all()
                ],
                "payments": list(
                    map(
                        str,
                        s.execute(
                            select(
                                func.count(), func.max(BoBenefitPayment.period), func.sum(BoBenefitPayment.amount)
                            ).where(BoBenefitPayment.person_id == pid)
                        ).one(),
                    )
                ),
                "account": [
                    str(v)
                    for a in s.scalars(select(BoAccount).where(BoAccount.person_id == pid))
                    for v in (a.balance, a.months_paid, a.as_of)
                ],
                "transfers": [
                    [t.scheme.value, t.status.value, str(t.completed_on)]
                    for t in s.scalars(select(BoTransfer).where(BoTransfer.person_id == pid).order_by(BoTransfer.id))
                ],
            }
        digest = hashlib.sha256(json.dumps(state, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return RecordVersion(version=digest[:32], as_of=clock.today())
