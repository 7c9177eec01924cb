"""The inbox and applications JSON views answer a mini-program's bearer token as well as the web's cookie
(``gateway.api.auth.api_identity``)."""

from __future__ import annotations

from gateway.applications import service
from gateway.catalog import load_catalog
from gateway.clock import local_now
from gateway.identity.service import find_person
from gateway.worker import build_dispatcher
from notify import MessageKind, enqueue
from notify.clock import QuietHours
from tests.applications.conftest import passed_face_check


def test_inbox_and_applications_with_a_bearer_token(client, bearer, worker, db, app, settings):
    headers = bearer(worker.id_number, worker.name)
    person = find_person(db, app.extensions["shebao_vault"], worker.id_number)
    item = load_catalog().get("eligibility-certification")
    draft, errors = service.save_form(db, person.id, item, {"phone": "13800138000"}, now=local_now())
    assert errors == []
    passed_face_check(db, draft, local_now())  # the certification needs one (LD/T 01 5.4.3 a)
    service.submit(
        db,
        draft,
        backoffice=app.extensions["shebao_backoffice"],
        id_number=worker.id_number,
        risk_confirmed=False,
        now=local_now(),
    )
    db.commit()
    listed = client.get("/api/v1/applications", headers=headers)
    assert listed.status_code == 200
    numbers = [a["number"] for a in listed.get_json()["applications"]]
    assert numbers == [draft.number]
    detail = client.get(f"/api/v1/applications/{draft.number}", headers=headers).get_json()
    assert [t["status"] for t in detail["timeline"]][0] == "submitted"

    enqueue(
        db,
        person_id=person.id,
        kind=MessageKind.POLICY,
        template="policy",
        params={"title": "政策提示", "summary": "养老保险待遇资格认证可在网上办理。"},
        idempotency_key=f"mp-token-{person.id}",
    )
    db.commit()
    dispatcher = build_dispatcher(settings, app.extensions["shebao_engine"], quiet_hours=QuietHours("off"))
    try:
        dispatcher.run_until_idle()
    finally:
        dispatcher.close()
    inbox = client.get("/api/v1/inbox", headers=headers).get_json()
    titles = [m["title"] for m in inbox["items"]]
    assert "政策提示" in titles and inbox["unread"] == len(titles) == inbox["total"]
    opened = client.get(f"/api/v1/inbox/{inbox['items'][0]['id']}", headers=headers)
    assert opened.status_code == 200 and opened.get_json()["read"] is True
    assert client.get("/api/v1/inbox", headers=headers).get_json()["unread"] == len(titles) - 1


def test_a_bad_token_is_refused_not_ignored(client, bearer, person):
    # Without the token the views would answer "login_required"; a bad token must say it is bad, so the
    # mini-program knows to rotate its refresh token.
    for path in ("/api/v1/inbox", "/api/v1/applications"):
        bad = client.get(path, headers={"Authorization": "Bearer x.y.z", "X-Shebao-Channel": "miniprogram"})
        assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_access_token", path
        kiosk = {**bearer(person.id_number, person.name), "X-Shebao-Channel": "kiosk"}
        assert client.get(path, headers=kiosk).get_json()["error"]["code"] == "wrong_channel", path
    # The anonymous progress lookup is not affected by the absence of a token.
    assert client.post("/api/v1/progress/lookup", json={"number": "SQ1", "id_number": "1"}).status_code == 404
