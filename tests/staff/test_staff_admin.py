"""Staff accounts managed on the console by an administrator: add (enrolment shown once), lock, unlock, re-key the
second factor, change roles and department — each audited with the administrator's id (LD/T 01 6.3.2)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.staff.models import AuditAction, AuditEntry, Staff, StaffRole
from tests.conftest import StaffLogin, csrf_token, staff_login

BASE = "/hotline/admin/staff/"


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    with sessionmaker(bind=engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def admin(client, make_staff, database_url) -> StaffLogin:
    """An administrator logged in on ``client``."""
    made = make_staff(StaffRole.ADMIN, department="信息中心")
    assert staff_login(client, database_url, made).status_code == 302
    return made


def _post(client, path: str, data: dict | None = None, *, page: str = BASE):
    token = csrf_token(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _audited(db, admin: StaffLogin) -> list[AuditAction]:
    db.expire_all()
    return list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.staff_id == admin.id)))


def _new_account(client, username: str):
    return _post(
        client,
        BASE,
        {
            "username": username,
            "name": "新坐席",
            "department": "失业保险科",
            "role": ["reviewer", "agent"],
            "password": DEMO_PASSWORD,
        },
    )


def test_only_administrators_see_the_page(client, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT, StaffRole.SUPERVISOR)
    staff_login(client, database_url, agent)
    assert client.get(BASE).status_code == 403


def test_home_links_the_page_for_an_administrator(client, admin):
    assert BASE in client.get("/hotline/").text


def test_add_shows_a_working_enrolment_once(client, app, admin, db, database_url):
    made = _new_account(client, "console.new1")
    assert made.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', made.text).group(1)
    assert "<svg" in made.text  # the QR code to scan
    staff = db.scalar(sa.select(Staff).where(Staff.username == "console.new1"))
    assert staff.roles == {StaffRole.REVIEWER, StaffRole.AGENT} and staff.department == "失业保险科"
    # The seed is not shown again.
    assert secret not in client.get(f"{BASE}{staff.id}").text
    # The new member logs in with the seed the page showed.
    newcomer = StaffLogin(staff.id, "console.new1", DEMO_PASSWORD, secret)
    assert staff_login(app.test_client(), database_url, newcomer).status_code == 302


def test_add_is_audited(client, admin, db):
    _new_account(client, "console.new2")
    assert AuditAction.STAFF_CREATED in _audited(db, admin)


def test_add_lists_every_problem_at_the_top(client, admin):
    refused = _post(client, BASE, {"username": "", "name": "", "department": "", "password": ""})
    assert refused.status_code == 400
    assert 'class="error-summary"' in refused.text


def test_lock_ends_the_members_session_at_once(client, app, admin, make_staff, database_url, db):
    agent = make_staff(StaffRole.AGENT)
    theirs = app.test_client()
    staff_login(theirs, database_url, agent)
    assert theirs.get("/hotline/").status_code == 200
    page = f"{BASE}{agent.id}"
    locked = _post(client, f"{page}/lock", page=page)
    assert locked.status_code == 302
    assert theirs.get("/hotline/").status_code == 302  # back to the login page
    db.expire_all()
    assert db.get(Staff, agent.id).active is False
    assert AuditAction.STAFF_LOCKED in _audited(db, admin)


def test_unlock_lets_a_locked_member_in_again(client, app, admin, make_staff, database_url, db):
    agent = make_staff(StaffRole.AGENT)
    page = f"{BASE}{agent.id}"
    _post(client, f"{page}/lock", page=page)
    assert _post(client, f"{page}/unlock", page=page).status_code == 302
    assert staff_login(app.test_client(), database_url, agent).status_code == 302
    assert AuditAction.STAFF_UNLOCKED in _audited(db, admin)


def test_an_administrator_cannot_lock_themselves(client, admin, db):
    page = f"{BASE}{admin.id}"
    refused = _post(client, f"{page}/lock", page=page)
    assert refused.status_code == 400 and "不能锁定自己的账户" in refused.text
    db.expire_all()
    assert db.get(Staff, admin.id).active is True


def test_rekey_replaces_the_second_factor(client, app, admin, make_staff, database_url, db):
    agent = make_staff(StaffRole.AGENT)
    page = f"{BASE}{agent.id}"
    answer = _post(client, f"{page}/totp", page=page)
    assert answer.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', answer.text).group(1)
    assert secret != agent.totp_secret
    assert staff_login(app.test_client(), database_url, agent).status_code == 400  # the old seed is dead
    rekeyed = StaffLogin(agent.id, agent.username, agent.password, secret)
    assert staff_login(app.test_client(), database_url, rekeyed).status_code == 302
    assert AuditAction.TOTP_RESET in _audited(db, admin)


def test_roles_and_department_change_and_are_audited(client, admin, make_staff, db):
    agent = make_staff(StaffRole.AGENT)
    page = f"{BASE}{agent.id}"
    changed = _post(client, f"{page}/roles", {"role": ["reviewer"], "department": "失业保险科"}, page=page)
    assert changed.status_code == 302
    db.expire_all()
    staff = db.get(Staff, agent.id)
    assert staff.roles == {StaffRole.REVIEWER} and staff.department == "失业保险科"
    entry = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.staff_id == admin.id, AuditEntry.action == AuditAction.STAFF_CHANGED)
    ).first()
    assert "失业保险科" in entry.detail and "业务审核" in entry.detail


def test_no_roles_is_refused(client, admin, make_staff):
    agent = make_staff(StaffRole.AGENT)
    page = f"{BASE}{agent.id}"
    refused = _post(client, f"{page}/roles", {"department": "养老保险科"}, page=page)
    assert refused.status_code == 400 and "至少要授予一个岗位角色" in refused.text


def test_an_administrator_keeps_their_own_admin_role(client, admin):
    page = f"{BASE}{admin.id}"
    refused = _post(client, f"{page}/roles", {"role": ["agent"], "department": "信息中心"}, page=page)
    assert refused.status_code == 400 and "不能取消自己的系统管理岗位" in refused.text


def test_account_page_is_about_the_member_not_the_administrator(client, admin, make_staff):
    agent = make_staff(StaffRole.AGENT, department="工伤保险科")
    page = client.get(f"{BASE}{agent.id}").text
    assert f"<h1>工号 {agent.username}</h1>" in page and "工伤保险科" in page


def test_an_administrator_assigns_a_hall_and_it_is_audited(client, admin, make_staff, db):
    from gateway.appointments.models import Hall

    hall = db.scalars(sa.select(Hall).order_by(Hall.id)).first()
    window = make_staff(StaffRole.HALL)
    page = f"{BASE}{window.id}"
    done = _post(client, f"{page}/roles", {"role": ["hall"], "department": "窗口", "hall": str(hall.id)}, page=page)
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Staff, window.id).hall_id == hall.id
    entry = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.staff_id == admin.id, AuditEntry.action == AuditAction.STAFF_CHANGED)
    ).first()
    assert hall.name in entry.detail
