"""Mini-program login over HTTP: wx.login code → code2Session (WeChat sandbox) → tokens; binding an
unbound openid with an SMS code; refresh-token rotation and family revocation on reuse."""

from __future__ import annotations

from datetime import timedelta

import requests

from gateway.clock import ShiftedClock, set_clock
from gateway.identity.service import AGREEMENT_VERSION, IdentityError, utcnow
from gateway.identity.tokens import REFRESH_GRACE, read_access_token
from tests.conftest import TEST_SECRET
from tests.identity.conftest import last_code


def mint_code(sandbox_url: str, openid: str | None = None) -> tuple[str, str]:
    """What wx.login gives the mini-program: a one-time code (for a given or a new openid)."""
    body = {"openid": openid} if openid else {}
    data = requests.post(f"{sandbox_url}/wechat/sandbox/codes", json=body, timeout=5).json()
    return data["code"], data["openid"]


def bind_new_openid(client, sandbox_url, insured, sms_inbox) -> tuple[str, dict]:
    code, openid = mint_code(sandbox_url)
    first = client.post("/api/v1/auth/wechat/login", json={"code": code}).get_json()
    assert first["status"] == "unbound" and "access_token" not in first
    ticket = first["binding_ticket"]
    sent = client.post(
        "/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": insured.id_number, "name": insured.name},
    )
    assert sent.status_code == 202 and sent.get_json()["phone"].startswith(insured.phone[:3])
    done = client.post(
        "/api/v1/auth/wechat/bind/confirm",
        json={
            "binding_ticket": ticket,
            "code": last_code(sms_inbox(insured.phone)),
            "agreement_version": AGREEMENT_VERSION,
        },
    )
    assert done.status_code == 200, done.get_json()
    return openid, done.get_json()


def test_unbound_openid_sees_nothing_until_bound_then_logs_in(client, sandbox_url, insured, sms_inbox):
    code, _ = mint_code(sandbox_url)
    unbound = client.post("/api/v1/auth/wechat/login", json={"code": code}).get_json()
    # The binding ticket is not an access token: no personal data with it.
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {unbound['binding_ticket']}"})
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "invalid_access_token"
    assert client.get("/api/v1/auth/me").status_code == 401

    openid, tokens = bind_new_openid(client, sandbox_url, insured, sms_inbox)
    assert tokens["assurance_level"] == 2 and tokens["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}", "X-Shebao-Channel": "miniprogram"}
    me = client.get("/api/v1/auth/me", headers=bearer).get_json()
    assert me["assurance_level"] == 2 and "*" in me["id_number"] and insured.id_number not in str(me)
    # The mini-program's token is not accepted by another channel (e.g. a kiosk).
    kiosk = {**bearer, "X-Shebao-Channel": "kiosk"}
    assert client.get("/api/v1/auth/me", headers=kiosk).get_json()["error"]["code"] == "wrong_channel"
    # Next time the same openid logs straight in.
    again = client.post("/api/v1/auth/wechat/login", json={"code": mint_code(sandbox_url, openid)[0]}).get_json()
    assert again["status"] == "ok" and again["access_token"]


def test_a_replayed_wx_login_code_is_refused(client, sandbox_url):
    code, _ = mint_code(sandbox_url)
    assert client.post("/api/v1/auth/wechat/login", json={"code": code}).status_code == 200
    replay = client.post("/api/v1/auth/wechat/login", json={"code": code})
    assert replay.status_code == 400 and replay.get_json()["error"]["code"] == "invalid_code"
    assert "登录凭证无效" in replay.get_json()["error"]["message"]


