"""The one clock of the gateway (DESIGN: times are stored as aware UTC and shown in Beijing time).

- :func:`now` — the current instant, an aware UTC datetime: what every table stores
  (:class:`gateway.db.UtcDateTime`) and what expiries, locks, retries and deadlines are compared with.
- :func:`local_now` — the agency's wall clock, a *naive* Beijing datetime: for rules written in wall-clock terms
  (a 9:00 slot is 9:00 in Beijing, "bookable from tomorrow", today's working day). Slots keep their ``day`` /
  ``start`` as plain ``Date`` / ``Time`` columns, and these rules compare with them.
- :func:`beijing` — an instant as aware Beijing time, for every edge a person sees: the ``|beijing`` Jinja filter
  (:func:`format_beijing`), the API's Beijing-local strings (:func:`api_local`), PDFs and messages.

One convention for a naive datetime handed to these helpers: it is Beijing wall-clock time (how the agency's
rules and its people speak). Nothing naive is ever stored: ``UtcDateTime`` refuses it.

Tests replace the clock of the whole process (web requests, services, the notify worker alike) with
``with set_clock(FixedClock(at)):`` or ``set_clock(ShiftedClock())``; there are no per-module clock hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "AGENCY_TZ",
    "BEIJING",
    "UTC",
    "Clock",
    "FixedClock",
    "ShiftedClock",
    "api_local",
    "beijing",
    "current",
    "format_beijing",
    "local_now",
    "now",
    "set_clock",
    "timestamp",
    "today",
    "utc",
    "wall",
]

BEIJING = ZoneInfo("Asia/Shanghai")
#: The agency's time zone (kept under its older name too).
AGENCY_TZ = BEIJING


class Clock:
    """Real time. Subclasses answer another ``now()``; everything else is derived from it."""

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        return datetime.now(UTC)

    def local_now(self) -> datetime:
        """The agency's wall clock now, naive Beijing time (for wall-clock rules)."""
        return wall(self.now())

    def today(self) -> date:
        """Today's date in Beijing."""
        return self.local_now().date()

    def timestamp(self) -> float:
        """Epoch seconds (for tokens and sessions that keep plain numbers)."""
        return self.now().timestamp()

    def __call__(self) -> datetime:
        return self.now()


class FixedClock(Clock):
    """A clock that stands still until the test moves it. ``at`` may be aware, or naive Beijing time."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = utc(at) if at is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._at

    @property
    def value(self) -> datetime:
        return self._at

    @value.setter
    def value(self, at: datetime) -> None:
        self._at = utc(at)

    def advance(self, seconds: float = 0, **delta: float) -> None:
        self._at += timedelta(seconds=seconds, **delta)


class ShiftedClock(Clock):
    """Real time moved by an offset the test sets: it keeps running, so rows stamped during the test stay in
    order, while retries, expiries and quiet hours are tested without sleeping."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @property
    def value(self) -> datetime:
        return self.now()

    @value.setter
    def value(self, at: datetime) -> None:
        self.offset = utc(at) - datetime.now(UTC)

    def advance(self, seconds: float = 0, **delta: float) -> None:
        self.offset += timedelta(seconds=seconds, **delta)


_REAL = Clock()
_current: Clock = _REAL
_lock = threading.Lock()


def current() -> Clock:
    """The clock in force (the real one unless a test set another)."""
    return _current


@contextmanager
def set_clock(clock: Clock | None) -> Iterator[Clock]:
    """Use ``clock`` for the whole process inside the ``with`` block (``None``: the real clock)."""
    global _current
    with _lock:
        before, _current = _current, clock or _REAL
    try:
        yield _current
    finally:
        with _lock:
            _current = before


def now() -> datetime:
    """The current instant, aware UTC."""
    return _current.now()


def local_now() -> datetime:
    """The agency's wall clock now, naive Beijing time (slot windows, working days, today's date)."""
    return _current.local_now()


def today() -> date:
    """Today in Beijing."""
    return _current.today()


def timestamp() -> float:
    """Epoch seconds by the clock in force."""
    return _current.timestamp()


# ---------------------------------------------------------------- conversions


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC instant; a naive value is Beijing wall-clock time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(UTC)


def beijing(value: datetime) -> datetime:
    """``value`` as aware Beijing time, for people to read; a naive value already is Beijing time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=BEIJING)
    return value.astimezone(BEIJING)


def wall(value: datetime) -> datetime:
    """``value`` as naive Beijing wall-clock time, to compare with slot dates and times."""
    if value.tzinfo is None:
        return value
    return value.astimezone(BEIJING).replace(tzinfo=None)


def format_beijing(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M", default: str = "") -> str:
    """The ``|beijing`` filter: an instant in Beijing time. A plain date is printed as it is; a string is read as
    ISO 8601 (an instant another system handed us, e.g. a PDF's timestamp)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if value else None
    if value is None:
        return default
    if isinstance(value, datetime):
        value = beijing(value)
    return value.strftime(fmt)


def api_local(value: datetime | None, timespec: str = "auto") -> str | None:
    """The API's documented form of an instant: Beijing local time, ISO 8601 without an offset."""
    if value is None:
        return None
    return wall(value).isoformat(timespec=timespec)
