"""Password login: lockout (LD/T 01 6.2.5 c), captcha, no enumeration, server-side sessions, login log."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.identity.service import LoginOutcome, authenticate_password, unlock, utcnow
from gateway.identity.web_sessions import SessionCodec
from tests.conftest import committing, csrf_token, login
from tests.identity.conftest import PASSWORD
from tests.support import solve_captcha


def _answer(html: str) -> str:
    return solve_captcha(html)  # the ALTCHA widget's proof of work, done here


def _try(client, id_number: str, password: str, captcha: str | None = None):
    page = client.get("/account/login")
    data = {
        "id_number": id_number,
        "password": password,
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }
    if captcha is not None:
        data["altcha"] = captcha
    return client.post("/account/login", data=data)


def test_five_wrong_passwords_lock_then_time_unlocks(client, member, app):
    # Two wrong tries, then the form asks a captcha question as well.
    for _ in range(2):
        assert "证件号码或密码不正确" in _try(client, member.id_number, "Wrong#2026").get_data(as_text=True)
    html = _try(client, member.id_number, "Wrong#2026").get_data(as_text=True)
    assert "完成人机验证后再登录" in html and "<altcha-widget" in html
    for _ in range(3):
        html = _try(client, member.id_number, "Wrong#2026", _answer(html)).get_data(as_text=True)
    assert "临时锁定" in html
    # Even the right password is refused while locked.
    locked = _try(client, member.id_number, PASSWORD, _answer(html))
    assert locked.status_code == 400 and "临时锁定" in locked.get_data(as_text=True)
    # 15 minutes later the lock is gone by itself.
    vault = app.extensions["shebao_vault"]
    later = utcnow() + timedelta(minutes=16)
    with app.app_context():
        from gateway.request_db import get_session

        result = authenticate_password(get_session(), vault, member.id_number, PASSWORD, now=later)
    assert result.outcome is LoginOutcome.OK


def test_staff_unlock(client, member, app):
    with committing(app) as db:
        vault = app.extensions["shebao_vault"]
        for _ in range(5):
            authenticate_password(db, vault, member.id_number, "Wrong#2026")
        assert authenticate_password(db, vault, member.id_number, PASSWORD).outcome is LoginOutcome.LOCKED
        assert unlock(db, vault, member.id_number, by="窗口工作人员 A001")
        assert authenticate_password(db, vault, member.id_number, PASSWORD).outcome is LoginOutcome.OK
    assert login(client, member.id_number, PASSWORD).status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "账户锁定" in page and "账户解锁" in page and "登录失败" in page


def test_unknown_people_lock_exactly_like_real_ones(app):
    """No enumeration: an ID number nobody registered answers the same way, lock included."""
    with app.app_context():
        from gateway.request_db import get_session

        vault = app.extensions["shebao_vault"]
        outcomes = [authenticate_password(get_session(), vault, "110105194912310029", "x").outcome for _ in range(6)]
    assert outcomes == [LoginOutcome.BAD] * 4 + [LoginOutcome.LOCKED] * 2


def test_session_is_server_side_rotated_and_flagged(client, person, app):
    client.get("/account/login")
    before = client.get_cookie("shebao_session")
    resp = login(client, person.id_number, DEMO_PASSWORD)
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    after = client.get_cookie("shebao_session")
    assert before is not None and after.value != before.value  # rotated at login (no fixation)
    # The cookie is an opaque token: no data in it, the row is keyed by its hash.
    assert "." not in after.value and len(after.value) < 60
    with app.extensions["shebao_engine"].connect() as conn:
        rows = conn.execute(sa.text("SELECT id, data FROM web_session WHERE person_id IS NOT NULL")).all()
    # Stored sealed (tests/identity/test_session_at_rest.py); opened with its own row's key it holds the level.
    codec = SessionCodec(app.extensions["shebao_vault"])
    assert any(codec.load(key, data).get("auth_level") == 1 for key, data in rows)
    # A forged or stale token is not adopted.
    client.set_cookie("shebao_session", "forged-token-value")
    assert client.get("/account/").status_code == 302


def test_logout_deletes_the_server_side_session(client, person, app):
    login(client, person.id_number, DEMO_PASSWORD)
    token = client.get_cookie("shebao_session").value
    page = client.get("/account/")
    client.post("/account/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    client.set_cookie("shebao_session", token)  # replaying the old cookie does not log back in
    assert client.get("/account/").status_code == 302


def test_idle_timeout_from_the_channel_policy(client, person, app):
    login(client, person.id_number, DEMO_PASSWORD)
    codec = SessionCodec(app.extensions["shebao_vault"])
    with app.extensions["shebao_engine"].begin() as conn:
        for sid, data in conn.execute(sa.text("SELECT id, data FROM web_session")).all():
            # Pretend the last click was 31 minutes ago (web idle timeout: 30 minutes).
            stale = {**codec.load(sid, data), "_seen": utcnow().timestamp() - 31 * 60}
            conn.execute(sa.text("UPDATE web_session SET data=:d WHERE id=:i"), {"d": codec.dump(sid, stale), "i": sid})
    assert client.get("/account/").status_code == 302


def test_login_log_is_visible_under_account(client, person):
    _try(client, person.id_number, "Wrong#2026")
    login(client, person.id_number, DEMO_PASSWORD)
    page = client.get("/account/").get_data(as_text=True)
    assert "登录成功" in page and "登录失败" in page and "127.0.0.*" in page
    assert person.id_number not in page  # masked
