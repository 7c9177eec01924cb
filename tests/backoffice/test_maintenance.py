"""Maintenance windows of the core system (issue 19; LD/T 01 6.4.5, 6.5.3): an administrator announces one in the
console (维护公告); every channel shows it ahead of time; during it the core system is not called: queries show the
last known data and say until when, the rest is refused politely with the end time in Beijing time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway import clock
from gateway.backoffice import maintenance
from gateway.backoffice.exchange_log import ExchangeEntry
from gateway.problems import UserError
from gateway.staff.models import StaffRole
from tests.conftest import csrf_token, login, staff_login, step_up


@pytest.fixture
def no_windows(app):
    """Windows live in the shared test database: every test leaves none behind."""
    yield
    with app.extensions["shebao_sessionmaker"].begin() as s:
        for window in maintenance.upcoming(s, clock.now()):
            maintenance.cancel(s, window.id, clock.now())


def _announce(app, start_in: timedelta, length: timedelta) -> maintenance.WindowView:
    now = clock.now()
    with app.extensions["shebao_sessionmaker"].begin() as s:
        return maintenance.announce(
            s, starts_at=now + start_in, ends_at=now + start_in + length, note="", staff_id=1, now=now
        )


def test_windows_are_checked(app, no_windows) -> None:
    now = clock.now()
    with app.extensions["shebao_sessionmaker"]() as s:
        for start, end in ((now + timedelta(hours=2), now + timedelta(hours=1)), (now - timedelta(hours=2), now)):
            with pytest.raises(UserError):
                maintenance.announce(s, starts_at=start, ends_at=end, note="", staff_id=1, now=now)


def test_an_admin_announces_and_every_channel_shows_it_ahead(app, client, make_staff, database_url, no_windows):
    admin = make_staff(StaffRole.ADMIN, name="系统管理员")
    assert staff_login(client, database_url, admin).status_code == 302
    page = client.get("/hotline/admin/maintenance/")
    assert page.status_code == 200 and "维护公告" in page.get_data(as_text=True)
    start = clock.wall(clock.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=4)
    refused = client.post(
        "/hotline/admin/maintenance/",
        data={
            "starts_at": end.isoformat(timespec="minutes"),
            "ends_at": start.isoformat(timespec="minutes"),
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert refused.status_code == 400 and "结束时间必须晚于开始时间" in refused.get_data(as_text=True)
    done = client.post(
        "/hotline/admin/maintenance/",
        data={
            "starts_at": start.isoformat(timespec="minutes"),
            "ends_at": end.isoformat(timespec="minutes"),
            "note": "期间请拨打12333咨询。",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert done.status_code == 302
    # Beijing time, on every channel, before it starts.
    when = f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}"
    public = app.test_client()
    assert when in public.get("/").get_data(as_text=True)
    kiosk = public.get("/kiosk/H01/")
    assert kiosk.status_code == 200 and when in kiosk.get_data(as_text=True)
    status = public.get("/api/v1/service-status").json
    assert status["core_available"] is True
    [window] = status["maintenance"]
    assert window["starts_at"] == start.isoformat() and window["current"] is False and when in window["message"]
    # Only administrators announce.
    agent = app.test_client()
    assert staff_login(agent, database_url, make_staff(StaffRole.AGENT)).status_code == 302
    assert agent.get("/hotline/admin/maintenance/").status_code in (302, 403)


def test_during_a_window_nothing_is_sent_and_actions_are_refused_with_the_end_time(app, person, no_windows):
    client = app.test_client()
    login(client, person.id_number)
    step_up(client)
    assert client.get("/rights/").status_code == 200  # kept as the last known data
    window = _announce(app, -timedelta(minutes=1), timedelta(hours=2))
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        sent_before = s.scalar(select(func.count()).select_from(ExchangeEntry))

    rights = client.get("/rights/")
    html = rights.get_data(as_text=True)
    assert rights.status_code == 200
    assert "核心系统正在维护" in html and window.ends_label in html  # the data is shown, with until when
    # A query nothing was kept for: refused politely, with the end time (page and API).
    never = client.get("/rights/benefits?page=7")
    assert never.status_code == 503 and window.ends_label in never.get_data(as_text=True)
    api = client.get("/api/v1/service-status").json
    assert api["core_available"] is False and api["maintenance"][0]["current"] is True
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ExchangeEntry)) == sent_before  # the core was not called


def test_a_write_during_a_window_is_refused_in_the_api_error_shape(app, person, no_windows) -> None:
    """Any /api/ operation that would write to the core system gets this answer (gateway.errors)."""
    from gateway.backoffice.resilient import CoreUnderMaintenance
    from gateway.clients import get_backoffice

    window = _announce(app, -timedelta(minutes=5), timedelta(minutes=90))
    with app.test_request_context("/api/v1/account/phone"):
        with pytest.raises(CoreUnderMaintenance) as caught:
            get_backoffice().update_phone(person.id_number, "19900000000")
        resp = app.handle_user_exception(caught.value)
    assert resp.status_code == 503
    error = resp.json["error"]
    assert error["code"] == "core_maintenance"
    assert f"预计北京时间 {window.ends_label} 恢复" in error["message"]
