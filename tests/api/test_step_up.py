"""Reaching assurance level 3 from the mini-program (issue 14): the gate answers ``403 step_up_required``; the app
starts an e-SSC check, the holder approves on the e-SSC platform (the sandbox, same protocol), and the status
answers new level-3 tokens for the same channel — only for the person already logged in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from flask.testing import FlaskClient

from tests.api.test_service_api import ok, refused


def _approve(authorize_url: str, id_number: str, name: str) -> None:
    """What the holder does on the e-SSC platform's page: confirm with their card."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    assert query.get("mode") == "qr"  # the code goes to the gateway server to server, not through the app
    form = {k: query[k] for k in ("client_id", "redirect_uri", "state", "nonce", "mode") if k in query}
    form.update(aac002=id_number, aac003=name, aab301="610302", fault="")
    answer = requests.post(authorize_url.split("?")[0], data=form, timeout=5)
    assert answer.status_code == 200, answer.text


def test_a_level_2_login_steps_up_to_3_with_the_e_ssc(client: FlaskClient, caller) -> None:
    who = caller(level=2)
    refused(client.get("/api/v1/apply/pension-transfer-in", headers=who.headers), 403, "step_up_required")
    refused(client.post("/api/v1/auth/step-up/essc", headers={"X-Shebao-Channel": "miniprogram"}), 401)
    started = ok(client.post("/api/v1/auth/step-up/essc", headers=who.headers), 201)
    assert started["expires_in"] > 0
    poll = {"poll_token": started["poll_token"]}
    assert ok(client.post("/api/v1/auth/step-up/essc/status", json=poll, headers=who.headers))["status"] == "pending"
    _approve(started["authorize_url"], who.id_number, who.name)
    tokens = ok(client.post("/api/v1/auth/step-up/essc/status", json=poll, headers=who.headers))
    assert tokens["status"] == "ok" and tokens["assurance_level"] == 3
    stepped = {"Authorization": f"Bearer {tokens['access_token']}", "X-Shebao-Channel": "miniprogram"}
    assert ok(client.get("/api/v1/apply/pension-transfer-in", headers=stepped))["item"]["id"] == "pension-transfer-in"
    assert ok(client.get("/api/v1/auth/me", headers=stepped))["assurance_level"] == 3
    # The flow is spent: polling again is "expired", not a second pair of tokens.
    assert ok(client.post("/api/v1/auth/step-up/essc/status", json=poll, headers=who.headers))["status"] == "expired"


def test_another_persons_card_does_not_step_anyone_up(client: FlaskClient, caller) -> None:
    who, other = caller(level=2), caller(level=2)
    started = ok(client.post("/api/v1/auth/step-up/essc", headers=who.headers), 201)
    _approve(started["authorize_url"], other.id_number, other.name)
    error = refused(
        client.post(
            "/api/v1/auth/step-up/essc/status", json={"poll_token": started["poll_token"]}, headers=who.headers
        ),
        403,
        "essc_other_person",
    )
    assert "不一致" in error["message"]
    # A poll token of one channel's person is nobody else's: the other person's poll sees nothing.
    again = ok(client.post("/api/v1/auth/step-up/essc", headers=who.headers), 201)
    answer = ok(client.post("/api/v1/auth/step-up/essc/status", json={"poll_token": "nonsense"}, headers=who.headers))
    assert answer["status"] == "expired" and again["poll_token"] != started["poll_token"]
