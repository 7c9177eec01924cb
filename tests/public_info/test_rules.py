"""The rules of evaluation and the halls' public view, without a database (LD/T 01 5.6.1, 7)."""

from __future__ import annotations

from datetime import date

from gateway.catalog import Channel, HandlingKind, load_catalog
from gateway.public_info import evaluation
from gateway.public_info.halls import DayChangeKind, day_changes
from gateway.public_info.models import Rating


class FakeCalendar:
    """Working days: weekdays, minus ``holidays``, plus ``workdays``."""

    def __init__(self, holidays=(), workdays=()):
        self.holidays, self.workdays = set(holidays), set(workdays)

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


def test_every_missing_rating_is_reported_at_once():
    _scores, problems = evaluation.parse_scores({"ease": "4"})
    assert [field for field, _message in problems] == ["completeness", "timeliness", "satisfaction"]


def test_a_rating_outside_the_five_levels_is_refused():
    _scores, problems = evaluation.parse_scores(
        {"completeness": "6", "ease": "0", "timeliness": "５", "satisfaction": "3"}
    )
    assert [field for field, _message in problems] == ["completeness", "ease", "timeliness"]


def test_dissatisfied_or_worse_is_a_bad_rating():
    # LD/T 01 7 and the national 好差评 scale: 不满意 and 非常不满意 are 差评.
    assert [r.label for r in Rating if r.bad] == ["非常不满意", "不满意"]


def test_month_parsing_refuses_a_future_month_and_other_shapes():
    today = date(2026, 12, 4)
    assert evaluation.parse_month("2026-11", today) == date(2026, 11, 1)
    assert evaluation.parse_month(None, today) == date(2026, 12, 1)
    assert evaluation.parse_month("2027-01", today) is None
    assert evaluation.parse_month("2026-13", today) is None
    assert evaluation.parse_month("２０２６-11", today) is None


def test_a_month_is_a_beijing_calendar_month():
    start, end = evaluation.month_bounds(date(2026, 11, 1))
    assert (start.isoformat(), end.isoformat()) == ("2026-10-31T16:00:00+00:00", "2026-11-30T16:00:00+00:00")


def test_completeness_counts_the_items_a_channel_offers_without_a_window_visit():
    items = load_catalog().items
    web = next(c for c in evaluation.completeness() if c.channel is Channel.WEB)
    expected = [i for i in items if i.available_on(Channel.WEB) and i.handling_kind is not HandlingKind.APPOINTMENT]
    assert (web.online, web.total) == (len(expected), len(items))


def test_a_public_holiday_on_a_usual_opening_day_is_listed():
    calendar = FakeCalendar(holidays={date(2026, 10, 1)})
    changes = day_changes({0, 1, 2, 3, 4}, {}, date(2026, 9, 30), 2, calendar)
    assert [(c.day, c.kind) for c in changes] == [(date(2026, 10, 1), DayChangeKind.HOLIDAY)]


def test_an_adjusted_working_weekend_day_is_listed():
    calendar = FakeCalendar(workdays={date(2026, 10, 10)})
    changes = day_changes({0, 1, 2, 3, 4}, {}, date(2026, 10, 10), 2, calendar)
    assert [(c.day, c.kind) for c in changes] == [(date(2026, 10, 10), DayChangeKind.WORKING_WEEKEND)]


def test_an_operator_closure_is_listed_with_its_reason():
    changes = day_changes({0, 1, 2, 3, 4}, {date(2026, 11, 25): "设备检修"}, date(2026, 11, 24), 3, FakeCalendar())
    assert [(c.day, c.kind, c.note) for c in changes] == [(date(2026, 11, 25), DayChangeKind.CLOSURE, "设备检修")]
