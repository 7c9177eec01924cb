"""``/api/v1/info`` for the mini-program and the kiosk (LD/T 01 5.6.1, 7)."""

from __future__ import annotations

from datetime import date, datetime

from gateway import clock
from tests.public_info.conftest import seed_application, seed_checked_in_booking


def test_halls_carry_address_hours_phone_map_items_and_queue(client):
    body = client.get("/api/v1/info/halls").get_json()
    hall = body["halls"][0]
    assert {"address", "hours", "phone", "map_url", "items", "changes", "queue", "open_today"} <= set(hall)
    assert hall["items"] and hall["queue"]["checked_in_today"] >= 0


def test_todays_check_ins_are_counted_in_the_queue(client, db, logged_in):
    before = client.get("/api/v1/info/halls").get_json()["halls"][0]["queue"]["checked_in_today"]
    seed_checked_in_booking(db, logged_in, clock.today())
    after = client.get("/api/v1/info/halls").get_json()["halls"][0]["queue"]["checked_in_today"]
    assert after == before + 1


def test_a_bad_month_is_an_error_in_the_api_shape(client):
    resp = client.get("/api/v1/info/evaluation?month=2026-1")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_month"


def test_the_figures_match_the_seeded_applications(client, db, logged_in):
    due = date(2025, 5, 20)
    for day in (12, 28):
        seed_application(db, logged_in, submitted=datetime(2025, 5, 6, 9), decided=datetime(2025, 5, day, 10), due=due)
    total = client.get("/api/v1/info/evaluation?month=2025-05").get_json()["total"]
    assert (total["decided"], total["on_time"], total["timeliness"]) == (2, 1, 50.0)


def test_rating_through_the_api_needs_a_login(client):
    resp = client.post("/api/v1/info/evaluations", json={"subject": "application", "ref": "SQ1"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["message"]


def test_an_incomplete_rating_is_refused_in_chinese(client, db, logged_in):
    app = seed_application(
        db, logged_in, submitted=datetime(2026, 11, 2, 9), decided=datetime(2026, 11, 3, 9), due=date(2026, 11, 9)
    )
    token = client.get("/info/evaluation").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post(
        "/api/v1/info/evaluations",
        json={"subject": "application", "ref": app.number, "satisfaction": 5},
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 400 and "请为" in resp.get_json()["error"]["message"]


def test_a_rating_through_the_api_reports_the_follow_up_deadline(client, db, logged_in):
    app = seed_application(
        db, logged_in, submitted=datetime(2026, 11, 2, 9), decided=datetime(2026, 11, 3, 9), due=date(2026, 11, 9)
    )
    token = client.get("/info/evaluation").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    body = {
        "subject": "application",
        "ref": app.number,
        "completeness": 2,
        "ease": 2,
        "timeliness": 1,
        "satisfaction": 1,
    }
    resp = client.post("/api/v1/info/evaluations", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201
    assert resp.get_json()["satisfaction_label"] == "非常不满意" and resp.get_json()["follow_up_due"]
