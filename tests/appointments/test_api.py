"""The appointments API as the mini-program (bearer token) and the web's own scripts (cookie + CSRF) use it."""

from __future__ import annotations

from datetime import datetime

from gateway.clock import FixedClock, set_clock
from gateway.identity.tokens import issue_tokens
from tests.conftest import TEST_SECRET, csrf_token, login


def first_free_slot(client, hall_id: int) -> int:
    days = client.get(f"/api/v1/appointments/slots?hall={hall_id}").get_json()["days"]
    return next(s["id"] for d in days for s in d["slots"] if s["remaining"] > 0)


def test_slots_and_halls_are_public_and_validated(client, hall):
    assert client.get("/api/v1/appointments/halls?item=person-registration").status_code == 200
    assert client.get("/api/v1/appointments/halls?item=nope").get_json()["error"]["code"] == "unknown_item"
    for bad in ("abc", "-1", ""):
        resp = client.get(f"/api/v1/appointments/slots?hall={bad}")
        assert resp.status_code == 400 and "hall" in resp.get_json()["error"]["message"]
    assert client.get("/api/v1/appointments/slots?hall=999999").status_code == 404
    week = client.get(f"/api/v1/appointments/slots?hall={hall.id}").get_json()["days"]
    assert len(week) == 7  # LD/T 01 5.1 a


def test_the_slot_list_answers_in_its_declared_shape(client, hall):
    """The week is built without the schema's dump (issue 18): the answer must still be exactly the declared
    ``Week`` — every declared field, in its type, and nothing else."""
    import jsonschema_rs as jsonschema

    from gateway.api.appointments import Day, Slot, Week
    from gateway.api.appointments import Hall as HallSchema
    from gateway.api.openapi import openapi_document
    from gateway.api.v1 import bp as api_v1

    # A week of five working days (Tuesday 24 to Monday 30 November 2026): a real week may be a holiday.
    with set_clock(FixedClock(datetime(2026, 11, 23, 10))):
        answer = client.get(f"/api/v1/appointments/slots?hall={hall.id}").get_json()
    doc = openapi_document(api_v1)
    declared = doc["paths"]["/api/v1/appointments/slots"]["get"]["responses"]["200"]["content"]["application/json"]
    validator = jsonschema.Draft202012Validator({**declared["schema"], "components": doc["components"]})
    assert [str(e) for e in validator.iter_errors(answer)] == []
    assert set(answer) == set(Week().fields)
    assert set(answer["hall"]) == set(HallSchema().fields) and answer["hall"]["name"] == hall.name
    slots = [s for d in answer["days"] for s in d["slots"]]
    assert [d["day"] for d in answer["days"] if d["open"]] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-30",
    ]
    assert len(slots) == 2 * 5  # the fixture's template: two slots each working day
    assert all(set(d) == set(Day().fields) for d in answer["days"])
    assert all(set(s) == set(Slot().fields) for s in slots)
    assert {(s["start"], s["end"], s["capacity"], s["remaining"]) for s in slots} == {
        ("09:00", "09:30", 5, 5),
        ("09:30", "10:00", 5, 5),
    }


def test_booking_needs_a_login(client, hall):
    resp = client.post("/api/v1/appointments", json={"item": "person-registration", "slot": 1})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "login_required"