def test_binding_refuses_a_mismatch_and_a_wrong_code(client, sandbox_url, insured, sms_inbox):
    code, _ = mint_code(sandbox_url)
    ticket = client.post("/api/v1/auth/wechat/login", json={"code": code}).get_json()["binding_ticket"]
    wrong_name = client.post(
        "/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": insured.id_number, "name": "张冒名"},
    )
    assert wrong_name.status_code == 400 and "不一致" in wrong_name.get_json()["error"]["message"]
    client.post(
        "/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": insured.id_number, "name": insured.name},
    )
    right = last_code(sms_inbox(insured.phone))
    bad = client.post(
        "/api/v1/auth/wechat/bind/confirm",
        json={
            "binding_ticket": ticket,
            "code": f"{(int(right) + 1) % 1_000_000:06d}",
            "agreement_version": AGREEMENT_VERSION,
        },
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_sms_code"


def test_refresh_rotates_and_reuse_revokes_the_family(client, sandbox_url, insured, sms_inbox):
    _, tokens = bind_new_openid(client, sandbox_url, insured, sms_inbox)
    first = tokens["refresh_token"]
    rotated = client.post("/api/v1/auth/token/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.get_json()["refresh_token"]
    assert second != first
    # The old token again, past the grace for parallel refreshes: someone copied it. The whole family dies, the
    # thief's and the owner's.
    with set_clock(ShiftedClock(REFRESH_GRACE + timedelta(seconds=1))):
        reused = client.post("/api/v1/auth/token/refresh", json={"refresh_token": first})
    assert reused.status_code == 401 and reused.get_json()["error"]["code"] == "refresh_reused"
    after = client.post("/api/v1/auth/token/refresh", json={"refresh_token": second})
    assert after.status_code == 401 and after.get_json()["error"]["code"] == "invalid_refresh_token"


def test_access_tokens_expire_and_name_their_algorithm():
    import pytest
    from joserfc import jwt

    from gateway.identity import tokens as t

    token = t._access_token(TEST_SECRET, 1, 2, "miniprogram", utcnow())
    assert read_access_token(TEST_SECRET, token).level == 2
    with pytest.raises(IdentityError):
        read_access_token(TEST_SECRET, token, now=utcnow() + timedelta(minutes=11))
    # A kiosk token lives no longer than the kiosk's idle timeout (90 s).
    kiosk = t._access_token(TEST_SECRET, 1, 3, "kiosk", utcnow())
    assert read_access_token(TEST_SECRET, kiosk, now=utcnow() + timedelta(seconds=60)).channel == "kiosk"
    with pytest.raises(IdentityError):
        read_access_token(TEST_SECRET, kiosk, now=utcnow() + timedelta(seconds=100))
    with pytest.raises(IdentityError):  # signed with another key
        read_access_token("another-secret-that-is-long-enough-0123456789", token)
    # An unsigned token ("alg": "none") is refused: the algorithm list is explicit.
    header, payload, _ = token.split(".")
    with pytest.raises(IdentityError):
        read_access_token(TEST_SECRET, "eyJhbGciOiJub25lIn0." + payload + ".")
    # Nor does a validly signed token with the wrong type pass (a binding ticket is never an access token).
    other = jwt.encode({"alg": "HS256"}, {"sub": "1", "typ": "bind", "iss": t.ISSUER, "exp": 4e9}, t._key(TEST_SECRET))
    with pytest.raises(IdentityError):
        read_access_token(TEST_SECRET, other)


def test_openapi_lists_the_auth_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/auth/wechat/login" in doc["paths"] and "AuthTokens" in doc["components"]["schemas"]


def _ticket(client, sandbox_url) -> str:
    code, _ = mint_code(sandbox_url)
    return client.post("/api/v1/auth/wechat/login", json={"code": code}).get_json()["binding_ticket"]


def _claim(client, ticket: str, id_number: str, name: str):
    return client.post(
        "/api/v1/auth/wechat/bind/sms", json={"binding_ticket": ticket, "id_number": id_number, "name": name}
    )


def test_a_binding_ticket_allows_only_a_few_wrong_names(client, sandbox_url, insured):
    from gateway.identity.binding import MAX_TRIES_PER_TICKET

    ticket = _ticket(client, sandbox_url)
    for guess in range(MAX_TRIES_PER_TICKET):
        assert _claim(client, ticket, insured.id_number, f"猜名{guess}").status_code == 400
    # Even the right name is refused now: the ticket is no oracle for which name goes with the number.
    stopped = _claim(client, ticket, insured.id_number, insured.name)
    assert stopped.status_code == 429 and stopped.get_json()["error"]["code"] == "binding_too_many"


def test_one_id_number_allows_only_a_few_wrong_names_across_tickets(client, sandbox_url, insured):
    from gateway.identity.binding import MAX_TRIES_PER_PERSON

    for guess in range(MAX_TRIES_PER_PERSON):
        assert _claim(client, _ticket(client, sandbox_url), insured.id_number, f"猜名{guess}").status_code == 400
    stopped = _claim(client, _ticket(client, sandbox_url), insured.id_number, insured.name)
    assert stopped.status_code == 429 and stopped.get_json()["error"]["code"] == "binding_too_many"


def test_two_refreshes_at_once_both_go_on(client, sandbox_url, insured, sms_inbox):
    """Two pages waking together send the same refresh token: within the grace both get a session, and the
    owner is not logged out (RFC 9700 4.14.2)."""
    _, tokens = bind_new_openid(client, sandbox_url, insured, sms_inbox)
    first = client.post("/api/v1/auth/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    twin = client.post("/api/v1/auth/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200 and twin.status_code == 200, twin.get_json()
    for answer in (first, twin):
        onward = client.post("/api/v1/auth/token/refresh", json={"refresh_token": answer.get_json()["refresh_token"]})
        assert onward.status_code == 200
