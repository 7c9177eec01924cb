"""The one clock: aware UTC instants, Beijing wall-clock time for rules, Beijing time for people, and a clock the
tests set for the whole process."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gateway import clock
from gateway.clock import BEIJING, FixedClock, ShiftedClock, set_clock

#: 16:30 UTC on 23 November is already 00:30 on the 24th in Beijing: the case a naive mix gets wrong.
LATE = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)


def test_a_fixed_clock_answers_for_the_whole_process_until_the_block_ends():
    with set_clock(FixedClock(LATE)) as fixed:
        assert clock.now() == LATE and clock.now().tzinfo is UTC
        assert clock.local_now() == datetime(2026, 11, 24, 0, 30)  # naive Beijing wall clock
        assert clock.today() == date(2026, 11, 24)
        assert clock.timestamp() == LATE.timestamp()
        fixed.advance(seconds=90)
        assert clock.now() == LATE + timedelta(seconds=90)
        fixed.value = datetime(2026, 11, 24, 9, 0)  # naive: Beijing time
        assert clock.now() == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_shifted_clock_keeps_running():
    with set_clock(ShiftedClock()) as shifted:
        shifted.value = LATE
        assert LATE <= clock.now() < LATE + timedelta(seconds=5)
        shifted.advance(3600)
        assert LATE + timedelta(hours=1) <= clock.now() < LATE + timedelta(hours=1, seconds=5)


def test_conversions_read_a_naive_value_as_beijing_time():
    naive = datetime(2026, 11, 24, 0, 30)
    assert clock.utc(naive) == LATE
    assert clock.utc(LATE.astimezone(BEIJING)) == LATE
    assert clock.wall(LATE) == naive and clock.wall(naive) == naive
    assert clock.beijing(LATE) == naive.replace(tzinfo=BEIJING)


def test_people_and_the_api_read_beijing_time():
    assert clock.format_beijing(LATE) == "2026-11-24 00:30"
    assert clock.format_beijing(LATE, "%Y年%m月%d日") == "2026年11月24日"
    assert clock.format_beijing(date(2026, 11, 23), "%Y-%m-%d") == "2026-11-23"  # a date is not moved
    assert clock.format_beijing(None, default="—") == "—"
    assert clock.format_beijing("2026-11-23T16:30:00+00:00", "%H:%M:%S") == "00:30:00"
    assert clock.api_local(LATE, "seconds") == "2026-11-24T00:30:00"
    assert clock.api_local(None) is None


def test_every_template_has_the_beijing_filter(app):
    page = app.jinja_env.from_string("{{ at | beijing }}|{{ none | beijing('%H:%M', '—') }}")
    assert page.render(at=LATE, none=None) == "2026-11-24 00:30|—"
