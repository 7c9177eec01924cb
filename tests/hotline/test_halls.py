"""The hall queue for window staff: today's bookings at one hall in calling order, with status and the
military-transfer priority (Regulation Art. 17); people masked; each look audited."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from gateway.appointments import service as appointments
from gateway.appointments.models import Booking, BookingStatus, Hall, HallItem, Slot
from gateway.catalog.model import Channel
from gateway.clock import local_now
from gateway.identity.service import ensure_person
from gateway.staff.models import AuditAction, Staff, StaffRole
from tests.conftest import staff_login
from tests.hotline.helpers import audit_rows

MILITARY = "military-insurance-transfer"  # catalog: priority: true
ITEM = "person-info-change"


def _slot_today(db, hall_id: int, start: time) -> Slot:
    """A slot today (test setup: the booking window opens from tomorrow, so today's bookings were made
    yesterday — the service is called with yesterday's time below)."""
    today = local_now().date()
    slot = db.scalar(sa.select(Slot).where(Slot.hall_id == hall_id, Slot.day == today, Slot.start == start))
    if slot is None:
        end = (datetime.combine(today, start) + timedelta(minutes=30)).time()
        slot = Slot(hall_id=hall_id, day=today, start=start, end=end, capacity=5, booked=0)
        db.add(slot)
        db.commit()
    return slot


def _book(app, db, who, item_id: str, slot: Slot) -> Booking:
    person = ensure_person(db, app.extensions["shebao_vault"], who.id_number, who.name)
    db.commit()
    yesterday = datetime.combine(slot.day - timedelta(days=1), time(12))
    return appointments.book(
        db, person_id=person.id, item_id=item_id, slot_id=slot.id, now=yesterday, channel=Channel.WEB
    )


def test_todays_queue_in_calling_order_with_status_and_priority(client, app, db, take_caller, make_staff, database_url):
    # A demo hall serving both items (other tests make halls of their own with other items).
    serves = sa.select(HallItem.hall_id).where(HallItem.item_id.in_((ITEM, MILITARY)))
    serves = serves.group_by(HallItem.hall_id).having(sa.func.count() == 2)
    hall = db.scalars(sa.select(Hall).where(Hall.code.like("H%"), Hall.id.in_(serves)).order_by(Hall.id)).all()[-1]
    early, late = _slot_today(db, hall.id, time(7, 0)), _slot_today(db, hall.id, time(7, 30))
    absent, veteran, arrived = take_caller(), take_caller(), take_caller()
    no_show = _book(app, db, absent, ITEM, late)
    priority = _book(app, db, veteran, MILITARY, late)
    checked = _book(app, db, arrived, ITEM, early)
    appointments.check_in(db, code=checked.code, hall_id=hall.id, now=datetime.combine(early.day, time(6, 50)))
    # Setup for "did not come": what the scheduled mark_no_shows job would do once the check-in window closed.
    db.execute(sa.update(Booking).where(Booking.id == no_show.id).values(status=BookingStatus.NO_SHOW))
    db.commit()
    db.expire_all()
    ticket = db.get(Booking, checked.id).ticket
    assert ticket and ticket.startswith("A")

    window = make_staff(StaffRole.HALL, name="窗口经办甲")
    _assign(db, window, hall.id)
    staff_login(client, database_url, window)
    assert "今日预约队列" in client.get("/hotline/").text
    halls = client.get("/hotline/halls/")
    assert halls.status_code == 200 and f'href="/hotline/halls/{hall.id}"' in halls.text
    page = client.get(f"/hotline/halls/{hall.id}")
    assert page.status_code == 200
    html = page.text

    def row(booking: Booking) -> str:
        return re.search(rf'<tr id="booking-{booking.code}">.*?</tr>', html, re.S).group(0)

    # Art. 17 first, then by slot time.
    assert html.index(priority.code) < html.index(checked.code) < html.index(no_show.code)
    assert "优先" in row(priority) and "优先" not in row(checked)
    assert f"已签到，排队号 {ticket}" in row(checked)
    assert "未到" in row(no_show) and "已预约，未签到" in row(priority)
    for who in (absent, veteran, arrived):
        assert who.id_number not in html and who.name not in html
        assert who.id_number[:3] + "*" * 11 + who.id_number[-4:] in html
    entry = audit_rows(db, window.id)[-1]
    assert entry.action is AuditAction.VIEWED and hall.name in entry.detail


def test_the_queue_is_for_hall_staff(client, make_staff, database_url):
    staff_login(client, database_url, make_staff(StaffRole.AGENT))
    assert client.get("/hotline/halls/").status_code == 403
    assert "今日预约队列" not in client.get("/hotline/").text


def _assign(db, staff, hall_id: int | None) -> None:
    """Set a staff member's hall, as an administrator does on the staff-account page."""
    db.execute(sa.update(Staff).where(Staff.id == staff.id).values(hall_id=hall_id))
    db.commit()


def _two_halls(db) -> tuple[Hall, Hall]:
    first, second = db.scalars(sa.select(Hall).where(Hall.code.like("H%")).order_by(Hall.id).limit(2)).all()
    return first, second


def test_hall_staff_open_only_their_own_halls_queue(client, db, make_staff, database_url):
    mine, other = _two_halls(db)
    window = make_staff(StaffRole.HALL)
    _assign(db, window, mine.id)
    staff_login(client, database_url, window)
    assert client.get(f"/hotline/halls/{mine.id}").status_code == 200
    assert client.get(f"/hotline/halls/{other.id}").status_code == 403


def test_hall_staff_are_offered_only_their_own_hall(client, db, make_staff, database_url):
    mine, other = _two_halls(db)
    window = make_staff(StaffRole.HALL)
    _assign(db, window, mine.id)
    staff_login(client, database_url, window)
    listing = client.get("/hotline/halls/").text
    assert f'href="/hotline/halls/{mine.id}"' in listing and f'href="/hotline/halls/{other.id}"' not in listing


def test_hall_staff_without_a_hall_see_no_queue(client, db, make_staff, database_url):
    mine, _other = _two_halls(db)
    window = make_staff(StaffRole.HALL)
    staff_login(client, database_url, window)
    assert client.get(f"/hotline/halls/{mine.id}").status_code == 403
    assert "还没有被指定所在网点" in client.get("/hotline/halls/").text


def test_administrators_open_every_halls_queue(client, db, make_staff, database_url):
    mine, other = _two_halls(db)
    staff_login(client, database_url, make_staff(StaffRole.ADMIN))
    assert client.get(f"/hotline/halls/{other.id}").status_code == 200
