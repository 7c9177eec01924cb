"""The staff console: password + TOTP login, lockout, roles, person unlock, and the append-only audit trail."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.staff.models import AppendOnlyError, AuditAction, AuditEntry, Staff, StaffRole
from gateway.staff.service import MAX_FAILURES
from gateway.staff.totp import code_at
from tests.conftest import csrf_token, login, staff_login


@pytest.fixture
def db(database_url):
    engine = sa.create_engine(database_url)
    with sessionmaker(bind=engine)() as session:
        yield session
    engine.dispose()


def _post_login(client, username, password, code):
    page = client.get("/hotline/login")
    return client.post(
        "/hotline/login",
        data={"username": username, "password": password, "code": code, "csrf_token": csrf_token(page.text)},
    )


def _actions(db, staff_id):
    db.expire_all()
    return [e.action for e in db.scalars(sa.select(AuditEntry).where(AuditEntry.staff_id == staff_id))]


def test_console_needs_login(client):
    response = client.get("/hotline/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/hotline/login?next=")


def test_login_with_password_and_totp(client, make_staff, database_url, db):
    agent = make_staff(StaffRole.AGENT)
    response = staff_login(client, database_url, agent)
    assert response.status_code == 302 and response.headers["Location"] == "/hotline/"
    home = client.get("/hotline/")
    assert home.status_code == 200
    assert agent.username in home.text and "账户查询与解锁" in home.text
    assert AuditAction.LOGIN in _actions(db, agent.id)


def test_used_code_cannot_log_in_again(client, app, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT)
    import time

    code = code_at(agent.totp_secret, time.time())
    assert _post_login(client, agent.username, agent.password, code).status_code == 302
    other = app.test_client()
    refused = _post_login(other, agent.username, agent.password, code)
    assert refused.status_code == 400
    assert "工号、密码或动态口令不正确" in refused.text


def test_one_message_for_every_failure(client, make_staff):
    agent = make_staff(StaffRole.AGENT)
    import time

    good = code_at(agent.totp_secret, time.time())
    answers = [
        _post_login(client, "nobody_here", agent.password, good),
        _post_login(client, agent.username, "Wrong#Password1", good),
        _post_login(client, agent.username, agent.password, "000000" if good != "000000" else "111111"),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert "工号、密码或动态口令不正确" in answer.text


def test_missing_fields_listed_together(client):
    answer = _post_login(client, "", "", "")
    assert answer.status_code == 400
    for message in ("请填写工号", "请填写密码", "请填写动态口令"):
        assert message in answer.text
    assert 'class="error-summary"' in answer.text


def test_lockout_after_repeated_failures_and_admin_cli_unlock(client, make_staff, database_url, db):
    from click.testing import CliRunner

    from gateway.cli import main

    agent = make_staff(StaffRole.AGENT)
    for _ in range(MAX_FAILURES):
        answer = _post_login(client, agent.username, "Wrong#Password1", "123456")
    assert "已暂时锁定" in answer.text
    # Locked: even the right password and code are refused.
    db.expire_all()
    import time

    right = code_at(agent.totp_secret, time.time())
    assert "已暂时锁定" in _post_login(client, agent.username, agent.password, right).text
    assert AuditAction.LOCKED in _actions(db, agent.id)

    env = {"SHEBAO_DATABASE_URL": database_url, "SHEBAO_SECRET_KEY": "x" * 40, "SHEBAO_ENV": "testing"}
    result = CliRunner().invoke(main, ["staff", "unlock", agent.username], env=env)
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.get(Staff, agent.id).locked_until is None
    assert staff_login(client, database_url, agent).status_code == 302


def test_roles_gate_sections(client, make_staff, database_url):
    reviewer = make_staff(StaffRole.REVIEWER)
    staff_login(client, database_url, reviewer)
    assert client.get("/hotline/").status_code == 200
    assert "账户查询与解锁" not in client.get("/hotline/").text
    assert client.get("/hotline/people/").status_code == 403


def test_open_redirect_refused(client, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT)
    page = client.get("/hotline/login")
    from tests.conftest import next_totp_code

    answer = client.post(
        "/hotline/login?next=//evil.example/",
        data={
            "username": agent.username,
            "password": agent.password,
            "code": next_totp_code(database_url, agent),
            "csrf_token": csrf_token(page.text),
        },
    )
    assert answer.headers["Location"] == "/hotline/"


def test_staff_session_is_never_a_citizen_session(client, make_staff, database_url, person):
    login(client, person.id_number)
    assert client.get("/account/").status_code == 200
    agent = make_staff(StaffRole.AGENT)
    staff_login(client, database_url, agent)
    # The citizen who used this browser before is gone: the staff login started a new session.
    account = client.get("/account/")
    assert account.status_code == 302 and "/account/login" in account.headers["Location"]


def test_supervisor_unlocks_a_locked_person_and_it_is_audited(client, app, make_staff, database_url, db, accounts):
    from gateway.identity.service import LoginOutcome, authenticate_password
    from gateway.request_db import get_session

    citizen = accounts[3]
    with app.app_context():
        vault = app.extensions["shebao_vault"]
        for _ in range(5):
            authenticate_password(get_session(), vault, citizen.id_number, "Wrong#Password9")
        locked = authenticate_password(get_session(), vault, citizen.id_number, citizen_password := DEMO_PASSWORD)
        assert locked.outcome is LoginOutcome.LOCKED
    browser = app.test_client()

    supervisor = make_staff(StaffRole.SUPERVISOR)
    staff_login(client, database_url, supervisor)
    form = client.get("/hotline/people/")
    page = client.post(
        "/hotline/people/",
        data={"id_number": citizen.id_number, "reason": "本人来电称无法登录", "csrf_token": csrf_token(form.text)},
    )
    assert page.status_code == 200
    assert citizen.id_number not in page.text  # masked on screen
    assert "已锁定" in page.text
    unlocked = client.post(
        "/hotline/people/",
        data={
            "ref": re.search(r'name="ref" value="([^"]+)"', page.text).group(1),
            "action": "unlock",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert "已解锁" in unlocked.text
    assert login(browser, citizen.id_number, citizen_password).status_code == 302
    actions = _actions(db, supervisor.id)
    assert AuditAction.PERSON_SEARCHED in actions and AuditAction.PERSON_UNLOCKED in actions
    # No full ID number in the audit trail either.
    details = " ".join(e.detail for e in db.scalars(sa.select(AuditEntry).where(AuditEntry.staff_id == supervisor.id)))
    assert citizen.id_number not in details and "本人来电称无法登录" in details


def test_bad_id_number_gets_a_clear_message(client, make_staff, database_url):
    supervisor = make_staff(StaffRole.SUPERVISOR)
    staff_login(client, database_url, supervisor)
    form = client.get("/hotline/people/")
    page = client.post(
        "/hotline/people/",
        data={"id_number": "110101199003070000", "reason": "核对来电", "csrf_token": csrf_token(form.text)},
    )
    assert page.status_code == 400
    assert "error-summary" in page.text


def test_audit_trail_is_append_only(db, make_staff):
    agent = make_staff(StaffRole.AGENT)
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.STAFF_CREATED)).first()
    assert entry is not None
    # The ORM refuses...
    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()
    # ...and so does the database, for raw SQL.
    for statement in ("UPDATE staff_audit SET detail = 'x'", "DELETE FROM staff_audit"):
        with pytest.raises(sa.exc.DatabaseError):
            db.execute(sa.text(statement))
        db.rollback()
    assert agent.id


def test_one_code_wins_one_login_even_when_two_race(database_url, make_staff):
    """Two logins with the same code at the same moment: the time step is claimed atomically, so one wins."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gateway.security.pii import PiiVault
    from gateway.staff.service import StaffLoginOutcome, authenticate
    from tests.conftest import TEST_SECRET

    agent = make_staff(StaffRole.AGENT)
    code = code_at(agent.totp_secret, time.time())
    engine = sa.create_engine(database_url, pool_size=4)
    sessions = sessionmaker(bind=engine)
    start = threading.Event()

    def attempt() -> StaffLoginOutcome:
        start.wait()
        with sessions() as s:
            for _ in range(20):
                try:
                    outcome = authenticate(s, PiiVault(TEST_SECRET), agent.username, agent.password, code).outcome
                    s.commit()  # as the request boundary would after the console's answer
                    return outcome
                except sa.exc.OperationalError:  # SQLite's writer lock: try again, as a second click would
                    s.rollback()
        raise AssertionError("no answer")

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(attempt) for _ in range(2)]
            start.set()
            outcomes = sorted(f.result(timeout=60) for f in futures)
    finally:
        engine.dispose()
    assert outcomes == sorted([StaffLoginOutcome.OK, StaffLoginOutcome.BAD])
