"""WeChat identities kept apart and joined correctly (issue 14), over HTTP against the WeChat sandbox: a
mini-program openid and a website-app openid are two credentials of one person, joined by unionid; a subscribe
message goes only to the mini-program openid that accepted its template, one message per acceptance, never to
the website openid; without an acceptance no WeChat message is sent and the inbox still gets it. And the
service agreement (LD/T 01 6.2.4) is accepted and recorded at the mini-program binding."""

from __future__ import annotations

import hashlib
import secrets

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gateway.identity.models import Credential, CredentialKind, EventKind, IdentityEvent
from gateway.identity.service import AGREEMENT_VERSION, find_person
from gateway.identity.wechat_ids import SubscribeGrant, WeChatApp, WeChatIdentity
from gateway.worker import build_dispatcher
from notify import Channel, MessageKind, MessageStatus, enqueue
from notify.clock import QuietHours
from notify.models import NotifyMessage
from tests.identity.test_social_logins import approve, callback_path
from tests.miniprogram.conftest import MINIPROGRAM, sms_code

REMINDER = "TPL_APPOINTMENT_REMINDER"


def _openid() -> str:
    return "o" + secrets.token_hex(13)


def web_unionid(web_openid: str) -> str:
    """The unionid the WeChat sandbox gives a website-login user (WeChat's is the same for one user's apps)."""
    return "u" + hashlib.sha256(web_openid.encode()).hexdigest()[:27]


def wx_code(sandbox_url: str, openid: str, unionid: str | None = None) -> str:
    body = {"openid": openid, "unionid": unionid}
    return requests.post(f"{sandbox_url}/wechat/sandbox/codes", json=body, timeout=5).json()["code"]


def mp_login(client, sandbox_url: str, openid: str, unionid: str | None = None) -> dict:
    return client.post("/api/v1/auth/wechat/login", json={"code": wx_code(sandbox_url, openid, unionid)}).get_json()


def mp_bind(client, sandbox_url: str, who, openid: str, unionid: str | None = None, **confirm) -> dict:
    first = mp_login(client, sandbox_url, openid, unionid)
    assert first["status"] == "unbound", first
    ticket = first["binding_ticket"]
    sent = client.post(
        "/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": who.id_number, "name": who.name},
    )
    assert sent.status_code == 202, sent.get_json()
    body = {"binding_ticket": ticket, "code": sms_code(sandbox_url, who.phone), "agreement_version": AGREEMENT_VERSION}
    body.update(confirm)
    done = client.post("/api/v1/auth/wechat/bind/confirm", json={k: v for k, v in body.items() if v is not None})
    return {"status_code": done.status_code, **done.get_json()}


def web_wechat_login(client, web_openid: str):
    """The website's WeChat QR login as a browser does it; the gateway's answer to the callback."""
    start = client.get("/account/wechat/start?next=/account/")
    assert start.status_code == 302
    return client.get(callback_path(approve(start.location, web_openid, "openid")))