def test_cookie_writes_need_the_csrf_token(client, hall, accounts):
    login(client, accounts[2].id_number)
    slot = first_free_slot(client, hall.id)
    refused = client.post("/api/v1/appointments", json={"item": "person-registration", "slot": slot})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    token = csrf_token(client.get("/appointments/").get_data(as_text=True))
    ok = client.post(
        "/api/v1/appointments", json={"item": "person-registration", "slot": slot}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 201, ok.get_json()
    code = ok.get_json()["code"]
    assert any(b["code"] == code for b in client.get("/api/v1/appointments").get_json()["bookings"])
    cancelled = client.post(f"/api/v1/appointments/{code}/cancel", headers={"X-CSRFToken": token})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_mini_program_books_with_a_bearer_token(client, app, hall, make_person, db):
    person = make_person()
    tokens = issue_tokens(db, TEST_SECRET, person, 2, "miniprogram")
    db.commit()
    headers = {"Authorization": f"Bearer {tokens.access_token}", "X-Shebao-Channel": "miniprogram"}
    slot = first_free_slot(client, hall.id)
    resp = client.post("/api/v1/appointments", json={"item": "person-registration", "slot": slot}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "booked" and body["hall"]["id"] == hall.id
    again = client.post("/api/v1/appointments", json={"item": "person-registration", "slot": slot}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"
    # A mini-program token is refused on another channel.
    kiosk = {**headers, "X-Shebao-Channel": "kiosk"}
    assert client.get("/api/v1/appointments", headers=kiosk).status_code == 401


def test_bad_bodies_get_clear_errors(client, hall, make_person, db):
    tokens = issue_tokens(db, TEST_SECRET, make_person(), 2, "miniprogram")
    db.commit()
    headers = {"Authorization": f"Bearer {tokens.access_token}", "X-Shebao-Channel": "miniprogram"}
    for body, code in (
        ("not json", "bad_request"),
        ({"item": "person-registration", "slot": "7"}, "invalid_parameter"),
        ({"item": "person-registration", "slot": True}, "invalid_parameter"),
        ({"item": "no-such-item", "slot": 1}, "unknown_item"),
        ({"item": "person-registration", "slot": 99999999}, "no_such_slot"),
    ):
        kwargs = {"data": body, "content_type": "text/plain"} if isinstance(body, str) else {"json": body}
        resp = client.post("/api/v1/appointments", headers=headers, **kwargs)
        assert resp.status_code in (400, 404) and resp.get_json()["error"]["code"] == code, (body, resp.get_json())


def test_check_in_over_the_api_gives_a_ticket_only_for_ones_own_booking(client, app, hall, make_person, db):
    from datetime import datetime, time, timedelta

    import sqlalchemy as sa

    from gateway.appointments.models import Booking, BookingStatus, Slot
    from gateway.clock import local_now, utc

    person, stranger = make_person(), make_person()
    starts = local_now().replace(second=0, microsecond=0)
    begins = max(starts - timedelta(minutes=5), datetime.combine(starts.date(), time(0)))  # never yesterday
    slot = Slot(hall_id=hall.id, day=begins.date(), start=begins.time(), end=(begins + timedelta(minutes=30)).time(),
                capacity=1, booked=1)  # fmt: skip
    db.add(slot)
    db.flush()
    db.add(Booking(code="APICHK01", person_id=person, item_id="person-registration", slot_id=slot.id,
                   status=BookingStatus.BOOKED, priority=False, channel="web", created_at=utc(begins)))  # fmt: skip
    db.commit()

    def headers(pid):
        tokens = issue_tokens(db, TEST_SECRET, pid, 2, "kiosk")
        db.commit()
        return {"Authorization": f"Bearer {tokens.access_token}", "X-Shebao-Channel": "kiosk"}

    theirs = client.post("/api/v1/appointments/APICHK01/check-in", json={"hall": hall.code}, headers=headers(stranger))
    assert theirs.status_code == 404
    wrong_hall = client.post("/api/v1/appointments/APICHK01/check-in", json={"hall": "NOPE"}, headers=headers(person))
    assert wrong_hall.status_code == 404 and wrong_hall.get_json()["error"]["code"] == "no_such_hall"
    done = client.post("/api/v1/appointments/APICHK01/check-in", json={"hall": hall.code}, headers=headers(person))
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "checked_in" and done.get_json()["ticket"].startswith("A")
    # The one check-in use case traces it in the person's operation trail, in the booking's transaction.
    from gateway.identity.models import EventKind, IdentityEvent

    db.expire_all()
    trail = db.scalars(
        sa.select(IdentityEvent).where(IdentityEvent.person_id == person, IdentityEvent.kind == EventKind.OPERATION)
    ).all()
    assert [(e.detail, e.channel) for e in trail if "APICHK01" in (e.detail or "")] == [("预约签到 APICHK01", "kiosk")]
    again = client.post("/api/v1/appointments/APICHK01/check-in", json={"hall": hall.code}, headers=headers(person))
    assert again.status_code == 409
    db.execute(sa.delete(Booking).where(Booking.code == "APICHK01"))
    db.commit()
