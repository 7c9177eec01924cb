"""The agency's local time. Everything about opening hours and slots is in China Standard Time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

AGENCY_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    """Now, as a naive datetime in the agency's time zone (how slot times are stored)."""
    return datetime.now(AGENCY_TZ).replace(tzinfo=None)
