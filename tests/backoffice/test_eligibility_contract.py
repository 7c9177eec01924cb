"""The eligibility check and the record version (issue 15) on both implementations: the embedded back office and
the HTTP client talking to it over the wire."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.backoffice.demo import DEMO_PEOPLE, DEMO_UNIT_NAME
from gateway.backoffice.interface import BackOffice, EligibilityVerdict, RecordVersion
from gateway.catalog import EligibilityCheck

EMPLOYEE, RETIREE, TRANSFER, UNEMPLOYED = (p.id_number for p in DEMO_PEOPLE)
NOBODY = "11010519491231002X"
TODAY = date(2026, 11, 23)


@pytest.fixture(params=["local", "http"])
def backoffice(request: pytest.FixtureRequest) -> BackOffice:
    if request.param == "local":
        return request.getfixturevalue("local_backoffice")
    return request.getfixturevalue("make_http")()


def test_an_employed_contributor_cannot_claim_unemployment_benefit(backoffice: BackOffice) -> None:
    verdict = backoffice.check_eligibility(EMPLOYEE, EligibilityCheck.UNEMPLOYMENT_BENEFIT, TODAY)
    assert isinstance(verdict, EligibilityVerdict) and not verdict.eligible
    assert DEMO_UNIT_NAME in verdict.reason and "仍在就业" in verdict.reason and "第十四条" in verdict.reason


def test_a_person_out_of_work_with_a_year_paid_may_claim(backoffice: BackOffice) -> None:
    assert backoffice.check_eligibility(UNEMPLOYED, EligibilityCheck.UNEMPLOYMENT_BENEFIT, TODAY).eligible


def test_pension_claim_answers_by_age_and_status(backoffice: BackOffice) -> None:
    young = backoffice.check_eligibility(EMPLOYEE, EligibilityCheck.PENSION_CLAIM, TODAY)
    assert not young.eligible and "法定退休年龄" in young.reason and "2051年" in young.reason
    retired = backoffice.check_eligibility(RETIREE, EligibilityCheck.PENSION_CLAIM, TODAY)
    assert not retired.eligible and "已在按月领取" in retired.reason
    nobody = backoffice.check_eligibility(NOBODY, EligibilityCheck.PENSION_CLAIM, TODAY)
    assert not nobody.eligible and "12333" in nobody.reason


def test_the_record_version_is_stable_until_the_record_changes(backoffice: BackOffice, local_backoffice) -> None:
    first = backoffice.record_version(TRANSFER)
    assert isinstance(first, RecordVersion) and len(first.version) == 32 and isinstance(first.as_of, date)
    assert backoffice.record_version(TRANSFER).version == first.version
    assert backoffice.record_version(NOBODY) is None
    old_phone = local_backoffice.find_person(TRANSFER).phone
    local_backoffice.update_phone(TRANSFER, "13912345678")
    try:
        assert backoffice.record_version(TRANSFER).version != first.version
    finally:
        local_backoffice.update_phone(TRANSFER, old_phone)
    assert backoffice.record_version(TRANSFER).version == first.version
