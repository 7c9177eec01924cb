"""Legal time limits in working days (gateway.workdays) on the Chinese public-holiday calendar.

Expected dates are counted by hand from the State Council's notices, not computed with chinesecalendar:
- 2026 (国办发明电〔2025〕7号): Spring Festival off Sun 2026-02-15 to Mon 2026-02-23, work on Sat 02-14 and
  Sat 02-28.
- 2025 (国办发明电〔2024〕12号): National Day and Mid-Autumn off Wed 2025-10-01 to Wed 2025-10-08, work on
  Sun 09-28 and Sat 10-11.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from gateway.workdays import (
    DEFAULT_SCHEDULE_PATH,
    CalendarSource,
    DueDate,
    LegalLimit,
    ScheduleError,
    WorkCalendar,
    add_working_days,
    expand_dates,
    legal_due_date,
    load_schedule_file,
    write_year,
)


@pytest.fixture
def calendar() -> WorkCalendar:
    """chinesecalendar only: no operator years, whatever the shipped file holds."""
    return WorkCalendar(schedule_path=None)


def _fake_2027(path: Path) -> Path:
    # FAKE schedule for tests only — the real 2027 notice is not known here.
    path.write_text(
        "years:\n"
        "  2027:\n"
        '    source: "测试用，非真实安排"\n'
        "    holidays:\n"
        "      - 2027-01-01\n"
        "      - 2027-01-04..2027-01-05\n"
        "    workdays: [2027-01-09]\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- counting rules


def test_day_of_receipt_does_not_count(calendar: WorkCalendar) -> None:
    # Received Mon 2026-03-02: working day 1 is Tue 03-03.
    assert add_working_days(date(2026, 3, 2), 1, calendar) == DueDate(date(2026, 3, 3), False, ())
    # Received Fri 2026-03-06: 1 → Mon 03-09 (the weekend is skipped).
    assert add_working_days(date(2026, 3, 6), 1, calendar).date == date(2026, 3, 9)
    # Received on a Saturday (online): Mon 03-09 is still working day 1.
    assert add_working_days(date(2026, 3, 7), 1, calendar).date == date(2026, 3, 9)


def test_zero_and_negative(calendar: WorkCalendar) -> None:
    assert add_working_days(date(2026, 2, 15), 0, calendar) == DueDate(date(2026, 2, 15), False, ())
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 2), -1, calendar)
    with pytest.raises(TypeError):
        add_working_days(date(2026, 3, 2), 1.5, calendar)  # type: ignore[arg-type]


def test_datetime_start_is_taken_as_its_date(calendar: WorkCalendar) -> None:
    due = add_working_days(datetime(2026, 3, 2, 16, 30), 1, calendar)
    assert due.date == date(2026, 3, 3) and type(due.date) is date


# ---------------------------------------------------------------- Spring Festival 2026


def test_spring_festival_2026_days(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(date(2026, 2, 14)) is True  # Saturday, adjusted working day
    assert calendar.is_working_day(date(2026, 2, 16)) is False  # Monday, holiday
    assert calendar.is_working_day(date(2026, 2, 23)) is False  # Monday, last day off
    assert calendar.is_working_day(date(2026, 2, 24)) is True
    assert calendar.is_working_day(date(2026, 2, 28)) is True  # Saturday, adjusted working day
    assert calendar.is_working_day(date(2026, 3, 1)) is False  # plain Sunday


def test_spring_festival_2026_single_days(calendar: WorkCalendar) -> None:
    # Fri 02-13 → 1: Sat 02-14 (adjusted working day).
    assert add_working_days(date(2026, 2, 13), 1, calendar).date == date(2026, 2, 14)
    # Sat 02-14 → 02-15..02-23 off → 1: Tue 02-24.
    assert add_working_days(date(2026, 2, 14), 1, calendar).date == date(2026, 2, 24)


def test_spring_festival_2026_ten_days(calendar: WorkCalendar) -> None:
    # Art. 24 (unemployment benefit, 10 working days), received Tue 2026-02-10:
    # 02-11 (1), 02-12 (2), 02-13 (3), Sat 02-14 (4), 02-15..02-23 off, 02-24 (5), 02-25 (6), 02-26 (7),
    # 02-27 (8), Sat 02-28 (9), Sun 03-01 off, Mon 03-02 (10).
    due = legal_due_date(LegalLimit.UNEMPLOYMENT_BENEFIT, date(2026, 2, 10), calendar)
    assert due == DueDate(date(2026, 3, 2), False, ())


def test_spring_festival_2026_twenty_days(calendar: WorkCalendar) -> None:
    # Art. 18 (pension claim, 20 working days), received Thu 2026-02-05:
    # 02-06 (1), 02-09..02-13 (2–6), Sat 02-14 (7), 02-15..02-23 off, 02-24..02-27 (8–11), Sat 02-28 (12),
    # 03-02..03-06 (13–17), 03-09 (18), 03-10 (19), 03-11 (20).
    assert legal_due_date(LegalLimit.PENSION_CLAIM, date(2026, 2, 5), calendar).date == date(2026, 3, 11)


# ---------------------------------------------------------------- National Day 2025


def test_national_day_2025(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(date(2025, 9, 28)) is True  # Sunday, adjusted working day
    assert calendar.is_working_day(date(2025, 10, 8)) is False  # Wednesday, last day off
    assert calendar.is_working_day(date(2025, 10, 11)) is True  # Saturday, adjusted working day
    # Tue 09-30 → 10-01..10-08 off → 1: Thu 10-09.
    assert add_working_days(date(2025, 9, 30), 1, calendar).date == date(2025, 10, 9)
    # Received Fri 2025-09-26, 10 working days: Sat 09-27 off, Sun 09-28 (1), 09-29 (2), 09-30 (3),
    # 10-01..10-08 off, 10-09 (4), 10-10 (5), Sat 10-11 (6), Sun 10-12 off, 10-13 (7), 10-14 (8), 10-15 (9),
    # 10-16 (10).
    assert add_working_days(date(2025, 9, 26), 10, calendar) == DueDate(date(2025, 10, 16), False, ())


# ---------------------------------------------------------------- into a year nobody has loaded


def test_twenty_days_from_2026_11_23_stays_in_2026(calendar: WorkCalendar) -> None:
    # Mon 2026-11-23, 20 working days: 11-24..11-27 (1–4), 11-30..12-04 (5–9), 12-07..12-11 (10–14),
    # 12-14..12-18 (15–19), Mon 12-21 (20). Four weeks: it does not reach 2027.
    assert add_working_days(date(2026, 11, 23), 20, calendar) == DueDate(date(2026, 12, 21), False, ())


def test_thirty_days_from_2026_11_23_is_provisional(calendar: WorkCalendar) -> None:
    # Art. 20 (manual medical reimbursement, 30 working days), received Mon 2026-11-23: … Mon 12-21 (20),
    # 12-22..12-25 (21–24), 12-28..12-31 (25–28), then 2027, weekends only: Fri 01-01 (29), Mon 01-04 (30).
    due = legal_due_date(LegalLimit.MEDICAL_REIMBURSEMENT, date(2026, 11, 23), calendar)
    assert due == DueDate(date(2027, 1, 4), True, (2027,))
    assert due.as_dict() == {"date": "2027-01-04", "provisional": True, "unknown_years": [2027]}


def test_twenty_days_running_into_2027_is_provisional(calendar: WorkCalendar) -> None:
    # Thu 2026-12-10, 20 working days: 12-11 (1), 12-14..12-18 (2–6), 12-21..12-25 (7–11),
    # 12-28..12-31 (12–15), then weekends only: Fri 01-01 (16), Mon 01-04..Thu 01-07 (17–20).
    assert add_working_days(date(2026, 12, 10), 20, calendar) == DueDate(date(2027, 1, 7), True, (2027,))
    assert calendar.knows_year(2026) and not calendar.knows_year(2027)
    assert calendar.is_working_day(date(2027, 1, 4)) is None
    assert calendar.source_of(date(2027, 1, 4)) is CalendarSource.WEEKENDS_ONLY


def test_operator_schedule_makes_2027_known_and_shifts_the_date(tmp_path: Path) -> None:
    cal = WorkCalendar(_fake_2027(tmp_path / "holidays.yaml"))
    assert cal.knows_year(2027) and cal.operator_years == (2027,)
    assert cal.last_known_year() == 2027
    # Thu 2026-12-10, 20 working days with the fake 2027: … 12-28..12-31 (12–15), Fri 01-01 off,
    # Sat 01-02 and Sun 01-03 off, Mon 01-04 and Tue 01-05 off, 01-06 (16), 01-07 (17), 01-08 (18),
    # Sat 01-09 adjusted working day (19), Sun 01-10 off, Mon 01-11 (20).
    assert add_working_days(date(2026, 12, 10), 20, cal) == DueDate(date(2027, 1, 11), False, ())
    assert cal.source_of(date(2027, 3, 1)) is CalendarSource.OPERATOR


def test_load_notice_adds_a_year(calendar: WorkCalendar) -> None:
    calendar.load_notice(2027, ["2027-01-01"], [])
    # Thu 2026-12-31 → Fri 01-01 off → 1: Mon 2027-01-04, no longer provisional.
    assert add_working_days(date(2026, 12, 31), 1, calendar) == DueDate(date(2027, 1, 4), False, ())


def test_operator_year_wins_over_chinesecalendar(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(date(2026, 2, 16)) is False
    # An operator correction for 2026 that (hypothetically) lists only New Year's Day replaces the package's
    # year: Monday 02-16 becomes a working day and Saturday 02-14 a plain weekend again.
    calendar.load_notice(2026, [date(2026, 1, 1)], [])
    assert calendar.is_working_day(date(2026, 2, 16)) is True
    assert calendar.is_working_day(date(2026, 2, 14)) is False
    assert calendar.source_of(date(2026, 2, 16)) is CalendarSource.OPERATOR


def test_notice_may_touch_the_previous_december(calendar: WorkCalendar) -> None:
    # Like the 2012 notice moving work to Sat 2011-12-31: a date in the December before is accepted and
    # overrides that day even though it belongs to another year.
    calendar.load_notice(2027, ["2027-01-01"], ["2026-12-26"])
    assert calendar.is_working_day(date(2026, 12, 26)) is True  # a Saturday


def test_years_before_the_package_are_weekends_only(calendar: WorkCalendar) -> None:
    # 2003 predates chinesecalendar's data: Wed 2003-10-01 counts as a working day, provisionally.
    assert add_working_days(date(2003, 9, 30), 1, calendar) == DueDate(date(2003, 10, 1), True, (2003,))


# ---------------------------------------------------------------- the schedule file


def test_shipped_schedule_file_loads_and_invents_nothing() -> None:
    schedules = load_schedule_file(DEFAULT_SCHEDULE_PATH)
    assert 2027 not in schedules  # only from the State Council's notice, never guessed
    assert WorkCalendar().knows_year(2026)


@pytest.mark.parametrize(
    ("body", "zh", "en"),
    [
        ("years:\n  2099:\n    holidays: [2099-02-30]\n", "2099-02-30", "malformed date"),
        ("years:\n  2099:\n    holidays: [2099/01/01]\n", "格式不正确", "malformed date"),
        (
            "years:\n  2099:\n    holidays: [2099-01-01, 2099-01-03]\n    workdays: [2099-01-03]\n",
            "同时列为放假日和调休上班日",
            "both as holiday and as workday",
        ),
        (
            "years:\n  2099:\n    holidays: [2099-01-01]\n    workdays: [2099-01-05]\n",
            "周六或周日",
            "weekday",
        ),
        ("years:\n  2099:\n    holidays: [2098-06-01]\n", "不属于该年", "outside that year"),
        ("years:\n  2099:\n    holidays: []\n", "没有列出任何放假日期", "no holidays"),
        ("years:\n  2099:\n    holiday: [2099-01-01]\n", "未知的键", "unknown keys"),
        ("years:\n  2099:\n    holidays: [2099-01-05..2099-01-01]\n", "区间", "bad date range"),
        ("years: [2099]\n", "映射", "mapping"),
        ("yearz: {}\n", "years", "'years'"),
        ("years: {2099: {holidays: [2099-01-01]\n", "YAML", "not valid YAML"),
    ],
)
def test_malformed_schedule_file(tmp_path: Path, body: str, zh: str, en: str) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScheduleError) as info:
        load_schedule_file(path)
    assert zh in info.value.message_zh
    assert en in info.value.message_en
    assert str(path) in str(info.value)
    with pytest.raises(ScheduleError):
        WorkCalendar(path)


def test_conflict_across_years(tmp_path: Path) -> None:
    # Sat 2099-12-26 is a holiday in 2099's notice and a working day in 2100's: the notices disagree.
    path = tmp_path / "holidays.yaml"
    path.write_text(
        "years:\n"
        "  2099:\n    holidays: [2099-01-01, 2099-12-26]\n"
        "  2100:\n    holidays: [2100-01-01]\n    workdays: [2099-12-26]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScheduleError, match="2099-12-26") as info:
        load_schedule_file(path)
    assert "相互矛盾" in info.value.message_zh


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="not found"):
        load_schedule_file(tmp_path / "nope.yaml")


def test_load_notice_validates(calendar: WorkCalendar) -> None:
    with pytest.raises(ScheduleError, match="2027-02-29"):
        calendar.load_notice(2027, ["2027-02-29"], [])  # 2027 is not a leap year
    assert not calendar.knows_year(2027)


def test_write_year_round_trip_sorted_and_keeps_the_header(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text("# our own header\n# second line\n\nyears: {}\n", encoding="utf-8")
    write_year(path, 2100, ["2100-01-01", "2100-02-10..2100-02-12"], ["2100-02-06"], source="测试")
    write_year(path, 2099, [date(2099, 1, 1)], [])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# our own header\n# second line\n")
    assert text.index("2099:") < text.index("2100:")
    assert "- 2100-02-10..2100-02-12  # 周三至周五，共3天" in text
    assert "- 2100-02-06  # 周六" in text
    schedules = load_schedule_file(path)
    assert sorted(schedules) == [2099, 2100]
    assert schedules[2100].holidays == {
        date(2100, 1, 1),
        date(2100, 2, 10),
        date(2100, 2, 11),
        date(2100, 2, 12),
    }
    assert schedules[2100].workdays == {date(2100, 2, 6)}
    assert schedules[2100].source == "测试"
    # Saving a year again replaces it.
    write_year(path, 2100, ["2100-01-01"], [])
    assert load_schedule_file(path)[2100].workdays == frozenset()


def test_write_year_new_file_gets_the_default_header(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "holidays.yaml"
    write_year(path, 2099, ["2099-01-01"], [])
    assert path.read_text(encoding="utf-8").startswith("# 法定节假日安排")
    assert WorkCalendar(path).knows_year(2099)


def test_write_year_refuses_bad_input_and_leaves_the_file(tmp_path: Path) -> None:
    path = _fake_2027(tmp_path / "holidays.yaml")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ScheduleError, match="both as holiday"):
        write_year(path, 2028, ["2028-01-01"], ["2028-01-01"])
    assert path.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["holidays.yaml"]  # no temp file left behind


def test_expand_dates() -> None:
    assert expand_dates("2027-01-03, 2027-01-01..2027-01-02") == [
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 1, 3),
    ]
    with pytest.raises(ScheduleError):
        expand_dates("2027-13-01")


def test_legal_limits_match_the_regulation() -> None:
    days = {limit.article: set() for limit in LegalLimit}
    for limit in LegalLimit:
        days[limit.article].add(limit.days)
    # Regulation Art. 6, 10: 10; Art. 18: 20; Art. 20: 30 and 10; Art. 22: 20; Art. 24: 10; Art. 25: 20.
    assert days == {6: {10}, 10: {10}, 18: {20}, 20: {30, 10}, 22: {20}, 24: {10}, 25: {20}}
