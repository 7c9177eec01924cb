"""The ``BackOffice`` contract, run against both implementations: the embedded reference back office and the
HTTP client talking to the same back office served over HTTP (DESIGN "The core system is outside")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.backoffice.demo import DEMO_PEOPLE, DEMO_UNIT_CREDIT_CODE, DEMO_UNIT_NAME
from gateway.backoffice.interface import (
    AccountRecord,
    BackOffice,
    ContributionRecord,
    Page,
    PersonRecord,
    RegistrationRecord,
    TransferRecord,
)
from gateway.backoffice.models import (
    BenefitKind,
    CardStatus,
    ContributionStatus,
    PersonStatus,
    Scheme,
    TransferStatus,
)

EMPLOYEE, RETIREE, TRANSFER, UNEMPLOYED = (p.id_number for p in DEMO_PEOPLE)
NOBODY = "11010519491231002X"  # a valid GB 11643 number that is not in the demo population


@pytest.fixture(params=["local", "http"])
def backoffice(request: pytest.FixtureRequest) -> BackOffice:
    if request.param == "local":
        return request.getfixturevalue("local_backoffice")
    return request.getfixturevalue("make_http")()


def test_ping_answers(backoffice: BackOffice) -> None:
    assert backoffice.ping() is None


def test_find_person_returns_the_record_with_typed_fields(backoffice: BackOffice) -> None:
    person = backoffice.find_person(EMPLOYEE)
    assert isinstance(person, PersonRecord)
    assert (person.id_number, person.name) == (EMPLOYEE, "李明轩")
    assert person.birth_date == date(1988, 5, 12) and person.gender == "M"
    assert person.status is PersonStatus.WORKING and person.card_status is CardStatus.ACTIVE
    assert person.unit_name and person.phone and person.card_number


def test_unknown_person_is_none_not_an_error(backoffice: BackOffice) -> None:
    assert backoffice.find_person(NOBODY) is None
    assert backoffice.account(NOBODY) is None
    assert backoffice.registrations(NOBODY) == []
    assert backoffice.transfers(NOBODY) == []
    empty = backoffice.contributions(NOBODY, 1, 10)
    assert (empty.items, empty.total, empty.pages) == ([], 0, 1)
    assert backoffice.benefit_payments(NOBODY, 1, 10).total == 0


def test_find_unit(backoffice: BackOffice) -> None:
    unit = backoffice.find_unit(DEMO_UNIT_CREDIT_CODE)
    assert unit is not None and unit.name == DEMO_UNIT_NAME
    assert isinstance(unit.registered_on, date) and unit.insured_count >= 1
    assert backoffice.find_unit("91110000000000000X") is None


def test_registrations_list_every_scheme_of_the_employee(backoffice: BackOffice) -> None:
    regs = backoffice.registrations(EMPLOYEE)
    assert all(isinstance(r, RegistrationRecord) for r in regs)
    assert {r.scheme for r in regs} >= {Scheme.PENSION, Scheme.MEDICAL}
    pension = next(r for r in regs if r.scheme is Scheme.PENSION)
    assert not pension.read_only and isinstance(pension.start_date, date)


def test_contributions_are_paged_newest_first_and_filtered_by_scheme(backoffice: BackOffice) -> None:
    first = backoffice.contributions(EMPLOYEE, 1, 10)
    assert isinstance(first, Page) and len(first.items) == 10 and first.total > 10 and first.has_next
    assert all(isinstance(c, ContributionRecord) for c in first.items)
    periods = [c.period for c in first.items]
    assert periods == sorted(periods, reverse=True)
    second = backoffice.contributions(EMPLOYEE, 2, 10)
    assert second.page == 2 and second.items[0].period <= first.items[-1].period
    pension = backoffice.contributions(EMPLOYEE, 1, 5, Scheme.PENSION)
    assert {c.scheme for c in pension.items} == {Scheme.PENSION} and pension.total < first.total
    money = first.items[0]
    assert isinstance(money.base, Decimal) and isinstance(money.person_amount, Decimal)
    assert money.status in set(ContributionStatus)


def test_account_balance_is_exact_money(backoffice: BackOffice) -> None:
    account = backoffice.account(EMPLOYEE)
    assert isinstance(account, AccountRecord)
    assert isinstance(account.balance, Decimal) and account.balance > 0
    assert account.balance == account.balance.quantize(Decimal("0.01"))
    assert account.months_paid > 0


def test_retiree_is_paid_a_pension(backoffice: BackOffice) -> None:
    assert backoffice.find_person(RETIREE).status is PersonStatus.RETIRED
    payments = backoffice.benefit_payments(RETIREE, 1, 3)
    assert payments.total >= 1 and payments.items[0].kind is BenefitKind.PENSION
    assert isinstance(payments.items[0].paid_on, date)


def test_transfer_in_progress(backoffice: BackOffice) -> None:
    transfers = backoffice.transfers(TRANSFER)
    assert transfers and all(isinstance(t, TransferRecord) for t in transfers)
    assert any(t.status is not TransferStatus.COMPLETED and t.completed_on is None for t in transfers)


@pytest.mark.parametrize("id_number", [p.id_number for p in DEMO_PEOPLE])
def test_http_answers_exactly_what_the_local_back_office_answers(local_backoffice, make_http, id_number) -> None:
    """Every record survives the wire unchanged: dates, money, enums, optional fields, pages."""
    remote = make_http()
    for method, args in [
        ("find_person", ()),
        ("registrations", ()),
        ("account", ()),
        ("transfers", ()),
        ("contributions", (1, 50)),
        ("contributions", (2, 7, Scheme.UNEMPLOYMENT)),
        ("benefit_payments", (1, 50)),
    ]:
        assert getattr(remote, method)(id_number, *args) == getattr(local_backoffice, method)(id_number, *args)
    assert remote.find_unit(DEMO_UNIT_CREDIT_CODE) == local_backoffice.find_unit(DEMO_UNIT_CREDIT_CODE)


def test_unit_staff_and_contribution_months(backoffice: BackOffice) -> None:
    staff = backoffice.unit_staff(DEMO_UNIT_CREDIT_CODE, 1, 5)
    assert staff.total >= 1 and 1 <= len(staff.items) <= 5
    assert any(s.id_number == EMPLOYEE for s in backoffice.unit_staff(DEMO_UNIT_CREDIT_CODE, 1, 500).items)
    months = backoffice.unit_contribution_months(DEMO_UNIT_CREDIT_CODE, 6)
    assert 1 <= len(months) <= 6 and months[0].period > months[-1].period
    assert isinstance(months[0].unit_amount, Decimal) and months[0].headcount >= 1
    assert backoffice.unit_contribution_months("91110000000000000X") == []


def test_http_unit_queries_match_local(local_backoffice, make_http) -> None:
    remote = make_http()
    assert remote.unit_staff(DEMO_UNIT_CREDIT_CODE, 2, 3) == local_backoffice.unit_staff(DEMO_UNIT_CREDIT_CODE, 2, 3)
    assert remote.unit_contribution_months(DEMO_UNIT_CREDIT_CODE) == local_backoffice.unit_contribution_months(
        DEMO_UNIT_CREDIT_CODE
    )


def test_documents_find_one_person_whichever_is_shown(backoffice: BackOffice) -> None:
    """LD/T 01 6.2.3 b–d (issue 20): a permanent resident's passport and permanent residence ID find the same
    record; a citizen's resident ID is the social security number; the card number finds its holder."""
    from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
    from gateway.backoffice.interface import DocumentRecord
    from gateway.validation import DocumentType

    foreigner = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == "foreigner2023")
    by_id = backoffice.find_by_document(*foreigner.documents[0])
    by_passport = backoffice.find_by_document(*foreigner.documents[1])
    assert by_id is not None and by_passport is not None
    assert by_id.id_number == by_passport.id_number == foreigner.social_security_number
    assert backoffice.documents(foreigner.social_security_number) == [
        DocumentRecord(t, n) for t, n in foreigner.documents
    ]
    assert backoffice.find_by_document(DocumentType.RESIDENT_ID, EMPLOYEE).name == "李明轩"
    assert backoffice.find_by_document(DocumentType.PASSPORT, "GBR:NOSUCH001") is None
    employee = backoffice.find_person(EMPLOYEE)
    assert backoffice.find_by_card(employee.card_number).id_number == EMPLOYEE
    assert backoffice.find_by_card("Z00000000") is None
