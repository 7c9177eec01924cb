"""The booking rules users expect, as plain functions of dates and times (no database, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from gateway.workdays import WorkCalendar

#: LD/T 01 5.1 a: bookable from "day 2" (today is day 1) for one week.
FIRST_BOOKABLE_DAY = 1  # days after today
BOOKING_HORIZON_DAYS = 7  # tomorrow … today + 7
MAX_ACTIVE_BOOKINGS = 3
CANCEL_CUTOFF = timedelta(hours=1)
NO_SHOW_LIMIT = 3
NO_SHOW_WINDOW = timedelta(days=90)
SUSPENSION = timedelta(days=30)
# Check-in opens a little before the slot and closes a little after it starts.
CHECK_IN_EARLY = timedelta(minutes=30)
CHECK_IN_LATE = timedelta(minutes=30)


def bookable_days(now: datetime) -> list[date]:
    """The dates a person may book at ``now``: from tomorrow up to one week ahead (LD/T 01 5.1 a)."""
    today = now.date()
    return [today + timedelta(days=d) for d in range(FIRST_BOOKABLE_DAY, BOOKING_HORIZON_DAYS + 1)]


def hall_open_on(day: date, calendar: WorkCalendar, closed_days: set[date]) -> bool:
    """Halls open on working days (public holidays and adjusted weekends from the calendar) unless closed."""
    if day in closed_days:
        return False
    working = calendar.is_working_day(day)
    if working is None:  # a year nobody has loaded: weekdays only, as the due-date rule does
        return day.weekday() < 5
    return working


def slot_started(day: date, start: time, now: datetime) -> bool:
    return datetime.combine(day, start) <= now


def can_cancel(day: date, start: time, now: datetime, cutoff: timedelta = CANCEL_CUTOFF) -> bool:
    """Cancellation is allowed until ``cutoff`` before the slot starts."""
    return now <= datetime.combine(day, start) - cutoff


def in_check_in_window(day: date, start: time, now: datetime) -> bool:
    begins = datetime.combine(day, start)
    return begins - CHECK_IN_EARLY <= now <= begins + CHECK_IN_LATE


@dataclass(frozen=True)
class Suspension:
    """Online booking is suspended until ``until`` (exclusive) because of repeated no-shows."""

    until: date
    no_shows: int

    @property
    def message(self) -> str:
        return (
            f"您在 90 天内有 {self.no_shows} 次预约未到，网上预约暂停至 {self.until:%Y年%m月%d日}"
            f"（含当日）。如有疑问请拨打 12333。"
        )


def suspension(no_show_days: list[date], today: date) -> Suspension | None:
    """Suspended for 30 days after the no-show that reached the limit within 90 days."""
    recent = sorted(d for d in no_show_days if today - d < NO_SHOW_WINDOW)
    if len(recent) < NO_SHOW_LIMIT:
        return None
    until = recent[NO_SHOW_LIMIT - 1] + SUSPENSION
    if today >= until:
        return None
    return Suspension(until=until - timedelta(days=1), no_shows=len(recent))


def slot_times(start: time, end: time, minutes: int) -> list[tuple[time, time]]:
    """Split ``start``–``end`` into slots of ``minutes`` (a last, shorter piece is dropped)."""
    out = []
    cursor = datetime.combine(date.min, start)
    stop = datetime.combine(date.min, end)
    step = timedelta(minutes=minutes)
    while cursor + step <= stop:
        out.append((cursor.time(), (cursor + step).time()))
        cursor += step
    return out
