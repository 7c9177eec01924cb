"""Quiet hours of the push platform. Time itself is the gateway's one clock (:mod:`gateway.clock`): rows hold
aware UTC, and the nightly window is read on the agency's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.clock import AGENCY_TZ, beijing


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

    def release_time(self, now: datetime) -> datetime | None:
        """If the instant ``now`` is inside the window, the instant (aware UTC) it ends; otherwise None."""
        if self.start is None or self.start == self.end:
            return None
        local = beijing(now).astimezone(self.tz)
        t = local.time().replace(tzinfo=None)
        wraps = self.start > self.end
        inside = (t >= self.start or t < self.end) if wraps else (self.start <= t < self.end)
        if not inside:
            return None
        day = local.date()
        if wraps and t >= self.start:
            day += timedelta(days=1)
        end_local = datetime.combine(day, self.end, tzinfo=self.tz)
        return end_local.astimezone(UTC)
