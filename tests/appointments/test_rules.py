"""Unit tests of the booking rules: the bookable window, holidays, cut-offs, no-show suspension."""

from __future__ import annotations

from datetime import date, datetime, time

from gateway.appointments import rules
from gateway.workdays import WorkCalendar

CAL = WorkCalendar(None)  # chinesecalendar only: no operator file


def test_window_starts_tomorrow_and_spans_one_week():
    # LD/T 01 5.1 a: today is day 1; bookable from day 2, for one week.
    days = rules.bookable_days(datetime(2026, 11, 23, 10, 0))
    assert days[0] == date(2026, 11, 24)
    assert days[-1] == date(2026, 11, 30)
    assert len(days) == 7


def test_window_edges_at_midnight():
    before = rules.bookable_days(datetime(2026, 11, 23, 23, 59, 59))
    after = rules.bookable_days(datetime(2026, 11, 24, 0, 0))
    assert (before[0], before[-1]) == (date(2026, 11, 24), date(2026, 11, 30))
    assert (after[0], after[-1]) == (date(2026, 11, 25), date(2026, 12, 1))
    assert date(2026, 11, 24) not in after  # "tomorrow" at 23:59 is "today" at 00:00


def test_no_slots_on_national_day_but_on_adjusted_working_weekend():
    assert not rules.hall_open_on(date(2025, 10, 1), CAL, set())  # National Day
    assert not rules.hall_open_on(date(2025, 10, 8), CAL, set())  # last day of the 2025 holiday (a Wednesday)
    assert rules.hall_open_on(date(2025, 9, 28), CAL, set())  # a Sunday worked in lieu
    assert rules.hall_open_on(date(2025, 10, 9), CAL, set())
    assert not rules.hall_open_on(date(2026, 11, 28), CAL, set())  # an ordinary Saturday


def test_one_off_closure_and_unknown_year():
    assert not rules.hall_open_on(date(2026, 11, 24), CAL, {date(2026, 11, 24)})
    # 2027 is not loaded: weekdays open, weekends closed.
    assert rules.hall_open_on(date(2027, 3, 1), CAL, set())
    assert not rules.hall_open_on(date(2027, 3, 6), CAL, set())


def test_cancel_cutoff_is_one_hour_before():
    day, start = date(2026, 11, 24), time(9, 30)
    assert rules.can_cancel(day, start, datetime(2026, 11, 24, 8, 30))
    assert not rules.can_cancel(day, start, datetime(2026, 11, 24, 8, 30, 1))


def test_slot_started_and_check_in_window():
    day, start = date(2026, 11, 24), time(9, 30)
    assert not rules.slot_started(day, start, datetime(2026, 11, 24, 9, 29))
    assert rules.slot_started(day, start, datetime(2026, 11, 24, 9, 30))
    assert not rules.in_check_in_window(day, start, datetime(2026, 11, 24, 8, 59))
    assert rules.in_check_in_window(day, start, datetime(2026, 11, 24, 9, 0))
    assert rules.in_check_in_window(day, start, datetime(2026, 11, 24, 10, 0))
    assert not rules.in_check_in_window(day, start, datetime(2026, 11, 24, 10, 1))


def test_three_no_shows_in_ninety_days_suspend_for_thirty_days():
    shows = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 2)]
    stop = rules.suspension(shows, date(2026, 11, 23))
    assert stop is not None and stop.until == date(2026, 12, 1) and stop.no_shows == 3
    assert "2026年12月01日" in stop.message
    assert rules.suspension(shows, date(2026, 12, 2)) is None  # served
    assert rules.suspension(shows[:2], date(2026, 11, 23)) is None  # two are not enough
    # One of the three is older than 90 days: no suspension.
    assert rules.suspension([date(2026, 8, 1), *shows[1:]], date(2026, 11, 23)) is None


def test_slot_times_split_a_session():
    assert rules.slot_times(time(9), time(10, 15), 30) == [(time(9), time(9, 30)), (time(9, 30), time(10))]
