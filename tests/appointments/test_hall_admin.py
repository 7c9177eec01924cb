"""Administrators' slot templates and closures: a closed day cancels its bookings with a message to each person,
no booking slips in afterwards, and reopening restores the day's capacity."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from gateway.appointments import admin, rules, service
from gateway.appointments.models import Booking, BookingStatus, Closure, HallItem, Slot, SlotTemplate
from gateway.catalog import Channel
from gateway.clock import local_now
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from notify.models import NotifyMessage
from tests.appointments.conftest import NOW
from tests.conftest import csrf_token, staff_login

TUESDAY = date(2026, 11, 24)


def _first_slot(db, hall, now=NOW, day=TUESDAY) -> Slot:
    service.slots_for(db, hall.id, now)
    return db.scalars(sa.select(Slot).where(Slot.hall_id == hall.id, Slot.day == day).order_by(Slot.start)).first()


def test_template_problems_are_listed_together():
    bad = admin.TemplateInput(weekday=7, start=time(10), end=time(9), slot_minutes=25, capacity=0)
    fields = [field for field, _ in admin.check_template(bad)]
    assert fields == ["weekday", "slot_minutes", "end", "capacity"]
    short = admin.TemplateInput(weekday=0, start=time(9), end=time(9, 20), slot_minutes=30, capacity=3)
    assert admin.check_template(short) == [("end", "开始到结束的时长不足一个时段。")]


def test_overlapping_template_refused(db, hall):
    with pytest.raises(service.BookingRefused, match="重叠"):
        admin.add_template(db, hall.id, admin.TemplateInput(0, time(9, 30), time(11), 30, 3))
    db.rollback()
    made = admin.add_template(db, hall.id, admin.TemplateInput(0, time(14), time(15), 30, 3))
    db.commit()
    assert made.id is not None


def test_closing_a_booked_day_cancels_and_tells_everyone(db, hall, make_person):
    slot = _first_slot(db, hall)
    people = [make_person() for _ in range(3)]
    for pid in people:
        service.book(db, person_id=pid, item_id="person-registration", slot_id=slot.id, now=NOW, channel=Channel.WEB)
    assert admin.active_bookings_on(db, hall.id, TUESDAY) == 3

    cancelled = admin.close_day(db, hall.id, TUESDAY, "设备检修", now=NOW)
    db.commit()
    assert cancelled == 3
    statuses = db.scalars(sa.select(Booking.status).where(Booking.person_id.in_(people))).all()
    assert set(statuses) == {BookingStatus.CANCELLED}
    messages = db.scalars(
        sa.select(NotifyMessage).where(
            NotifyMessage.person_id.in_(people), NotifyMessage.template == "appointment_cancelled"
        )
    ).all()
    assert {m.person_id for m in messages} == set(people)
    assert all("大厅闭厅：设备检修" in m.body for m in messages)
    # The day is frozen: nobody can book it any more, and the week view shows it closed.
    db.expire_all()
    assert all(
        s.capacity == 0 and s.booked == 0
        for s in db.scalars(sa.select(Slot).where(Slot.day == TUESDAY, Slot.hall_id == hall.id))
    )
    with pytest.raises(service.BookingRefused):
        service.book(
            db, person_id=make_person(), item_id="person-registration", slot_id=slot.id, now=NOW, channel=Channel.WEB
        )
    week = service.slots_for(db, hall.id, NOW)
    assert [d.open for d in week if d.day == TUESDAY] == [False]


def test_reopening_restores_capacity(db, hall, make_person):
    slot = _first_slot(db, hall)
    admin.close_day(db, hall.id, TUESDAY, "培训", now=NOW)
    db.commit()
    closure = db.scalar(sa.select(Closure).where(Closure.hall_id == hall.id))
    admin.reopen_day(db, hall.id, closure.id)
    db.commit()
    db.expire_all()
    assert db.get(Slot, slot.id).capacity == 5
    booking = service.book(
        db, person_id=make_person(), item_id="person-registration", slot_id=slot.id, now=NOW, channel=Channel.WEB
    )
    assert booking.status is BookingStatus.BOOKED


def test_closure_rules(db, hall):
    with pytest.raises(service.BookingRefused, match="明天及以后"):
        admin.close_day(db, hall.id, NOW.date(), "停电", now=NOW)
    with pytest.raises(service.BookingRefused, match="闭厅原因"):
        admin.close_day(db, hall.id, TUESDAY, "  ", now=NOW)
    admin.close_day(db, hall.id, TUESDAY, "停电", now=NOW)
    db.commit()
    with pytest.raises(service.BookingRefused, match="已设置为闭厅"):
        admin.close_day(db, hall.id, TUESDAY, "停电", now=NOW)


def test_console_pages_are_for_admins_and_confirm_before_cancelling(
    client, make_staff, database_url, db, hall, make_person
):
    agent = make_staff(StaffRole.AGENT)
    staff_login(client, database_url, agent)
    assert client.get(f"/hotline/admin/halls/{hall.code}").status_code == 403

    administrator = make_staff(StaffRole.ADMIN)
    staff_login(client, database_url, administrator)
    page = client.get(f"/hotline/admin/halls/{hall.code}")
    assert page.status_code == 200 and "每周预约时段" in page.text
    token = csrf_token(page.text)

    bad = client.post(
        f"/hotline/admin/halls/{hall.code}/templates",
        data={"csrf_token": token, "weekday": "2", "start": "25:00", "end": "", "slot_minutes": "30", "capacity": "x"},
    )
    assert bad.status_code == 400
    for message in ("开始时间", "结束时间", "可预约人数"):
        assert message in bad.text
    good = client.post(
        f"/hotline/admin/halls/{hall.code}/templates",
        data={
            "csrf_token": token,
            "weekday": "5",
            "start": "09:00",
            "end": "11:00",
            "slot_minutes": "60",
            "capacity": "4",
        },
    )
    assert good.status_code == 302
    assert db.scalar(sa.select(SlotTemplate).where(SlotTemplate.hall_id == hall.id, SlotTemplate.weekday == 5))

    # A day with a booking: the first post only asks for confirmation and changes nothing. The console works on
    # the real clock, so this part books on the real calendar's first bookable weekday.
    now = local_now()
    # The first bookable day the hall is open (weekdays that are not public holidays).
    slot, weekday = next((s, d) for d in rules.bookable_days(now) if (s := _first_slot(db, hall, now, d)) is not None)
    pid = make_person()
    service.book(db, person_id=pid, item_id="person-registration", slot_id=slot.id, now=now, channel=Channel.WEB)
    db.commit()
    day = weekday.isoformat()
    asked = client.post(
        f"/hotline/admin/halls/{hall.code}/closures", data={"csrf_token": token, "day": day, "reason": "停电检修"}
    )
    assert asked.status_code == 200 and "确认闭厅" in asked.text and "<strong>1</strong>" in asked.text
    db.expire_all()
    assert db.scalar(sa.select(Closure).where(Closure.hall_id == hall.id)) is None
    done = client.post(
        f"/hotline/admin/halls/{hall.code}/closures",
        data={"csrf_token": token, "day": day, "reason": "停电检修", "confirm": "yes"},
    )
    assert done.status_code == 302
    db.expire_all()
    assert db.scalar(sa.select(Booking.status).where(Booking.person_id == pid)) is BookingStatus.CANCELLED
    trail = db.scalars(sa.select(AuditEntry.detail).where(AuditEntry.staff_id == administrator.id)).all()
    assert any("闭厅" in d and "取消预约 1 个" in d for d in trail)
    assert any(
        a == AuditAction.SETTINGS_CHANGED
        for a in db.scalars(sa.select(AuditEntry.action).where(AuditEntry.staff_id == administrator.id))
    )


def test_items_served_and_windows(db, hall, make_person):
    served = {"person-registration", "retirement-pension-claim"}
    added, removed = admin.set_items(db, hall.id, served)
    db.commit()
    assert removed == {"military-insurance-transfer", "unit-registration-change"} and not added
    with pytest.raises(service.BookingRefused, match="至少要办理一个"):
        admin.set_items(db, hall.id, set())
    with pytest.raises(service.BookingRefused, match="不在可预约事项清单"):
        admin.set_items(db, hall.id, {"pension-estimate"})  # decided online at once: never at a window
    db.rollback()
    # A stopped item can no longer be booked here.
    slot = _first_slot(db, hall)
    with pytest.raises(service.BookingRefused, match="不办理此事项"):
        service.book(
            db,
            person_id=make_person(),
            item_id="unit-registration-change",
            slot_id=slot.id,
            now=NOW,
            channel=Channel.WEB,
        )

    first = admin.add_window(db, hall.id, appointments_only=True)
    second = admin.add_window(db, hall.id, appointments_only=False)
    db.commit()
    assert (first.number, second.number) == (1, 2)
    # LD/T 01 5.1 c: the last appointments-only window stays.
    with pytest.raises(service.BookingRefused, match="至少要保留一个预约专用窗口"):
        admin.set_appointments_only(db, hall.id, first.id, False)
    admin.set_appointments_only(db, hall.id, second.id, True)
    admin.set_appointments_only(db, hall.id, first.id, False)
    db.commit()
    assert [w.appointments_only for w in admin.windows_of(db, hall.id)] == [False, True]


def test_console_saves_items_and_windows(client, make_staff, database_url, db, hall):
    administrator = make_staff(StaffRole.ADMIN)
    staff_login(client, database_url, administrator)
    page = client.get(f"/hotline/admin/halls/{hall.code}")
    token = csrf_token(page.text)
    saved = client.post(
        f"/hotline/admin/halls/{hall.code}/items",
        data={"csrf_token": token, "item": ["person-registration", "military-insurance-transfer"]},
    )
    assert saved.status_code == 302
    db.expire_all()
    assert set(db.scalars(sa.select(HallItem.item_id).where(HallItem.hall_id == hall.id))) == {
        "person-registration",
        "military-insurance-transfer",
    }
    bad = client.post(f"/hotline/admin/halls/{hall.code}/items", data={"csrf_token": token, "item": ["nope"]})
    assert bad.status_code == 400 and "error-summary" in bad.text
    assert client.post(f"/hotline/admin/halls/{hall.code}/windows", data={"csrf_token": token}).status_code == 302
    assert "1 号窗口：综合窗口" in client.get(f"/hotline/admin/halls/{hall.code}").text
    trail = db.scalars(sa.select(AuditEntry.detail).where(AuditEntry.staff_id == administrator.id)).all()
    assert any("办理事项" in d for d in trail) and any("新增 1 号窗口" in d for d in trail)


def test_an_administrator_places_a_hall_for_the_mini_programs_navigation(
    client, db, hall, make_staff, database_url
) -> None:
    """GCJ-02 coordinates, checked (China's bounds, both or neither), audited, and served to the mini-program."""
    administrator = make_staff(StaffRole.ADMIN)
    staff_login(client, database_url, administrator)
    page = client.get(f"/hotline/admin/halls/{hall.code}")
    assert page.status_code == 200 and 'id="latitude"' in page.text
    token = csrf_token(page.get_data(as_text=True))
    path = f"/hotline/admin/halls/{hall.code}/place"
    for latitude, longitude, said in (
        ("107.149721", "34.362186", "纬度应在"),  # swapped
        ("34.36", "", "经度"),
        ("北纬34度", "107.1", "小数度数"),
        ("nan", "107.1", "纬度应在"),
    ):
        refused = client.post(path, data={"csrf_token": token, "latitude": latitude, "longitude": longitude})
        assert refused.status_code == 400 and said in refused.get_data(as_text=True), (latitude, longitude)
    db.expire_all()
    assert (db.get(type(hall), hall.id).latitude, db.get(type(hall), hall.id).longitude) == (None, None)

    done = client.post(path, data={"csrf_token": token, "latitude": " 34.3621864 ", "longitude": "107.149721"})
    assert done.status_code == 302 and done.headers["Location"].endswith("?done=place")
    db.expire_all()
    placed = db.get(type(hall), hall.id)
    assert (placed.latitude, placed.longitude) == (34.362186, 107.149721)
    entry = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.staff_id == administrator.id).order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action is AuditAction.SETTINGS_CHANGED and "34.362186, 107.149721" in entry.detail
    served = {h["code"]: h for h in client.get("/api/v1/info/halls").get_json()["halls"]}[hall.code]
    assert (served["latitude"], served["longitude"]) == (34.362186, 107.149721)
    # Both empty: the mark is taken off again.
    assert client.post(path, data={"csrf_token": token, "latitude": "", "longitude": ""}).status_code == 302
    db.expire_all()
    assert db.get(type(hall), hall.id).latitude is None
