"""The mailbox's rules without HTTP (LD/T 01 5.5.1, 5.5.3, 5.5.5): checks, time limits in working days, masking."""

from __future__ import annotations

from datetime import date

from gateway.consult.ledger import mask_numbers
from gateway.consult.mailbox import TIME_LIMITS, check_submission, due_date
from gateway.consult.models import CaseKind, Topic

FORM = {"kind": "complaint", "topic": "service", "subject": "窗口态度", "body": "经过如下……"}


def test_a_complete_submission_is_accepted() -> None:
    submission, errors = check_submission(FORM)
    assert errors == [] and submission.kind is CaseKind.COMPLAINT and submission.topic is Topic.SERVICE


def test_every_missing_field_is_reported_at_once() -> None:
    _, errors = check_submission({})
    assert [field for field, _ in errors] == ["kind", "topic", "subject", "body"]
    assert all(message for _, message in errors)


def test_a_wrong_phone_is_refused_in_chinese() -> None:
    _, errors = check_submission({**FORM, "phone": "12345"})
    assert errors and errors[0][0] == "phone"


def test_the_time_limit_is_counted_in_working_days_over_holidays() -> None:
    # LD/T 01 5.5.3: received on Thursday 2026-09-24; 09-25 and 09-28..30 are four working days, the National
    # Day holiday (10-01..10-08) does not count, so a 5-working-day limit ends on 10-09, not on 10-01.
    assert TIME_LIMITS[CaseKind.CONSULTATION] == 5
    assert due_date(CaseKind.CONSULTATION, date(2026, 9, 24)).date == date(2026, 10, 9)


def test_a_limit_running_into_an_unknown_year_is_provisional() -> None:
    assert due_date(CaseKind.SUGGESTION, date(2026, 12, 24)).provisional


def test_long_numbers_are_masked_before_the_ledger_keeps_them() -> None:
    assert mask_numbers("我的电话13800138000") == "我的电话138******00"
    assert "110101199003077777" not in mask_numbers("身份证110101199003077777丢了")