def bearer(tokens: dict) -> dict:
    return {**MINIPROGRAM, "Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def db(app):
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


def wechat_credentials(db, app, who) -> dict[str, WeChatApp]:
    """The person's WeChat credentials: openid → the app that issued it."""
    db.expire_all()
    person = find_person(db, app.extensions["shebao_vault"], who.id_number)
    rows = db.execute(
        select(Credential.identifier, WeChatIdentity.app)
        .join(WeChatIdentity, WeChatIdentity.openid == Credential.identifier, isouter=True)
        .where(Credential.person_id == person.id, Credential.kind == CredentialKind.WECHAT)
    ).all()
    return dict(rows)


def test_a_website_login_joins_the_mini_program_binding_by_unionid(client, app, db, sandbox_url, worker):
    web_openid, mp_openid = _openid(), _openid()
    union = web_unionid(web_openid)
    assert mp_bind(client, sandbox_url, worker, mp_openid, union)["status"] == "ok"
    # The same WeChat user on the website: a different openid, the same unionid → straight in, no SMS binding.
    back = web_wechat_login(client, web_openid)
    assert back.status_code == 302 and back.location == "/account/", back.location
    assert "2 级" in client.get("/account/").get_data(as_text=True)
    # Two credentials of one person, each with its own app.
    assert wechat_credentials(db, app, worker) == {mp_openid: WeChatApp.MINIPROGRAM, web_openid: WeChatApp.WEBSITE}
    unions = set(db.scalars(select(WeChatIdentity.unionid).where(WeChatIdentity.openid.in_([web_openid, mp_openid]))))
    assert unions == {union}


def test_a_mini_program_login_joins_the_website_binding_by_unionid(client, app, db, sandbox_url, worker):
    from tests.identity.test_social_logins import bind_with_sms

    web_openid, mp_openid = _openid(), _openid()
    assert web_wechat_login(client, web_openid).location.endswith("/account/social/bind")

    def sms_inbox(phone: str) -> list[str]:
        got = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()
        return [m["text"] for m in got["messages"]]

    assert bind_with_sms(client, worker, sms_inbox).location == "/account/"
    # Another WeChat user (another unionid) is not joined: it must bind by itself.
    assert mp_login(client, sandbox_url, _openid(), "u-someone-else")["status"] == "unbound"
    joined = mp_login(client, sandbox_url, mp_openid, web_unionid(web_openid))
    assert joined["status"] == "ok" and joined["assurance_level"] == 2
    assert wechat_credentials(db, app, worker) == {web_openid: WeChatApp.WEBSITE, mp_openid: WeChatApp.MINIPROGRAM}
    assert client.get("/api/v1/auth/me", headers=bearer(joined)).status_code == 200


def _queue_reminder(app, who, key: str) -> None:
    with sessionmaker(bind=app.extensions["shebao_engine"])() as s:
        person = find_person(s, app.extensions["shebao_vault"], who.id_number)
        enqueue(
            s,
            person_id=person.id,
            kind=MessageKind.APPOINTMENT_REMINDER,
            template="appointment_reminder",
            params={"item": "养老保险关系转移", "hall": "市社保中心", "time": "2026-12-08 09:30", "code": "A123456"},
            idempotency_key=key,
        )
        s.commit()


def _dispatch(app, settings) -> None:
    dispatcher = build_dispatcher(settings, app.extensions["shebao_engine"], quiet_hours=QuietHours("off"))
    try:
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()


def _sent_to(sandbox_url: str, openid: str) -> list[dict]:
    got = requests.get(f"{sandbox_url}/wechat/sandbox/messages", params={"openid": openid}, timeout=5).json()
    return got["messages"]


def _rows(db, key: str) -> dict[Channel, NotifyMessage]:
    db.expire_all()
    return {m.channel: m for m in db.scalars(select(NotifyMessage).where(NotifyMessage.idempotency_key == key))}


def test_subscribe_messages_go_only_to_the_mini_program_openid_that_accepted(
    client, app, db, settings, sandbox_url, worker
):
    web_openid, mp_openid = _openid(), _openid()
    tokens = mp_bind(client, sandbox_url, worker, mp_openid, web_unionid(web_openid))
    assert web_wechat_login(client, web_openid).location == "/account/"
    # On the phone, WeChat records the person's "允许" for both openids (the website one could receive, if asked).
    for openid in (mp_openid, web_openid):
        requests.post(
            f"{sandbox_url}/wechat/sandbox/subscriptions",
            json={"openid": openid, "template_id": REMINDER, "count": 5},
            timeout=5,
        )
    # The templates the mini-program asks for after a booking are the ones the push platform uses.
    scenes = {s["scene"]: s for s in client.get("/api/v1/subscriptions/templates").get_json()["scenes"]}
    asked = [t["template_id"] for t in scenes["appointment"]["templates"]]
    assert REMINDER in asked and len(asked) <= 3

    headers = bearer(tokens)
    # The website openid cannot take subscriptions: it is not a mini-program login.
    refused = client.post(
        "/api/v1/subscriptions", headers=headers, json={"code": wx_code(sandbox_url, web_openid), "accepted": asked}
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "wechat_not_bound"
    # Another WeChat user's code does not record anything for this person.
    stranger = client.post(
        "/api/v1/subscriptions", headers=headers, json={"code": wx_code(sandbox_url, _openid()), "accepted": asked}
    )
    assert stranger.status_code == 403
    unknown = client.post(
        "/api/v1/subscriptions", headers=headers, json={"code": wx_code(sandbox_url, mp_openid), "accepted": ["X"]}
    )
    assert unknown.status_code == 400 and unknown.get_json()["error"]["code"] == "unknown_template"
    # The person allowed the reminder once.
    ok = client.post(
        "/api/v1/subscriptions", headers=headers, json={"code": wx_code(sandbox_url, mp_openid), "accepted": [REMINDER]}
    )
    assert ok.status_code == 200 and ok.get_json()["remaining"] == {REMINDER: 1}
    db.expire_all()
    assert db.scalar(select(SubscribeGrant.remaining).where(SubscribeGrant.openid == mp_openid)) == 1

    key = f"mp-grant-{mp_openid}"
    _queue_reminder(app, worker, key)
    _dispatch(app, settings)
    rows = _rows(db, key)
    assert (
        rows[Channel.WECHAT].status is MessageStatus.DELIVERED and rows[Channel.INBOX].status is MessageStatus.DELIVERED
    )
    sent = _sent_to(sandbox_url, mp_openid)
    assert [m["template_id"] for m in sent] == [REMINDER]
    assert sent[0]["data"]["character_string4"] == {"value": "A123456"}
    assert _sent_to(sandbox_url, web_openid) == []  # never the website openid
    db.expire_all()
    assert db.scalar(select(SubscribeGrant.remaining).where(SubscribeGrant.openid == mp_openid)) == 0

    # The one acceptance is used up: the next reminder reaches the inbox, and no WeChat message is sent.
    again = f"mp-grant-again-{mp_openid}"
    _queue_reminder(app, worker, again)
    _dispatch(app, settings)
    rows = _rows(db, again)
    assert rows[Channel.INBOX].status is MessageStatus.DELIVERED
    assert rows[Channel.WECHAT].status is MessageStatus.PERMANENT_FAILURE
    assert "未在小程序中订阅" in rows[Channel.WECHAT].last_error
    assert len(_sent_to(sandbox_url, mp_openid)) == 1 and _sent_to(sandbox_url, web_openid) == []


def test_no_acceptance_no_wechat_message_and_the_inbox_still_gets_it(client, app, db, settings, sandbox_url, worker):
    mp_openid = _openid()
    tokens = mp_bind(client, sandbox_url, worker, mp_openid)
    requests.post(  # WeChat would even accept it: the gateway still sends nothing the person did not allow it
        f"{sandbox_url}/wechat/sandbox/subscriptions",
        json={"openid": mp_openid, "template_id": REMINDER, "count": 1},
        timeout=5,
    )
    key = f"mp-nogrant-{mp_openid}"
    _queue_reminder(app, worker, key)
    _dispatch(app, settings)
    rows = _rows(db, key)
    assert rows[Channel.INBOX].status is MessageStatus.DELIVERED
    assert rows[Channel.WECHAT].status is MessageStatus.PERMANENT_FAILURE
    assert _sent_to(sandbox_url, mp_openid) == []
    inbox = client.get("/api/v1/inbox", headers=bearer(tokens)).get_json()
    assert "明日预约提醒：养老保险关系转移" in [m["title"] for m in inbox["items"]]


def test_an_acceptance_withdrawn_at_wechat_is_forgotten_and_a_failed_send_gives_it_back(
    client, app, db, settings, sandbox_url, worker
):
    mp_openid = _openid()
    tokens = mp_bind(client, sandbox_url, worker, mp_openid)
    code = wx_code(sandbox_url, mp_openid)
    body = {"code": code, "accepted": [REMINDER]}
    assert client.post("/api/v1/subscriptions", headers=bearer(tokens), json=body).status_code == 200
    # WeChat is busy once: the acceptance was not used, so it is there for the retry.
    requests.put(f"{sandbox_url}/wechat/sandbox/rules/{mp_openid}", json={"fail_times": 1, "errcode": -1}, timeout=5)
    key = f"mp-busy-{mp_openid}"
    _queue_reminder(app, worker, key)
    _dispatch(app, settings)
    assert _rows(db, key)[Channel.WECHAT].status is MessageStatus.TEMPORARY_FAILURE
    db.expire_all()
    assert db.scalar(select(SubscribeGrant.remaining).where(SubscribeGrant.openid == mp_openid)) == 1
    # Then WeChat says the person has no acceptance (43101: withdrawn in WeChat's settings): forgotten.
    requests.delete(f"{sandbox_url}/wechat/sandbox/rules/{mp_openid}", timeout=5)
    with sessionmaker(bind=app.extensions["shebao_engine"])() as s:
        row = s.scalar(
            select(NotifyMessage).where(NotifyMessage.idempotency_key == key, NotifyMessage.channel == "wechat")
        )
        row.next_attempt_at = row.created_at  # due now, without waiting out the backoff
        s.commit()
    _dispatch(app, settings)
    wechat = _rows(db, key)[Channel.WECHAT]
    assert wechat.status is MessageStatus.PERMANENT_FAILURE and "43101" in wechat.last_error
    db.expire_all()
    assert db.scalar(select(SubscribeGrant.remaining).where(SubscribeGrant.openid == mp_openid)) == 0


def test_the_service_agreement_is_accepted_and_recorded_at_binding(client, app, db, sandbox_url, worker):
    first = mp_login(client, sandbox_url, _openid())
    ticket = first["binding_ticket"]
    sent = client.post(
        "/api/v1/auth/wechat/bind/sms",
        json={"binding_ticket": ticket, "id_number": worker.id_number, "name": worker.name},
    )
    assert sent.status_code == 202
    body = {"binding_ticket": ticket, "code": sms_code(sandbox_url, worker.phone)}
    # Without the agreement, or with an old version of it, there is no binding (and the code is not spent).
    for version in (None, "2000.1"):
        extra = {} if version is None else {"agreement_version": version}
        refused = client.post("/api/v1/auth/wechat/bind/confirm", json={**body, **extra})
        assert refused.status_code == 400, refused.get_json()
        assert "服务协议" in refused.get_json()["error"]["message"]
    assert find_person(db, app.extensions["shebao_vault"], worker.id_number) is None

    done = client.post("/api/v1/auth/wechat/bind/confirm", json={**body, "agreement_version": AGREEMENT_VERSION})
    assert done.status_code == 200 and done.get_json()["status"] == "ok"
    db.expire_all()
    person = find_person(db, app.extensions["shebao_vault"], worker.id_number)
    # As the web's registration records it: the version and the time, and a line in the person's trail.
    assert person.agreement_version == AGREEMENT_VERSION and person.agreement_accepted_at is not None
    trail = db.scalars(
        select(IdentityEvent).where(IdentityEvent.person_id == person.id, IdentityEvent.kind == EventKind.OPERATION)
    ).all()
    assert any(e.detail == f"同意服务协议 {AGREEMENT_VERSION}" and e.channel == "miniprogram" for e in trail)


def test_the_mini_program_carries_the_agreement_version_the_server_accepts():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "channels/miniprogram/utils/agreement.js").read_text("utf-8")
    assert f"VERSION = '{AGREEMENT_VERSION}'" in source


def test_only_a_mini_program_login_makes_wechat_a_channel_for_notices(client, app, db, sandbox_url, worker):
    """A website (扫码) openid cannot receive a subscribe message, so it does not make WeChat a delivery channel;
    nothing is queued for WeChat that could only end as a failure."""
    from notify.preferences import delivery_channels, has_wechat
    from tests.identity.test_social_logins import bind_with_sms

    web_openid = _openid()
    assert web_wechat_login(client, web_openid).location.endswith("/account/social/bind")

    def sms_inbox(phone: str) -> list[str]:
        got = requests.get(f"{sandbox_url}/sms/sandbox/messages", params={"phone": phone}, timeout=5).json()
        return [m["text"] for m in got["messages"]]

    assert bind_with_sms(client, worker, sms_inbox).location == "/account/"
    db.expire_all()
    person = find_person(db, app.extensions["shebao_vault"], worker.id_number)
    assert not has_wechat(db, person.id)
    assert Channel.WECHAT not in delivery_channels(db, person.id, MessageKind.APPOINTMENT_REMINDER)

    assert mp_login(client, sandbox_url, _openid(), web_unionid(web_openid))["status"] == "ok"
    db.expire_all()
    assert has_wechat(db, person.id)
