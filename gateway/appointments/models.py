"""Tables of the appointment service. Capacity and uniqueness are enforced by the database itself."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime, enum_column


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {"booked": "已预约", "cancelled": "已取消", "checked_in": "已签到", "no_show": "未到"}[self.value]


class Hall(Base):
    """A service hall (经办服务中心)."""

    __tablename__ = "appt_hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(120))
    map_url: Mapped[str] = mapped_column(String(300))
    # GCJ-02, the datum of China's maps and of WeChat's wx.openLocation (a WGS-84 GPS reading is off by hundreds
    # of metres there); empty until the operator sets them.
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False), nullable=True)
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False), nullable=True)


class Window(Base):
    """A service window; some are dedicated to people with appointments (LD/T 01 5.1 c)."""

    __tablename__ = "appt_window"
    __table_args__ = (UniqueConstraint("hall_id", "number", name="uq_appt_window_hall_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"))
    number: Mapped[int] = mapped_column(Integer)
    appointments_only: Mapped[bool] = mapped_column(Boolean, default=False)


class HallItem(Base):
    """Which catalog items a hall handles."""

    __tablename__ = "appt_hall_item"
    __table_args__ = (UniqueConstraint("hall_id", "item_id", name="uq_appt_hall_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"))
    item_id: Mapped[str] = mapped_column(String(64))


class SlotTemplate(Base):
    """The weekly pattern a hall opens slots from, e.g. Mondays 09:00–11:30 in 30-minute slots of 6."""

    __tablename__ = "appt_slot_template"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    capacity: Mapped[int] = mapped_column(Integer)


class Closure(Base):
    """A one-off closure of a hall (public holidays come from the working-day calendar)."""

    __tablename__ = "appt_closure"
    __table_args__ = (UniqueConstraint("hall_id", "day", name="uq_appt_closure_hall_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(120))


class Slot(Base):
    """One bookable time at one hall; ``booked`` only ever moves by a conditional UPDATE."""

    __tablename__ = "appt_slot"
    __table_args__ = (
        UniqueConstraint("hall_id", "day", "start", name="uq_appt_slot_hall_day_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


class Booking(Base):
    __tablename__ = "appt_booking"
    __table_args__ = (
        # One active booking per person per item, enforced by the database (correct under contention).
        Index(
            "uq_appt_booking_active_item",
            "person_id",
            "item_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_appt_booking_slot", "slot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    booked_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    item_id: Mapped[str] = mapped_column(String(64))
    slot_id: Mapped[int] = mapped_column(ForeignKey("appt_slot.id"))
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus, 16))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ticket: Mapped[str | None] = mapped_column(String(8), nullable=True)


class BookingSeat(Base):
    """One of a person's active-booking places (``rules.MAX_ACTIVE_BOOKINGS`` of them): a booking takes a free
    seat number, so the primary key (person, seat) makes the database refuse a fourth active booking however many
    requests race; cancelling, checking in, a no-show or a closed day gives the seat back. A proxy's booking takes
    a seat of the person booked for."""

    __tablename__ = "appt_booking_seat"
    __table_args__ = (CheckConstraint("seat BETWEEN 1 AND 3", name="seat"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    seat: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("appt_booking.id"), unique=True, nullable=True)


class QueueCounter(Base):
    """The last queue ticket number issued at a hall on a day (incremented atomically)."""

    __tablename__ = "appt_queue_counter"

    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
