"""The ``BackOffice`` interface: everything the gateway asks of the core social insurance system.

LD/T 01 6.4.4 keeps the online system isolated from the core system, so the gateway never reads core
tables. It asks these questions and gets plain records back. Implementations: ``local`` (the embedded
reference back office, :mod:`gateway.backoffice.local`); an HTTP client comes with its own issue.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from gateway.backoffice.models import (
    BenefitKind,
    CardStatus,
    ContributionStatus,
    PersonStatus,
    RegistrationStatus,
    Scheme,
    TransferDirection,
    TransferStatus,
)
from gateway.catalog.forms import EligibilityCheck
from gateway.validation import DocumentType

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list, with what a pager needs."""

    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class PersonRecord:
    id_number: str
    name: str
    birth_date: date
    gender: str
    phone: str
    region: str
    status: PersonStatus
    unit_name: str | None
    card_number: str
    card_status: CardStatus
    # The latest card's making (LD/T 01 5.4.3 e); None where a step is not done (or the card predates the records).
    card_applied_on: date | None = None
    card_made_on: date | None = None
    card_sent_on: date | None = None
    card_branch: str | None = None


@dataclass(frozen=True)
class DocumentRecord:
    """One identity document of a person (LD/T 01 6.2.3 b); ``number`` is canonical (passport "GBR:E12345678")."""

    doc_type: DocumentType
    number: str


@dataclass(frozen=True)
class UnitRecord:
    credit_code: str
    name: str
    legal_rep: str
    region: str
    registered_on: date
    insured_count: int = 0


@dataclass(frozen=True)
class RegistrationRecord:
    scheme: Scheme
    status: RegistrationStatus
    start_date: date
    end_date: date | None
    unit_name: str | None
    region: str

    @property
    def read_only(self) -> bool:
        return not self.scheme.handled_here


@dataclass(frozen=True)
class ContributionRecord:
    period: int  # YYYYMM
    scheme: Scheme
    base: Decimal
    unit_amount: Decimal
    person_amount: Decimal
    status: ContributionStatus
    unit_name: str | None

    @property
    def period_label(self) -> str:
        return f"{self.period // 100}年{self.period % 100:02d}月"


@dataclass(frozen=True)
class AccountRecord:
    balance: Decimal
    months_paid: int
    as_of: date


@dataclass(frozen=True)
class BenefitPaymentRecord:
    kind: BenefitKind
    period: int
    amount: Decimal
    paid_on: date


@dataclass(frozen=True)
class TransferRecord:
    scheme: Scheme
    direction: TransferDirection
    other_region_name: str
    status: TransferStatus
    applied_on: date
    completed_on: date | None
    # 7.1.2 stages as they are done (None: not yet); completed_on is the last one (办结).
    reviewed_on: date | None = None
    certificate_on: date | None = None
    received_on: date | None = None
    funds_on: date | None = None


@dataclass(frozen=True)
class EligibilityRecord:
    """One year's 待遇领取资格认证 (《社会保险经办条例》第二十六条)."""

    year: int
    certified_on: date
    method: str
    reference: str


@dataclass(frozen=True)
class UnitStaffRecord:
    """One insured employee on a unit's staff list (units' rights queries, LD/T 01 5.2.2)."""

    id_number: str
    name: str
    gender: str
    status: PersonStatus
    since: date | None  # earliest start of a current registration with this unit


@dataclass(frozen=True)
class UnitContributionMonth:
    """One month of a unit's contributions, summed over its staff and schemes."""

    period: int  # YYYYMM
    headcount: int
    unit_amount: Decimal
    person_amount: Decimal
    arrears: int  # person-scheme rows not yet paid

    @property
    def period_label(self) -> str:
        return f"{self.period // 100}年{self.period % 100:02d}月"


@dataclass(frozen=True)
class EligibilityVerdict:
    """The core system's answer to "may this person apply for this now?" — ``reason`` says why not, in plain
    Chinese, naming the rule."""

    eligible: bool
    reason: str = ""


@dataclass(frozen=True)
class RecordVersion:
    """Where a person's record stands: ``version`` changes whenever anything in it does (registrations,
    contributions, payments, the person's details); ``as_of`` is the date the record reflects."""

    version: str
    as_of: date


class BackOfficeUnavailable(RuntimeError):
    """The core system did not answer; views turn this into a polite 503."""


