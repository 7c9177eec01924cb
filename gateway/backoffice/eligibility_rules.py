"""The core system's rules for "may this person apply now?" (issue 15: eligibility first), over plain records, so
the embedded back office answers as a real one would and the rules are tested without a database.

- 失业保险金 (《失业保险条例》第十四条): insured for unemployment, contributions for at least a year, out of work
  (not employed by a unit now, not drawing a pension — 第十五条).
- 基本养老金 (《社会保险法》第十六条): statutory retirement age reached, at least 15 years (180 months) paid. The age
  follows 《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》(2024): from 2025 men 60 → 63
  (one month later for every four months of birth from January 1965), women 50 → 55 (one month for every two
  months from January 1975). The online check refuses only when a person is surely not yet eligible, so a woman
  is measured by the lower (50 → 55) age; the window decides the 55 → 58 posts.
"""

from __future__ import annotations

from datetime import date

from gateway.backoffice.interface import EligibilityVerdict, PersonRecord, RegistrationRecord
from gateway.backoffice.models import PersonStatus, Scheme

__all__ = [
    "MIN_PENSION_MONTHS",
    "MIN_UNEMPLOYMENT_MONTHS",
    "months_between",
    "pension_claim",
    "retirement_date",
    "unemployment_benefit",
]

MIN_UNEMPLOYMENT_MONTHS = 12
MIN_PENSION_MONTHS = 180
NOT_FOUND = "未查询到您的参保记录，请拨打 12333 或到经办窗口咨询。"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, 28 if month + 1 == 2 else 30 if month + 1 in (4, 6, 9, 11) else 31))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(0, months)


def retirement_date(birth: date, gender: str) -> date:
    """The day the statutory retirement age is reached (the gradual reform of 2025 included)."""
    born = birth.year * 12 + birth.month - 1
    if gender == "M":
        base, start, step, most = 60, 1965 * 12, 4, 36
    else:
        base, start, step, most = 50, 1975 * 12, 2, 60
    delay = 0 if born < start else min(most, (born - start) // step + 1)
    return _add_months(birth, base * 12 + delay)


def unemployment_benefit(
    person: PersonRecord | None, registrations: list[RegistrationRecord], months_paid: int
) -> EligibilityVerdict:
    if person is None:
        return EligibilityVerdict(False, NOT_FOUND)
    if person.status is PersonStatus.RETIRED:
        return EligibilityVerdict(False, "您已按月领取基本养老金，不能再申领失业保险金（《失业保险条例》第十五条）。")
    if person.status is PersonStatus.WORKING and person.unit_name:
        return EligibilityVerdict(
            False,
            f"您目前由“{person.unit_name}”参保缴费，仍在就业，不能申领失业保险金。"
            "失业保险金在非因本人意愿中断就业后申领（《失业保险条例》第十四条）。",
        )
    registered = any(r.scheme is Scheme.UNEMPLOYMENT for r in registrations)
    if not registered:
        return EligibilityVerdict(False, "未查询到您参加失业保险的记录，不能申领失业保险金。")
    if months_paid < MIN_UNEMPLOYMENT_MONTHS:
        return EligibilityVerdict(
            False,
            f"失业前您和用人单位缴纳失业保险费累计{months_paid}个月，不满一年，不能申领失业保险金"
            "（《失业保险条例》第十四条）。",
        )
    return EligibilityVerdict(True)


def pension_claim(person: PersonRecord | None, months_paid: int, on: date) -> EligibilityVerdict:
    if person is None:
        return EligibilityVerdict(False, NOT_FOUND)
    if person.status is PersonStatus.RETIRED:
        return EligibilityVerdict(False, "您已在按月领取基本养老金，不需要再申领。")
    due = retirement_date(person.birth_date, person.gender)
    if on < due:
        return EligibilityVerdict(
            False,
            f"您将于{due.year}年{due.month}月达到法定退休年龄，届时才能申领基本养老金（《社会保险法》第十六条）。",
        )
    if months_paid < MIN_PENSION_MONTHS:
        years, months = divmod(months_paid, 12)
        return EligibilityVerdict(
            False,
            f"您累计缴费{years}年{months}个月，不足15年，现在还不能按月领取基本养老金；可以继续缴费至满15年后申领"
            "（《社会保险法》第十六条）。",
        )
    return EligibilityVerdict(True)
