"""Pending registrations, password resets and phone changes hold ID and phone numbers in the server-side session
until their SMS code comes back: the stored session row shows none of them (Regulation Art. 49; ASVS 5.0 V14.2),
and the flows still finish (the data is sealed with the ``web_session.data`` purpose key, bound to its row)."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.identity.service import AGREEMENT_VERSION
from gateway.identity.web_sessions import SessionCodec
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET, login
from tests.identity.conftest import PASSWORD, last_code, post_form
from tests.identity.test_account_manage import fresh_phone


def _raw_sessions(app) -> list[str]:
    with app.extensions["shebao_engine"].connect() as conn:
        return list(conn.execute(sa.text("SELECT data FROM web_session")).scalars())


def _assert_not_in_clear(app, *secrets_: str) -> None:
    rows = _raw_sessions(app)
    assert rows, "no session was stored"
    for row in rows:
        for value in secrets_:
            assert value not in row
            assert value[-6:] not in row  # not even the tail


def test_pending_registration_keeps_no_id_or_phone_in_clear(app, client, insured, sms_inbox):
    form = {
        "id_number": insured.id_number,
        "name": insured.name,
        "phone": insured.phone,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "agree": "y",
        "agreement_version": AGREEMENT_VERSION,
    }
    assert post_form(client, "/account/register", form).status_code == 302
    _assert_not_in_clear(app, insured.id_number, insured.phone, insured.name)
    done = post_form(client, "/account/register/code", {"code": last_code(sms_inbox(insured.phone))})
    assert done.status_code == 200 and "注册成功" in done.get_data(as_text=True)


def test_pending_reset_keeps_no_id_or_phone_in_clear(app, client, member, sms_inbox):
    resp = post_form(client, "/account/reset", {"id_number": member.id_number, "name": member.name})
    assert resp.status_code == 302
    _assert_not_in_clear(app, member.id_number, member.phone)
    new = "Kx9#mTq2vLw!"
    done = post_form(
        client,
        "/account/reset/code",
        {"code": last_code(sms_inbox(member.phone)), "password": new, "password_again": new},
    )
    assert done.status_code == 200


def test_pending_phone_change_keeps_no_phone_in_clear(app, client, member, sms_inbox):
    assert login(client, member.id_number, PASSWORD).status_code == 302
    page = client.get("/account/phone")
    from tests.conftest import csrf_token

    client.post("/account/phone", data={"send": "1", "csrf_token": csrf_token(page.get_data(as_text=True))})
    ok = post_form(client, "/account/phone", {"code": last_code(sms_inbox(member.phone))})
    assert ok.status_code == 302
    new = fresh_phone()
    assert post_form(client, "/account/phone/new", {"phone": new}).status_code == 302
    _assert_not_in_clear(app, new, member.id_number)
    done = post_form(client, "/account/phone/confirm", {"code": last_code(sms_inbox(new))})
    assert done.status_code == 200


def test_a_sealed_session_opens_only_under_its_own_key():
    codec = SessionCodec(PiiVault(TEST_SECRET))
    stored = codec.dump("a" * 64, {"pending_reset": {"id_number": "11010519491231002X"}})
    assert "11010519491231002X" not in stored
    assert codec.load("a" * 64, stored) == {"pending_reset": {"id_number": "11010519491231002X"}}
    assert codec.load("b" * 64, stored) is None  # copied to another session's row: nothing
    # A session written in clear before the change is still read (and sealed when next saved).
    assert codec.load("a" * 64, '{"person_id": 5}') == {"person_id": 5}
