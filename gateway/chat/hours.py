"""When agents answer live chat: a window of Beijing wall-clock time on working days (the holiday calendar of
:mod:`gateway.workdays`, adjusted working weekends included) or on every day. Set by ``SHEBAO_CHAT_HOURS``:
``"workdays 08:30-17:30"`` (the default) or ``"daily 00:00-24:00"``."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, time

from gateway import clock
from gateway.workdays import default_calendar

DEFAULT_HOURS = "workdays 08:30-17:30"
_FORM = re.compile(r"^\s*(workdays|daily)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """A ``SHEBAO_CHAT_HOURS`` value that is not of the documented form."""


class Days(enum.StrEnum):
    WORKDAYS = "workdays"
    DAILY = "daily"

    @property
    def label(self) -> str:
        return {"workdays": "法定工作日", "daily": "每天"}[self.value]


@dataclass(frozen=True)
class ServiceHours:
    days: Days
    start: time
    #: ``None`` means the end of the day (24:00).
    end: time | None

    @classmethod
    def parse(cls, text: str | None) -> ServiceHours:
        match = _FORM.match(text or DEFAULT_HOURS)
        if not match:
            raise HoursError(f"SHEBAO_CHAT_HOURS={text!r}: expected e.g. 'workdays 08:30-17:30' or 'daily 00:00-24:00'")
        days, h1, m1, h2, m2 = match.groups()
        start_minutes, end_minutes = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
        if int(m1) > 59 or int(m2) > 59 or start_minutes >= end_minutes or end_minutes > 24 * 60:
            raise HoursError(f"SHEBAO_CHAT_HOURS={text!r}: the window must start before it ends, within one day")
        end = None if end_minutes == 24 * 60 else time(int(h2), int(m2))
        return cls(Days(days), time(int(h1), int(m1)), end)

    def is_open(self, at: datetime) -> bool:
        """Whether agents answer at the instant ``at`` (aware, or naive Beijing time)."""
        local = clock.wall(at)
        if self.days is Days.WORKDAYS:
            working = default_calendar().is_working_day(local.date())
            if working is None:  # a year nobody loaded yet: weekends only (gateway.workdays)
                working = local.weekday() < 5
            if not working:
                return False
        now = local.time()
        return self.start <= now and (self.end is None or now < self.end)

    @property
    def label(self) -> str:
        """For people: 法定工作日 8:30—17:30（北京时间）."""
        end = "24:00" if self.end is None else f"{self.end.hour}:{self.end.minute:02d}"
        return f"{self.days.label} {self.start.hour}:{self.start.minute:02d}—{end}（北京时间）"
