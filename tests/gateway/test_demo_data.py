"""The synthetic demo population: valid numbers, a believable shape, determinism, demo logins, atomicity."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric, uscc

from gateway.backoffice.demo import (
    DEMO_DOCUMENT_PEOPLE,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_UNIT_CREDIT_CODE,
    DemoSpec,
    demo_accounts,
    population_exists,
)
from gateway.backoffice.local import LocalBackOffice
from gateway.backoffice.models import (
    BenefitKind,
    BoAccount,
    BoBenefitPayment,
    BoContribution,
    BoPerson,
    BoRegistration,
    BoTransfer,
    BoUnit,
    ContributionStatus,
    PersonStatus,
    Scheme,
    TransferStatus,
)
from gateway.identity import demo as identity_demo
from gateway.identity.demo import load_demo_data
from gateway.identity.models import Person
from gateway.identity.service import check_password
from gateway.migrate import upgrade
from gateway.security.pii import PiiVault
from gateway.validation import normalize_credit_code, normalize_id_number

TODAY = date(2026, 11, 23)
SECRET = "demo-data-test-secret-0123456789abcdef"
SMALL = DemoSpec(seed=11, people=120, units=8, today=TODAY)
BO_TABLES = (BoUnit, BoPerson, BoRegistration, BoContribution, BoAccount, BoBenefitPayment, BoTransfer)


def migrated(path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{path}"
    upgrade(url)
    return sessionmaker(bind=sa.create_engine(url))


def rows(sessions: sessionmaker[Session], model: type) -> list[tuple]:
    """Every row of a table as plain tuples, in primary-key order."""
    table = model.__table__
    with sessions() as s:
        return [tuple(r) for r in s.execute(sa.select(table).order_by(*table.primary_key.columns))]


def count(sessions: sessionmaker[Session], model: type, *where) -> int:
    with sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> sessionmaker[Session]:
    sessions = migrated(tmp_path_factory.mktemp("demo") / "small.db")
    load_demo_data(sessions, PiiVault(SECRET), SMALL)
    return sessions


def test_counts_reach_the_spec(small: sessionmaker[Session]) -> None:
    assert count(small, BoPerson) >= SMALL.people
    assert count(small, BoUnit) >= SMALL.units
    assert count(small, BoRegistration) == 5 * count(small, BoPerson)
    assert count(small, BoContribution) > 100 * SMALL.people


def test_id_numbers_are_valid_unique_and_agree_with_the_person(small: sessionmaker[Session]) -> None:
    with small() as s:
        people = s.execute(sa.select(BoPerson.id_number, BoPerson.birth_date, BoPerson.gender)).all()
    assert len({p.id_number for p in people}) == len(people)
    others = {d.social_security_number for d in DEMO_DOCUMENT_PEOPLE}  # checked in test_document_people…
    assert others <= {p.id_number for p in people}
    for number, birth, gender in (p for p in people if p.id_number not in others):
        assert ric.is_valid(number), number
        assert ric.get_birth_date(number) == birth
        assert date(1960, 1, 1) <= birth <= date(2004, 12, 31)
        assert gender == ("M" if int(number[16]) % 2 else "F")  # odd sequence digit = male
    # The demo logins must get through the gateway's own input checks too.
    assert all(normalize_id_number(d.id_number) == d.id_number for d in DEMO_PEOPLE)


def test_units_have_valid_credit_codes_and_names(small: sessionmaker[Session]) -> None:
    with small() as s:
        units = s.execute(sa.select(BoUnit.credit_code, BoUnit.name, BoUnit.legal_rep)).all()
    assert DEMO_UNIT_CREDIT_CODE in {u.credit_code for u in units}
    for code, name, legal_rep in units:
        assert uscc.is_valid(code), code
        assert normalize_credit_code(code) == code
        assert name.startswith("示例市")
        assert 2 <= len(legal_rep) <= 3


def test_phones_and_cards_look_real(small: sessionmaker[Session]) -> None:
    with small() as s:
        people = s.execute(sa.select(BoPerson.phone, BoPerson.card_number, BoPerson.card_status)).all()
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.phone) for p in people)
    assert all(re.fullmatch(r"[A-Z]\d{8}", p.card_number) for p in people)
    active = sum(p.card_status.value == "active" for p in people)
    assert active >= 0.85 * len(people)


def test_contribution_amounts_follow_the_rates(small: sessionmaker[Session]) -> None:
    with small() as s:
        sample = s.scalars(sa.select(BoContribution).order_by(BoContribution.id).limit(4000)).all()
    rates = {
        Scheme.PENSION: (Decimal("0.16"), Decimal("0.08")),
        Scheme.UNEMPLOYMENT: (Decimal("0.005"), Decimal("0.005")),
        Scheme.MEDICAL: (Decimal("0.08"), Decimal("0.02")),
    }
    for c in sample:
        assert Decimal(3000) <= c.base <= Decimal(26000)
        assert 202001 <= c.period <= 202610
        if c.scheme is Scheme.WORK_INJURY:
            assert c.person_amount == 0
            assert Decimal("0.002") * c.base - 1 <= c.unit_amount <= Decimal("0.010") * c.base + 1
        else:
            unit_rate, person_rate = rates[c.scheme]
            assert abs(c.unit_amount - c.base * unit_rate) <= Decimal("0.01")
            assert abs(c.person_amount - c.base * person_rate) <= Decimal("0.01")
    assert not {c.scheme for c in sample} & {Scheme.MATERNITY}  # collected with medical insurance


def test_retirees_are_old_enough_and_paid_a_pension(small: sessionmaker[Session]) -> None:
    with small() as s:
        retirees = s.scalars(sa.select(BoPerson).where(BoPerson.status == PersonStatus.RETIRED)).all()
        paid = defaultdict(int)
        for person_id, kind in s.execute(sa.select(BoBenefitPayment.person_id, BoBenefitPayment.kind)):
            paid[person_id, kind] += 1
    assert len(retirees) >= SMALL.people // 10
    for p in retirees:
        assert age_on(p.birth_date, TODAY) >= (60 if p.gender == "M" else 50)
        assert p.unit_id is None
        assert 1 <= paid[p.id, BenefitKind.PENSION] <= 24


def test_unemployed_people_receive_benefits(small: sessionmaker[Session]) -> None:
    with small() as s:
        unemployed = s.scalars(sa.select(BoPerson.id).where(BoPerson.status == PersonStatus.UNEMPLOYED)).all()
        receiving = set(
            s.scalars(sa.select(BoBenefitPayment.person_id).where(BoBenefitPayment.kind == BenefitKind.UNEMPLOYMENT))
        )
    assert len(unemployed) >= 3
    assert set(unemployed) <= receiving


def test_transfers_in_progress_and_completed(small: sessionmaker[Session]) -> None:
    with small() as s:
        transfers = s.scalars(sa.select(BoTransfer)).all()
    open_ = [t for t in transfers if t.status is not TransferStatus.COMPLETED]
    done = [t for t in transfers if t.status is TransferStatus.COMPLETED]
    assert len(open_) >= 5
    assert done
    assert all(t.completed_on is None and t.applied_on <= TODAY for t in open_)
    assert all(t.applied_on <= t.completed_on <= TODAY for t in done)


def test_arrears_are_rare_and_recent(small: sessionmaker[Session]) -> None:
    with small() as s:
        arrears = s.execute(
            sa.select(BoContribution.person_id, BoContribution.period).where(
                BoContribution.status == ContributionStatus.ARREARS
            )
        ).all()
    assert len({a.person_id for a in arrears}) < SMALL.people // 10
    assert all(a.period >= 202608 for a in arrears)


def test_demo_accounts_log_in_with_the_demo_password(small: sessionmaker[Session]) -> None:
    accounts = demo_accounts(small)
    assert [(a.id_number, a.name) for a in accounts] == [(d.id_number, d.name) for d in DEMO_PEOPLE]
    assert accounts[0].key == "employee"
    assert all(a.role for a in accounts)
    vault = PiiVault(SECRET)
    with small() as s:
        for account in accounts:
            identity = check_password(s, vault, account.id_number, DEMO_PASSWORD)
            assert identity is not None
            assert (identity.id_number, identity.name) == (account.id_number, account.name)
        assert check_password(s, vault, accounts[0].id_number, "wrong-password") is None


def test_demo_people_have_their_story(small: sessionmaker[Session]) -> None:
    bo = LocalBackOffice(small)
    employee, retiree, transfer, unemployed = (d.id_number for d in DEMO_PEOPLE)
    assert bo.find_person(employee).status is PersonStatus.WORKING
    assert bo.contributions(employee, 1, 1, Scheme.PENSION).total >= 60  # several years, all in the window
    assert bo.find_person(retiree).status is PersonStatus.RETIRED
    assert bo.benefit_payments(retiree, 1, 50).total == 24
    assert bo.benefit_payments(retiree, 1, 1).items[0].kind is BenefitKind.PENSION
    assert any(t.status is not TransferStatus.COMPLETED for t in bo.transfers(transfer))
    assert bo.find_person(unemployed).status is PersonStatus.UNEMPLOYED
    assert bo.benefit_payments(unemployed, 1, 1).items[0].kind is BenefitKind.UNEMPLOYMENT
    assert all(bo.find_person(d.id_number).card_status.value == "active" for d in DEMO_PEOPLE)


def test_contributions_page_newest_first_with_consistent_totals(small: sessionmaker[Session]) -> None:
    bo = LocalBackOffice(small)
    employee = DEMO_PEOPLE[0].id_number
    first = bo.contributions(employee, 1, 25)
    items = list(first.items)
    for page in range(2, first.pages + 1):
        items += bo.contributions(employee, page, 25).items
    periods = [c.period for c in items]
    assert periods == sorted(periods, reverse=True)
    assert periods[0] == 202610  # up to the month before today
    assert len(items) == first.total == 4 * len(set(periods))
    by_scheme = [bo.contributions(employee, 1, 1, scheme).total for scheme in Scheme]
    assert sum(by_scheme) == first.total
    pension = [c for c in items if c.scheme is Scheme.PENSION and c.status is ContributionStatus.PAID]
    account = bo.account(employee)
    assert account is not None
    # The account holds every paid personal pension contribution, with interest, plus earlier years.
    assert account.balance >= sum(c.person_amount for c in pension)
    assert account.months_paid >= len(pension)


def test_account_is_paid_contributions_with_interest(small: sessionmaker[Session]) -> None:
    # The person still waiting for the transfer in has only local history: nothing carried in yet.
    transfer = DEMO_PEOPLE[2].id_number
    bo = LocalBackOffice(small)
    account = bo.account(transfer)
    assert account is not None
    paid = [c for c in bo.contributions(transfer, 1, 100, Scheme.PENSION).items if c.status is ContributionStatus.PAID]
    expected = sum(float(c.person_amount) * 1.03 ** (account.as_of.year - c.period // 100) for c in paid)
    assert account.months_paid == len(paid)
    assert abs(float(account.balance) - expected) < 0.02


def test_same_seed_same_rows_other_seed_other_rows(small: sessionmaker[Session], tmp_path: Path) -> None:
    again = migrated(tmp_path / "again.db")
    assert population_exists(again) is False
    load_demo_data(again, PiiVault("another-secret-does-not-matter-0123456789"), SMALL)
    assert population_exists(again) is True
    for model in BO_TABLES:
        assert rows(again, model) == rows(small, model), model.__tablename__

    other = migrated(tmp_path / "other.db")
    load_demo_data(other, PiiVault(SECRET), DemoSpec(seed=12, people=120, units=8, today=TODAY))
    ours, theirs = rows(small, BoPerson), rows(other, BoPerson)
    assert ours != theirs
    # Only the fixed demo people are shared (and even they differ beyond ID number and name).
    shared = {r[1] for r in ours} & {r[1] for r in theirs}
    assert shared == {d.id_number for d in DEMO_PEOPLE} | {d.social_security_number for d in DEMO_DOCUMENT_PEOPLE}


def test_one_transaction_nothing_written_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = migrated(tmp_path / "fail.db")

    def broken(*_args: object) -> None:
        raise RuntimeError("credential store down")

    monkeypatch.setattr(identity_demo, "set_password", broken)  # the very last step fails
    with pytest.raises(RuntimeError, match="credential store down"):
        load_demo_data(sessions, PiiVault(SECRET), SMALL)
    assert not population_exists(sessions)
    assert all(count(sessions, model) == 0 for model in (*BO_TABLES, Person))


def test_loading_twice_is_refused(small: sessionmaker[Session]) -> None:
    before = count(small, BoPerson)
    with pytest.raises(RuntimeError):
        load_demo_data(small, PiiVault(SECRET), SMALL)
    assert count(small, BoPerson) == before


@pytest.mark.parametrize(
    "spec",
    [
        DemoSpec(seed=1, people=5, today=TODAY),
        DemoSpec(seed=1, units=1, today=TODAY),
        DemoSpec(seed=1, today=date(2019, 1, 1)),
    ],
)
def test_impossible_specs_are_refused(tmp_path: Path, spec: DemoSpec) -> None:
    with pytest.raises(ValueError):
        load_demo_data(migrated(tmp_path / "refused.db"), PiiVault(SECRET), spec)


@pytest.mark.slow
def test_default_size_loads_quickly(tmp_path: Path) -> None:
    """The real requirement: 2,000 people and 60 units in well under a minute on SQLite."""
    sessions = migrated(tmp_path / "default.db")
    spec = DemoSpec(seed=20201201, today=TODAY)
    assert (spec.people, spec.units) == (2000, 60)
    started = time.perf_counter()
    summary = load_demo_data(sessions, PiiVault(SECRET), spec)
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"took {elapsed:.1f} s: {summary}"
    assert count(sessions, BoPerson) >= 2000
    assert count(sessions, BoUnit) >= 50
    with sessions() as s:
        others = {d.social_security_number for d in DEMO_DOCUMENT_PEOPLE}
        assert all(ric.is_valid(n) for n in s.scalars(sa.select(BoPerson.id_number)) if n not in others)
        assert all(uscc.is_valid(c) for c in s.scalars(sa.select(BoUnit.credit_code)))
        retired = s.scalar(sa.select(sa.func.count()).where(BoPerson.status == PersonStatus.RETIRED))
    assert 150 <= retired <= 250  # about 10 %
    assert count(sessions, BoTransfer, BoTransfer.status != TransferStatus.COMPLETED) >= 5
    assert count(sessions, BoContribution, BoContribution.status == ContributionStatus.ARREARS) > 0
    assert len(demo_accounts(sessions)) == 4


def test_document_people_pass_their_checks_and_find_one_record(small: sessionmaker[Session]) -> None:
    """LD/T 01 6.2.3 b (issue 20): each demo person of another document passes the gateway's own check of it, the
    back office finds them by every document they hold, and they can log in with the demo password."""
    from gateway.identity.documents import Document, find_person_by_document
    from gateway.validation import DocumentType, normalize_document

    bo = LocalBackOffice(small)
    kinds = {d.doc_type for d in DEMO_DOCUMENT_PEOPLE}
    assert kinds == set(DocumentType) - {DocumentType.RESIDENT_ID}
    vault = PiiVault(SECRET)
    for d in DEMO_DOCUMENT_PEOPLE:
        for doc_type, number in d.documents:
            assert normalize_document(doc_type, number) == number
            found = bo.find_by_document(doc_type, number)
            assert found is not None and found.id_number == d.social_security_number and found.name == d.name
        assert [(r.doc_type, r.number) for r in bo.documents(d.social_security_number)] == list(d.documents)
        card = bo.find_person(d.social_security_number).card_number
        assert bo.find_by_card(card).id_number == d.social_security_number
        with small() as s:
            person = find_person_by_document(s, vault, Document(d.doc_type, d.doc_number))
            assert person is not None and person.doc_type is d.doc_type
            assert check_password(s, vault, d.social_security_number, DEMO_PASSWORD) is not None
    # A citizen is found by the resident ID alone (no document rows).
    assert bo.documents(DEMO_PEOPLE[0].id_number) == [
        type(bo.documents(DEMO_PEOPLE[0].id_number)[0])(DocumentType.RESIDENT_ID, DEMO_PEOPLE[0].id_number)
    ]


def test_the_readme_lists_the_document_people() -> None:
    """A newcomer finds every demo person of another document in the README (issue 20)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for d in DEMO_DOCUMENT_PEOPLE:
        assert d.name in readme
        for _doc_type, number in d.documents:
            assert f"`{number.split(':')[-1]}`" in readme, number
