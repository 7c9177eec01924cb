"""Changing a login factor ends the person's other sessions and tokens at once, and tells them (issue 13, must
fix 2; ASVS 5.0 7.4.3 and 6.3.7): password reset, phone change, binding and unbinding, a proxy grant. The session
that made the change stays logged in, under a new id."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from gateway.identity.models import CredentialKind, Person
from gateway.identity.service import bind_credential, find_person
from gateway.identity.tokens import issue_tokens
from gateway.proxies.models import ProxyGrant
from gateway.security.limits import limiter
from notify.kinds import MessageKind
from notify.models import NotifyMessage
from tests.conftest import TEST_SECRET, committing, csrf_token, login
from tests.identity.conftest import PASSWORD, last_code, post_form
from tests.identity.test_account_manage import fresh_phone
from tests.identity.test_miniprogram import bind_new_openid

MINI = {"X-Shebao-Channel": "miniprogram"}


def _person_id(app, id_number: str) -> int:
    with app.app_context():
        from gateway.request_db import get_session

        return find_person(get_session(), app.extensions["shebao_vault"], id_number).id


def _logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def _reset_password(app, member, sms_inbox) -> None:
    """The forgotten-password flow from a client of its own (nobody logged in there)."""
    resetter = app.test_client()
    post_form(resetter, "/account/reset", {"id_number": member.id_number, "name": member.name})
    new = "Qinchuan#2027"
    data = {"code": last_code(sms_inbox(member.phone)), "password": new, "password_again": new}
    done = post_form(resetter, "/account/reset/code", data)
    assert done.status_code == 200 and "密码已重设" in done.text


def _level_two(client, member, sms_inbox) -> None:
    """Password + SMS: a level-2 web session."""
    limiter.reset()
    post_form(client, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    post_form(client, "/account/login/sms/code", {"code": last_code(sms_inbox(member.phone))})


def _account_changes(app, person_id: int) -> list[NotifyMessage]:
    with app.app_context():
        from gateway.request_db import get_session

        return list(
            get_session().scalars(
                sa.select(NotifyMessage).where(
                    NotifyMessage.person_id == person_id, NotifyMessage.kind == MessageKind.ACCOUNT_CHANGE
                )
            )
        )


def test_a_password_reset_logs_out_every_other_web_session(app, member, sms_inbox):
    other = app.test_client()
    login(other, member.id_number, PASSWORD)
    assert _logged_in(other)
    _reset_password(app, member, sms_inbox)
    gone = other.get("/account/")
    assert gone.status_code == 302 and "/account/login" in gone.location


def test_a_password_reset_ends_the_mini_program_session_at_once(app, client, member, sms_inbox):
    person_id = _person_id(app, member.id_number)
    with committing(app) as db:
        pair = issue_tokens(db, TEST_SECRET, person_id, 2, "miniprogram")
    bearer = {**MINI, "Authorization": f"Bearer {pair.access_token}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    _reset_password(app, member, sms_inbox)
    # The access token is 10 minutes young, and refused now, not when it expires.
    me = client.get("/api/v1/auth/me", headers=bearer)
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "session_revoked"
    refreshed = client.post("/api/v1/auth/token/refresh", json={"refresh_token": pair.refresh_token})
    assert refreshed.status_code == 401


def test_a_password_reset_tells_the_person(app, member, sms_inbox):
    person_id = _person_id(app, member.id_number)
    _reset_password(app, member, sms_inbox)
    told = _account_changes(app, person_id)
    assert told and all("登录密码" in m.body and "12333" in m.body for m in told)


def test_unbinding_keeps_this_session_under_a_new_id_and_ends_the_others(app, member, sms_inbox):
    person_id = _person_id(app, member.id_number)
    with committing(app) as db:
        cred = bind_credential(db, db.get(Person, person_id), CredentialKind.WECHAT, f"o{secrets.token_hex(8)}")
        cred_id = cred.id
    other = app.test_client()
    login(other, member.id_number, PASSWORD)
    here = app.test_client()
    _level_two(here, member, sms_inbox)
    before = here.get_cookie("shebao_session").value
    done = post_form(here, "/account/credentials", {"credential_id": str(cred_id)})
    assert done.status_code == 302
    assert _logged_in(here) and here.get_cookie("shebao_session").value != before
    assert not _logged_in(other)
    assert any("解绑" in m.body for m in _account_changes(app, person_id))


def test_a_phone_change_ends_the_other_sessions(app, member, sms_inbox):
    other = app.test_client()
    login(other, member.id_number, PASSWORD)
    here = app.test_client()
    login(here, member.id_number, PASSWORD)
    page = here.get("/account/phone")
    here.post("/account/phone", data={"send": "1", "csrf_token": csrf_token(page.text)})
    assert post_form(here, "/account/phone", {"code": last_code(sms_inbox(member.phone))}).status_code == 302
    new = fresh_phone()
    assert post_form(here, "/account/phone/new", {"phone": new}).status_code == 302
    done = post_form(here, "/account/phone/confirm", {"code": last_code(sms_inbox(new))})
    assert done.status_code == 200 and "已更换" in done.text
    assert _logged_in(here)
    assert not _logged_in(other)


def test_binding_a_wechat_account_ends_the_web_sessions(app, client, sandbox_url, member, sms_inbox):
    web = app.test_client()
    login(web, member.id_number, PASSWORD)
    _, tokens = bind_new_openid(client, sandbox_url, member, sms_inbox)
    assert not _logged_in(web)
    # The mini-program session that bound the account is the one that goes on.
    me = client.get("/api/v1/auth/me", headers={**MINI, "Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200


@pytest.fixture
def proxy_account(accounts, app, member):
    """A demo person to name as the member's proxy; the grant is taken back afterwards."""
    yield accounts[2]
    with committing(app) as db:
        db.execute(sa.delete(ProxyGrant).where(ProxyGrant.grantor_id == _person_id(app, member.id_number)))


def test_a_proxy_grant_ends_the_grantors_other_sessions(app, member, sms_inbox, proxy_account):
    other = app.test_client()
    login(other, member.id_number, PASSWORD)
    here = app.test_client()
    _level_two(here, member, sms_inbox)
    page = here.get("/account/proxies/")
    answer = here.post(
        "/account/proxies/",
        data={
            "csrf_token": csrf_token(page.text),
            "proxy_id_number": proxy_account.id_number,
            "proxy_name": proxy_account.name,
            "months": "6",
            "understood": "yes",
        },
    )
    assert answer.status_code == 302 and "done=granted" in answer.location
    assert _logged_in(here)
    assert not _logged_in(other)
