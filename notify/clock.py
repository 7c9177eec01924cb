"""Time for the push platform: rows hold naive UTC; people and quiet hours live in the agency's zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

AGENCY_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now as naive UTC (how the outbox stores times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc(value: datetime) -> datetime:
    """Naive UTC for ``value``; a naive input is agency local time (how appointment slots are stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=AGENCY_TZ)
    return value.astimezone(UTC).replace(tzinfo=None)


def to_local(value: datetime, tz: ZoneInfo = AGENCY_TZ) -> datetime:
    """A naive UTC time from the outbox as naive local time, for display."""
    return value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


class QuietHours:
    """A nightly window in which non-urgent SMS wait (default 21:00–08:00, may wrap past midnight)."""

    def __init__(self, spec: str = "21:00-08:00", tz: ZoneInfo = AGENCY_TZ) -> None:
        self.spec = spec.strip()
        self.tz = tz
        if not self.spec or self.spec.lower() == "off":
            self.start = self.end = None
            return
        try:
            start, end = (time.fromisoformat(p.strip()) for p in self.spec.split("-"))
        except ValueError:
            raise ValueError(f"quiet hours must look like 21:00-08:00, got {spec!r}") from None
        self.start, self.end = start, end

    def __repr__(self) -> str:
        return f"QuietHours({self.spec!r})"

    def release_time(self, now_utc: datetime) -> datetime | None:
        """If ``now_utc`` is inside the window, the naive-UTC moment it ends; otherwise None."""
        if self.start is None or self.start == self.end:
            return None
        local = now_utc.replace(tzinfo=UTC).astimezone(self.tz)
        t = local.time().replace(tzinfo=None)
        wraps = self.start > self.end
        inside = (t >= self.start or t < self.end) if wraps else (self.start <= t < self.end)
        if not inside:
            return None
        day = local.date()
        if wraps and t >= self.start:
            day += timedelta(days=1)
        end_local = datetime.combine(day, self.end, tzinfo=self.tz)
        return end_local.astimezone(UTC).replace(tzinfo=None)
