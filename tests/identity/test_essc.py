"""e-SSC login (level 3): the authorization-code flow against the sandbox provider, forged and replayed
ID tokens refused, busiSeq confirmed server to server, and the QR flow for kiosks and PCs."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from gateway.identity.essc import verify_id_token
from gateway.identity.service import IdentityError, utcnow


def approve(location: str, who, fault: str = "", mode: str | None = None) -> requests.Response:
    """What the holder's phone does: open the authorization page and confirm."""
    page = requests.get(location, timeout=5)
    assert page.status_code == 200 and "电子社保卡授权" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    form = {k: query[k] for k in ("client_id", "redirect_uri", "state", "nonce") if k in query}
    if mode:
        form["mode"] = mode
    form.update(aac002=who.id_number, aac003=who.name, aab301="610302", fault=fault)
    return requests.post(location.split("?")[0], data=form, allow_redirects=False, timeout=5)


def _callback_path(resp: requests.Response) -> str:
    assert resp.status_code == 302, resp.text
    parts = urlsplit(resp.headers["Location"])
    return f"{parts.path}?{parts.query}"


def test_essc_web_login_reaches_level_3(client, insured):
    start = client.get("/account/essc/start?next=/account/")
    assert start.status_code == 302 and "/essc/authorize" in start.location
    query = parse_qs(urlsplit(start.location).query)
    assert query["state"] and query["nonce"] and query["response_type"] == ["code"]
    done = client.get(_callback_path(approve(start.location, insured)))
    assert done.status_code == 302 and done.location == "/account/"
    page = client.get("/account/").get_data(as_text=True)
    assert "3 级" in page and "电子社保卡" in page
    assert 'id="login-notice"' in page and "您已通过电子社保卡登录" in page  # told once that it worked


@pytest.mark.parametrize("fault", ["bad_signature", "wrong_audience", "expired"])
def test_broken_id_tokens_are_refused(client, insured, fault):
    start = client.get("/account/essc/start")
    resp = client.get(_callback_path(approve(start.location, insured, fault=fault)))
    assert resp.status_code == 400 and "电子社保卡认证未通过" in resp.get_data(as_text=True)
    assert client.get("/account/").status_code == 302  # not logged in


def test_replayed_authorization_is_refused(client, insured):
    """A second code for the same state and nonce (a replay of a finished flow) does not log in."""
    start = client.get("/account/essc/start")
    assert client.get(_callback_path(approve(start.location, insured))).status_code == 302
    client.delete_cookie("shebao_session")
    # The attacker replays the first authorization request's state/nonce with a fresh code.
    replay = client.get(_callback_path(approve(start.location, insured)))
    assert replay.status_code == 400
    assert client.get("/account/").status_code == 302


def test_callback_needs_the_state_this_browser_started(client, insured, app):
    start = client.get("/account/essc/start")
    path = _callback_path(approve(start.location, insured))
    other = app.test_client()  # a victim's browser fed the attacker's callback (login CSRF)
    assert other.get(path).status_code == 400


def test_unknown_card_holder_is_refused(client, insured):
    from tests.identity.conftest import Insured

    stranger = Insured("11010519491231002X", "无名氏", "13800000000")
    start = client.get("/account/essc/start")
    resp = client.get(_callback_path(approve(start.location, stranger)))
    assert resp.status_code == 400 and "未查询到" in resp.get_data(as_text=True)


def test_verify_id_token_rules():
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    jwks = {"keys": [key.as_dict(private=False)]}
    now = utcnow()
    base = {
        "iss": "https://essc.example",
        "aud": "gw",
        "exp": int(now.timestamp()) + 300,
        "nonce": "n1",
        "aac002": "X",
        "aac003": "Y",
        "busiSeq": "b",
        "signNo": "s",
    }
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, base, key)
    assert verify_id_token(token, jwks, "https://essc.example", "gw", "n1", now)["aac002"] == "X"
    with pytest.raises(IdentityError):
        verify_id_token(token, jwks, "https://essc.example", "gw", "other-nonce", now)
    with pytest.raises(IdentityError):
        verify_id_token(token, jwks, "https://essc.example", "gw", "n1", now + timedelta(minutes=10))
    # Algorithm confusion: an HMAC token, or an unsigned one, is never accepted (explicit RS256 list).
    hmac_token = jwt.encode({"alg": "HS256"}, base, OctKey.import_key("secret-secret-secret-secret-32b!"))
    unsigned = "eyJhbGciOiJub25lIn0." + token.split(".")[1] + "."
    for forged in (hmac_token, unsigned):
        with pytest.raises(IdentityError):
            verify_id_token(forged, jwks, "https://essc.example", "gw", "n1", now)


def test_qr_login_polls_until_the_phone_approves(client, insured):
    page = client.get("/account/essc/qr?next=/account/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'src="data:image/svg+xml' in html and "essc-qr.js" in html
    link = html.split('id="essc-qr-link" href="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get("/account/essc/qr/status").get_json() == {"status": "pending"}
    approved = approve(link, insured, mode="qr")
    assert approved.status_code == 200 and "已授权" in approved.text
    status = client.get("/account/essc/qr/status").get_json()
    assert status == {"status": "done", "next": "/account/"}
    assert "3 级" in client.get("/account/").get_data(as_text=True)


def test_qr_expires_after_two_minutes(client, app):
    import sqlalchemy as sa

    client.get("/account/essc/qr")
    with app.extensions["shebao_engine"].begin() as conn:
        conn.execute(
            sa.text("UPDATE auth_flow SET expires_at=:t WHERE kind='qr' AND status='pending'"),
            {"t": utcnow() - timedelta(seconds=1)},
        )
    status = client.get("/account/essc/qr/status").get_json()
    assert status["status"] == "expired" and "过期" in status["message"]
    time.sleep(0)  # nothing to wait for: expiry is by the stored time


def test_kiosk_qr_login_over_the_api(client, insured):
    kiosk = {"X-Shebao-Channel": "kiosk"}
    started = client.post("/api/v1/auth/essc/qr", headers=kiosk)
    assert started.status_code == 201
    body = started.get_json()
    assert body["expires_in"] == 120 and body["qr_svg"].startswith("data:image/svg+xml")
    poll = {"poll_token": body["poll_token"]}
    assert client.post("/api/v1/auth/essc/qr/status", json=poll, headers=kiosk).get_json() == {"status": "pending"}
    # Knowing the state in the QR is not enough to collect the tokens: polling needs the terminal's secret.
    assert client.post("/api/v1/auth/essc/qr/status", json={"poll_token": "guess"}).get_json()["status"] == "expired"
    assert approve(body["authorize_url"], insured, mode="qr").status_code == 200
    done = client.post("/api/v1/auth/essc/qr/status", json=poll, headers=kiosk).get_json()
    assert done["status"] == "ok" and done["assurance_level"] == 3 and done["expires_in"] == 90
    me = client.get("/api/v1/auth/me", headers={**kiosk, "Authorization": f"Bearer {done['access_token']}"}).get_json()
    assert me["assurance_level"] == 3
    # A finished QR cannot be collected twice.
    assert client.post("/api/v1/auth/essc/qr/status", json=poll, headers=kiosk).get_json()["status"] == "expired"


def test_hotline_channel_is_not_offered_the_qr(client):
    resp = client.post("/api/v1/auth/essc/qr", headers={"X-Shebao-Channel": "hotline"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "method_not_allowed"
