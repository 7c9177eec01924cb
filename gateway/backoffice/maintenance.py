"""Announced maintenance windows of the core system (LD/T 01 6.4.5, 6.5.3: the public is told ahead of time, and
during the window the affected actions are refused politely with the time service resumes).

Staff with the admin role announce a window in the hotline console; every channel shows the coming and current
windows (web banner, kiosk, ``GET /api/v1/service-status``), and during a window the back-office adapter
(:mod:`gateway.backoffice.resilient`) calls nothing: queries show the last known data, the rest is refused.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway import clock
from gateway.db import Base, UtcDateTime
from gateway.problems import UserError

__all__ = [
    "NOTICE_AHEAD",
    "MaintenanceWindow",
    "WindowView",
    "active",
    "announce",
    "cancel",
    "closed_message",
    "upcoming",
]

#: How far ahead a window is shown on every channel.
NOTICE_AHEAD = timedelta(days=7)
MAX_NOTE = 200
#: How long a node trusts its last reading of the windows (seconds). A page asks the core system several things
#: and shows the banner: one reading serves them all instead of one query each (issue 18's query budget).
#: Announcing or cancelling on this node forgets the reading at once; other nodes see it within this time.
READ_AGAIN_AFTER_S = 5.0

_readings: dict[URL, tuple[float, datetime, tuple[WindowView, ...]]] = {}  # database → (when, as of, windows)
_readings_lock = threading.Lock()


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    note: Mapped[str] = mapped_column(String(MAX_NOTE))
    announced_by: Mapped[int] = mapped_column(Integer)  # staff id
    announced_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


@dataclass(frozen=True)
class WindowView:
    """A window as every channel shows it: times in Beijing time."""

    id: int
    starts_at: datetime
    ends_at: datetime
    note: str
    current: bool

    @property
    def starts_label(self) -> str:
        return clock.format_beijing(self.starts_at)

    @property
    def ends_label(self) -> str:
        return clock.format_beijing(self.ends_at)

    @property
    def text(self) -> str:
        if self.current:
            head = (
                f"核心业务系统正在维护，预计北京时间 {self.ends_label} 恢复，"
                "期间部分业务暂停办理，查询显示维护前的信息。"
            )
        else:
            head = f"核心业务系统将于北京时间 {self.starts_label} 至 {self.ends_label} 维护，期间部分业务暂停办理。"
        return f"{head}{self.note}" if self.note else head

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "starts_at": clock.api_local(self.starts_at),
            "ends_at": clock.api_local(self.ends_at),
            "current": self.current,
            "message": self.text,
        }


def _view(w: MaintenanceWindow, now: datetime) -> WindowView:
    return WindowView(w.id, w.starts_at, w.ends_at, w.note, w.starts_at <= now < w.ends_at)


def announce(
    session: Session, *, starts_at: datetime, ends_at: datetime, note: str, staff_id: int, now: datetime
) -> WindowView:
    """Record a window (times as instants; naive values are Beijing wall-clock time)."""
    starts_at, ends_at, now = clock.utc(starts_at), clock.utc(ends_at), clock.utc(now)
    note = (note or "").strip()
    if ends_at <= starts_at:
        raise UserError("bad_window", "结束时间必须晚于开始时间。")
    if ends_at <= now:
        raise UserError("bad_window", "结束时间已过，无需公告。")
    if ends_at - starts_at > timedelta(days=3):
        raise UserError("bad_window", "一次维护不应超过3天，请分段公告。")
    if len(note) > MAX_NOTE:
        raise UserError("bad_window", f"说明不能超过{MAX_NOTE}个字。")
    w = MaintenanceWindow(starts_at=starts_at, ends_at=ends_at, note=note, announced_by=staff_id, announced_at=now)
    session.add(w)
    session.flush()
    _forget_readings()
    return _view(w, now)


def cancel(session: Session, window_id: int, now: datetime) -> bool:
    w = session.get(MaintenanceWindow, window_id)
    if w is None or w.cancelled_at is not None:
        return False
    w.cancelled_at = clock.utc(now)
    session.flush()
    _forget_readings()
    return True


def _forget_readings() -> None:
    with _readings_lock:
        _readings.clear()


def _not_ended(session: Session, now: datetime) -> tuple[WindowView, ...]:
    """Every announced window not ended at ``now``, from this node's reading when it is fresh enough."""
    # The URL itself as the key (it hashes its parts): rendering it as a string quoted the database's path on
    # every page, a tenth of a light page's time (issue 18).
    key = session.get_bind().url
    with _readings_lock:
        reading = _readings.get(key)
    if reading is not None and time.monotonic() - reading[0] < READ_AGAIN_AFTER_S and reading[1] <= now:
        return reading[2]
    rows = session.scalars(
        select(MaintenanceWindow)
        .where(MaintenanceWindow.cancelled_at.is_(None), MaintenanceWindow.ends_at > now)
        .order_by(MaintenanceWindow.starts_at)
    ).all()
    windows = tuple(_view(w, now) for w in rows)
    with _readings_lock:
        _readings[key] = (time.monotonic(), now, windows)
    return windows


def upcoming(session: Session, now: datetime, ahead: timedelta = NOTICE_AHEAD) -> list[WindowView]:
    """Windows now running or starting within ``ahead``, soonest first."""
    now = clock.utc(now)
    return [
        WindowView(w.id, w.starts_at, w.ends_at, w.note, w.starts_at <= now < w.ends_at)
        for w in _not_ended(session, now)
        if w.ends_at > now and w.starts_at <= now + ahead
    ]


def active(session: Session, now: datetime) -> WindowView | None:
    """The window running now, if any (the one ending last, when windows overlap)."""
    current = [w for w in upcoming(session, now, timedelta(0)) if w.current]
    return max(current, key=lambda w: w.ends_at) if current else None


def closed_message(window: WindowView) -> str:
    return (
        f"核心业务系统正在维护，此项业务暂停办理，预计北京时间 {window.ends_label} 恢复，请届时再试。"
        "查询类业务可查看维护前的信息；如有急事请拨打 12333。"
    )
