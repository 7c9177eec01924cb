"""The halls as the public sees them (LD/T 01 5.6.1: addresses, hours and phone numbers of the service halls): the
items each serves, the days ahead that differ from its usual hours — public holidays and adjusted working days
from the working-day calendar, one-off closures from the operator's schedule — and today's queue figures from the
real appointment records. The same data feeds the web page and the API (mini-program, kiosk)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.appointments import rules
from gateway.appointments.models import Booking, BookingStatus, Closure, Hall, HallItem, Slot, SlotTemplate
from gateway.catalog import load_catalog
from gateway.workdays import WorkCalendar, default_calendar

#: How far ahead the changes to the usual hours are listed.
LOOKAHEAD_DAYS = 14
#: How many past weeks give the "usual" number of arrivals at this hour on this weekday.
USUAL_WEEKS = 4


class DayChangeKind(enum.StrEnum):
    """Why a day differs from the hall's usual weekly hours."""

    HOLIDAY = "holiday"  # a public holiday (or its bridging day) on a usual opening day
    CLOSURE = "closure"  # a one-off closure set by the operator
    WORKING_WEEKEND = "working_weekend"  # an adjusted working weekend day

    @property
    def label(self) -> str:
        """Chinese name shown to people."""
        return {"holiday": "法定节假日休息", "closure": "临时闭厅", "working_weekend": "调休上班"}[self.value]


@dataclass(frozen=True)
class DayChange:
    day: date
    kind: DayChangeKind
    note: str


@dataclass(frozen=True)
class QueueFigures:
    """Today's arrivals at a hall from its bookings (people who came without a booking are not counted)."""

    checked_in_today: int  # booked people who have checked in so far today
    waiting_now: int  # of those, whose slot has not ended yet: still waiting or being served
    still_expected_today: int  # booked for later today, not yet checked in
    usual_this_hour: float  # mean check-ins in this clock hour on this weekday over the past USUAL_WEEKS weeks


@dataclass(frozen=True)
class HallInfo:
    hall: Hall
    item_names: tuple[str, ...]
    changes: tuple[DayChange, ...]
    open_today: bool
    queue: QueueFigures


def day_changes(
    weekdays_open: set[int], closures: dict[date, str], start: date, days: int, calendar: WorkCalendar
) -> list[DayChange]:
    """The days from ``start`` (``days`` of them) that differ from a hall's usual weekly opening days."""
    out = []
    for n in range(days):
        day = start + timedelta(days=n)
        if day in closures:
            out.append(DayChange(day, DayChangeKind.CLOSURE, closures[day]))
            continue
        working = calendar.is_working_day(day)
        if working is None:  # a year nobody has loaded: the usual week applies
            continue
        if day.weekday() in weekdays_open and not working:
            out.append(DayChange(day, DayChangeKind.HOLIDAY, "休息"))
        elif day.weekday() >= 5 and working:
            out.append(DayChange(day, DayChangeKind.WORKING_WEEKEND, "按工作日时间开放"))
    return out


def queue_figures(session: Session, hall_id: int, now: datetime) -> QueueFigures:
    """Today's queue at a hall from its bookings; ``now`` is an instant (a naive value is Beijing wall time)."""
    wall = clock.wall(now)
    today = wall.date()
    rows = session.execute(
        select(Booking.status, Slot.start, Slot.end)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.hall_id == hall_id, Slot.day == today, Booking.status != BookingStatus.CANCELLED)
    ).all()
    checked = [r for r in rows if r.status is BookingStatus.CHECKED_IN]
    waiting = [r for r in checked if r.end > wall.time()]
    expected = [r for r in rows if r.status is BookingStatus.BOOKED and r.start >= wall.time()]
    past_days = [today - timedelta(weeks=w) for w in range(1, USUAL_WEEKS + 1)]
    arrivals = session.execute(
        select(Booking.checked_in_at)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.hall_id == hall_id, Slot.day.in_(past_days), Booking.checked_in_at.is_not(None))
    ).scalars()
    this_hour = sum(1 for at in arrivals if clock.beijing(at).hour == wall.hour)
    return QueueFigures(len(checked), len(waiting), len(expected), round(this_hour / USUAL_WEEKS, 1))


def overview(session: Session, now: datetime, calendar: WorkCalendar | None = None) -> list[HallInfo]:
    """Every hall with what the public needs to know before going there."""
    calendar = calendar or default_calendar()
    wall = clock.wall(now)
    today = wall.date()
    catalog = load_catalog()
    out = []
    for hall in session.scalars(select(Hall).order_by(Hall.code)):
        served = set(session.scalars(select(HallItem.item_id).where(HallItem.hall_id == hall.id)))
        names = tuple(item.name for item in catalog.items if item.id in served)
        weekdays = set(session.scalars(select(SlotTemplate.weekday).where(SlotTemplate.hall_id == hall.id)))
        closures = dict(
            session.execute(
                select(Closure.day, Closure.reason).where(
                    Closure.hall_id == hall.id,
                    Closure.day >= today,
                    Closure.day < today + timedelta(days=LOOKAHEAD_DAYS),
                )
            ).all()
        )
        changes = day_changes(weekdays, closures, today, LOOKAHEAD_DAYS, calendar)
        open_today = rules.hall_open_on(today, calendar, set(closures))
        out.append(HallInfo(hall, names, tuple(changes), open_today, queue_figures(session, hall.id, now)))
    return out