class BackOfficeRefused(BackOfficeUnavailable):
    """The core system answered but refused the request (a wrong key, a bad argument): retrying will not help."""


class BackOffice(abc.ABC):
    """What the gateway may ask the core system. Every method takes the person's ID number (aac002)."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise :class:`BackOfficeUnavailable` if the core system cannot be reached."""

    @abc.abstractmethod
    def find_person(self, id_number: str) -> PersonRecord | None: ...

    @abc.abstractmethod
    def find_unit(self, credit_code: str) -> UnitRecord | None: ...

    # Identity documents and the card (LD/T 01 6.2.3 b–d, issue 20). Not abstract, as below: a back office that
    # knows only citizen ID numbers still answers for them.
    def find_by_document(self, doc_type: DocumentType, number: str) -> PersonRecord | None:
        """The person holding this document (one record whatever document they show), or None."""
        if doc_type is DocumentType.RESIDENT_ID:
            return self.find_person(number)
        raise BackOfficeUnavailable(f"{type(self).__name__} knows no other identity documents")

    def documents(self, id_number: str) -> list[DocumentRecord]:
        """The identity documents the person (social security number ``id_number``) is known by."""
        return [DocumentRecord(DocumentType.RESIDENT_ID, id_number)]

    def find_by_card(self, card_number: str) -> PersonRecord | None:
        """The holder of this social security card number (LD/T 01 6.2.3 d), or None."""
        raise BackOfficeUnavailable(f"{type(self).__name__} cannot find people by card number")

    @abc.abstractmethod
    def registrations(self, id_number: str) -> list[RegistrationRecord]: ...

    @abc.abstractmethod
    def contributions(
        self, id_number: str, page: int, page_size: int, scheme: Scheme | None = None
    ) -> Page[ContributionRecord]:
        """Monthly contributions, newest first."""

    @abc.abstractmethod
    def account(self, id_number: str) -> AccountRecord | None: ...

    @abc.abstractmethod
    def benefit_payments(self, id_number: str, page: int, page_size: int) -> Page[BenefitPaymentRecord]: ...

    @abc.abstractmethod
    def transfers(self, id_number: str) -> list[TransferRecord]: ...

    # Unit queries (units issue). Not abstract, so a back office that does not offer them yet still loads;
    # it answers "unavailable" (a polite 503) until it does.
    def unit_staff(self, credit_code: str, page: int, page_size: int) -> Page[UnitStaffRecord]:
        """The unit's current insured employees, by name."""
        raise BackOfficeUnavailable(f"{type(self).__name__} has no unit staff list")

    def unit_contribution_months(self, credit_code: str, months: int = 12) -> list[UnitContributionMonth]:
        """The unit's latest ``months`` months of contributions, newest first."""
        raise BackOfficeUnavailable(f"{type(self).__name__} has no unit contributions")

    # Benefit eligibility certification (applications issue, LD/T 01 5.4.3 a). Not abstract, as above.
    def certify_eligibility(self, id_number: str, year: int, certified_on: date, method: str, reference: str) -> None:
        """Record that the person's eligibility is certified for ``year`` (again in the same year: updated)."""
        raise BackOfficeUnavailable(f"{type(self).__name__} cannot certify eligibility")

    def eligibility(self, id_number: str) -> list[EligibilityRecord]:
        """The person's certifications, newest year first."""
        raise BackOfficeUnavailable(f"{type(self).__name__} has no eligibility records")

    # Reporting a lost card (社会保障卡挂失, LD/T 01 5.4.3 e). Not abstract, as above.
    def report_card_lost(self, id_number: str, card_number: str, reported_on: date, channel: str) -> None:
        """Suspend the person's card ``card_number`` as lost (again for a card already lost: nothing changes).
        Refused (:class:`BackOfficeRefused`) when that card is not the person's current usable card."""
        raise BackOfficeUnavailable(f"{type(self).__name__} cannot suspend cards")

    # Eligibility before applying and record versions for certificates (issue 15). Not abstract, as above.
    def check_eligibility(self, id_number: str, check: EligibilityCheck, on: date) -> EligibilityVerdict:
        """Whether the person may apply, on ``on``, for what ``check`` guards (the catalog declares which)."""
        raise BackOfficeUnavailable(f"{type(self).__name__} cannot check eligibility")

    def record_version(self, id_number: str) -> RecordVersion | None:
        """The person's record version now (None: no such person)."""
        raise BackOfficeUnavailable(f"{type(self).__name__} has no record versions")
