"""The pension estimate against examples worked by hand (国发〔2005〕38号 formula)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.applications.pension import (
    MONTHS_DIVISOR,
    PensionInputs,
    estimate,
    months_divisor,
    parse_inputs,
)
from gateway.problems import UserError

D = Decimal


def test_divisor_table_matches_the_published_ages():
    # 国发〔2005〕38号 附件: 50 → 195, 55 → 170, 60 → 139, 65 → 101.
    assert [months_divisor(a) for a in (50, 55, 60, 65)] == [195, 170, 139, 101]
    assert min(MONTHS_DIVISOR) == 40 and MONTHS_DIVISOR[40] == 233
    assert max(MONTHS_DIVISOR) == 70 and MONTHS_DIVISOR[70] == 56
    ages = sorted(MONTHS_DIVISOR)
    assert all(MONTHS_DIVISOR[a] > MONTHS_DIVISOR[b] for a, b in zip(ages, ages[1:], strict=False))
    with pytest.raises(UserError):
        months_divisor(39)


def test_thirty_years_at_index_one_retiring_at_60():
    # basic: 8000 × (1 + 1.0) / 2 × 30 × 1% = 8000 × 0.30 = 2400.00
    # account: 120000 / 139 = 863.3093… → 863.31; total 3263.31
    result = estimate(PensionInputs(D("8000"), D("1.0"), 360, D("120000"), 60))
    assert result.basic == D("2400.00")
    assert result.account == D("863.31")
    assert result.total == D("3263.31")
    assert result.eligible and result.divisor == 139 and result.years == D("30.00")


def test_fifteen_years_at_the_lowest_index_retiring_at_50():
    # basic: 7000 × 1.6 / 2 = 5600; × 15 × 1% = 840.00; account: 50000 / 195 = 256.4102… → 256.41
    result = estimate(PensionInputs(D("7000"), D("0.6"), 180, D("50000"), 50))
    assert (result.basic, result.account, result.total) == (D("840.00"), D("256.41"), D("1096.41"))
    assert result.indexed_wage == D("4200.00")


def test_part_years_count_by_month_retiring_at_55():
    # 306 months = 25.5 years; basic: 7500 × 2.2 / 2 = 8250; × 25.5 × 1% = 2103.75
    # account: 88000 / 170 = 517.6470… → 517.65; total 2621.40
    result = estimate(PensionInputs(D("7500"), D("1.2"), 306, D("88000"), 55))
    assert (result.basic, result.account, result.total) == (D("2103.75"), D("517.65"), D("2621.40"))


def test_highest_index_forty_years_retiring_at_65():
    # basic: 9000 × 4 / 2 = 18000; × 40 × 1% = 7200.00; account: 300000 / 101 = 2970.2970… → 2970.30
    result = estimate(PensionInputs(D("9000"), D("3.0"), 480, D("300000"), 65))
    assert (result.basic, result.account, result.total) == (D("7200.00"), D("2970.30"), D("10170.30"))


def test_under_fifteen_years_is_not_eligible_for_a_monthly_pension():
    result = estimate(PensionInputs(D("8000"), D("1.0"), 179, D("10000"), 60))
    assert not result.eligible


def test_form_problems_are_all_reported_together():
    inputs, errors = parse_inputs({"average_wage": "abc", "index": "5", "months": "-1", "balance": "", "age": "30"})
    assert inputs is None
    assert [f for f, _ in errors] == ["average_wage", "index", "months", "balance", "age"]
    assert "0.6 至 3.0" in dict(errors)["index"]


def test_form_accepts_thousands_separators():
    inputs, errors = parse_inputs(
        {"average_wage": "8,000", "index": "1", "months": "360", "balance": "120,000.50", "age": "60"}
    )
    assert errors == []
    assert inputs == PensionInputs(D("8000"), D("1"), 360, D("120000.50"), 60)
