"""The one service API (issue 14) over HTTP, as the mini-program calls it with its bearer token: applying in three
steps with an upload, risks confirmed, the one-time notice answered, the receipts; rights records and the pension
estimate; the account (login log, notification settings, unbinding, proxies). Each operation: it works, the gate
refuses a wrong level or another person's object, and bad input gets the error shape with a Chinese message.
The HTTP conventions too: idempotent replays, ETag/304 on public reads, ``no-store`` on personal answers."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from gateway import clock
from gateway.applications import service
from gateway.applications.models import ApplicationStatus
from tests.api.conftest import Caller
from tests.conftest import committing

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CLERK = service.Staff("s-api", "测试经办员", "养老保险科")


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refused(answer, status: int, code: str | None = None) -> dict:
    """The error shape with a Chinese message, and no-store like every personal answer."""
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    body = answer.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert chinese(body["error"]["message"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    assert answer.headers["Cache-Control"] in ("no-store", "private, no-store"), answer.headers
    return answer.get_json()


# ---------------------------------------------------------------- applying in three steps


def _fill_transfer_in(client: FlaskClient, who: Caller) -> dict:
    form = ok(client.get("/api/v1/apply/pension-transfer-in", headers=who.headers))
    assert form["steps"] == ["填写申请", "上传材料", "确认提交"] and form["draft"] is None
    assert [m["name"] for m in form["materials"]] == ["参保缴费凭证"]
    assert "*" in form["known"]["id_number"]  # masked (Art. 49)
    saved = ok(
        client.post(
            "/api/v1/apply/pension-transfer-in",
            json={"values": {"origin": "陕西省西安市", "phone": "13800138000"}},
            headers=who.headers,
        )
    )
    assert saved["draft"]["values"]["origin"] == "陕西省西安市"
    return saved


def test_apply_upload_and_submit_then_follow_it(client: FlaskClient, caller) -> None:
    who = caller()
    _fill_transfer_in(client, who)
    upload = client.post(
        "/api/v1/apply/pension-transfer-in/materials",
        data={"material": "参保缴费凭证", "file": (io.BytesIO(PDF), "凭证.pdf")},
        headers=who.headers,
        content_type="multipart/form-data",
    )
    draft = ok(upload, 201)
    assert [(m["material"], m["filename"]) for m in draft["materials"]] == [("参保缴费凭证", "凭证.pdf")]
    # The same content checks as the web: a program renamed to .pdf is refused by its content.
    fake = client.post(
        "/api/v1/apply/pension-transfer-in/materials",
        data={"material": "参保缴费凭证", "file": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "证明.pdf")},
        headers=who.headers,
        content_type="multipart/form-data",
    )
    refused(fake, 400)
    submitted = ok(client.post("/api/v1/apply/pension-transfer-in/submit", json={}, headers=who.headers), 201)
    assert submitted["number"].startswith("SQ") and submitted["status"] == "submitted"
    assert submitted["due_date"] is not None and submitted["receipts"] == []
    mine = ok(client.get("/api/v1/applications?page=1&page_size=5", headers=who.headers))
    assert mine["total"] >= 1 and mine["page_size"] == 5 and mine["applications"][0]["number"] == submitted["number"]
    # Submitted: no draft left, so uploading more is "fill in first".
    refused(client.post("/api/v1/apply/pension-transfer-in/submit", json={}, headers=who.headers), 404, "no_draft")


def test_a_bad_form_is_told_all_at_once_in_chinese(client: FlaskClient, caller) -> None:
    who = caller()
    error = refused(
        client.post("/api/v1/apply/pension-transfer-in", json={"values": {"phone": "12"}}, headers=who.headers), 400
    )
    assert error["code"] == "invalid_form" and error["message"].count("。") >= 2  # origin missing AND phone wrong
    refused(client.post("/api/v1/apply/pension-transfer-in", json=["x"], headers=who.headers), 400, "bad_request")
    refused(client.get("/api/v1/apply/no-such-item", headers=who.headers), 404)


def test_a_risky_item_needs_its_warning_confirmed(client: FlaskClient, caller) -> None:
    who = caller()
    form = ok(client.get("/api/v1/apply/pension-transfer-out", headers=who.headers))
    assert form["item"]["risky"] and form["risk_warning"]
    ok(
        client.post(
            "/api/v1/apply/pension-transfer-out",
            json={"values": {"destination": "四川省成都市", "phone": "13800138000"}},
            headers=who.headers,
        )
    )
    refused(
        client.post("/api/v1/apply/pension-transfer-out/submit", json={}, headers=who.headers),
        400,
        "risk_not_confirmed",
    )
    done = ok(
        client.post("/api/v1/apply/pension-transfer-out/submit", json={"confirm_risk": True}, headers=who.headers),
        201,
    )
    assert done["status"] == "submitted"


def test_the_gate_refuses_a_level_too_low_and_nobody(client: FlaskClient, caller) -> None:
    low = caller(level=2)
    refused(client.get("/api/v1/apply/pension-transfer-in", headers=low.headers), 403, "step_up_required")
    refused(client.get("/api/v1/apply/pension-transfer-in", headers={"X-Shebao-Channel": "miniprogram"}), 401)
    refused(client.get("/api/v1/rights/registrations", headers={"X-Shebao-Channel": "miniprogram"}), 401)
    level1 = caller(level=1)
    refused(client.get("/api/v1/rights/contributions", headers=level1.headers), 403, "step_up_required")
    # A token is good only on the channel it was issued for.
    kiosk = {**low.headers, "X-Shebao-Channel": "kiosk"}
    refused(client.get("/api/v1/rights/registrations", headers=kiosk), 401, "wrong_channel")
    # And the kiosk's channel policy has no account operations at all (gateway.channel_policy).
    refused(client.get("/api/v1/account/logins", headers=kiosk), 403, "channel_forbidden")


def _submitted(app, who: Caller, item_id: str = "pension-transfer-out"):
    """A submitted application of ``who`` made through the use case (the web and the API share it)."""
    from gateway.catalog import load_catalog

    item = load_catalog().get(item_id)
    with committing(app) as session:
        draft, errors = service.save_form(
            session,
            who.person_id,
            item,
            {"destination": "四川省成都市", "origin": "陕西省西安市", "phone": "13800138000"},
            now=clock.now(),
        )
        assert not errors
        submitted = service.submit(
            session,
            draft,
            backoffice=app.extensions["shebao_backoffice"],
            id_number=who.id_number,
            risk_confirmed=True,
            now=clock.now(),
        )
        return submitted.number


def test_supplement_after_a_one_time_notice_and_the_receipts(app, client: FlaskClient, caller) -> None:
    who = caller()
    number = _submitted(app, who)
    with committing(app) as session:
        row = service.by_number(session, number)
        service.accept(session, row, CLERK, now=clock.now())
        service.request_supplement(session, row, CLERK, ["转入地请写到市一级"], now=clock.now() + timedelta(seconds=1))
    detail = ok(client.get(f"/api/v1/applications/{number}", headers=who.headers))
    assert detail["notice"] == ["转入地请写到市一级"] and "acceptance_notice" in detail["receipts"]
    refused(client.post(f"/api/v1/applications/{number}/supplement", data={}, headers=who.headers), 400)
    answered = ok(
        client.post(
            f"/api/v1/applications/{number}/supplement",
            data={"note": "转入地为四川省成都市"},
            headers=who.headers,
            content_type="multipart/form-data",
        )
    )
    assert answered["status"] == ApplicationStatus.SUPPLEMENTED.value
    refused(
        client.post(
            f"/api/v1/applications/{number}/supplement",
            data={"note": "再补一次"},
            headers=who.headers,
            content_type="multipart/form-data",
        ),
        409,
    )
    pdf = client.get(f"/api/v1/applications/{number}/receipts/acceptance_notice", headers=who.headers)
    assert (
        pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "private, no-store"
    )
    refused(client.get(f"/api/v1/applications/{number}/receipts/result_notice", headers=who.headers), 409)
    refused(client.get(f"/api/v1/applications/{number}/receipts/nonsense", headers=who.headers), 404)
    # Another person's application does not exist for them — detail, supplement and receipts alike.
    other = caller()
    refused(client.get(f"/api/v1/applications/{number}", headers=other.headers), 404)
    refused(
        client.post(
            f"/api/v1/applications/{number}/supplement",
            data={"note": "x"},
            headers=other.headers,
            content_type="multipart/form-data",
        ),
        404,
    )
    refused(client.get(f"/api/v1/applications/{number}/receipts/acceptance_notice", headers=other.headers), 404)


def test_a_supplement_in_parts_answers_the_notice_once(app, client: FlaskClient, caller) -> None:
    """One file per request (wx.uploadFile): the parts wait, and only the final request answers the notice."""
    who = caller()
    number = _submitted(app, who, "pension-transfer-in")
    with committing(app) as session:
        row = service.by_number(session, number)
        service.request_supplement(session, row, CLERK, ["请补交参保缴费凭证"], now=clock.now())
    material = ok(client.get("/api/v1/apply/pension-transfer-in", headers=who.headers))["materials"][0]["name"]

    def send(**data):
        return client.post(
            f"/api/v1/applications/{number}/supplement",
            data=data,
            headers=who.headers,
            content_type="multipart/form-data",
        )

    # A part without a file is no part.
    refused(send(final="false", note="只有说明"), 400, "empty_supplement")
    part = ok(send(final="false", material=material, file=(io.BytesIO(PDF), "凭证.pdf")))
    assert part["status"] == ApplicationStatus.SUPPLEMENT_REQUESTED.value and part["notice"] == ["请补交参保缴费凭证"]
    assert [m["filename"] for m in part["materials"] if m["material"] == material] == ["凭证.pdf"]
    assert part["supplement_materials"] == [material]  # what the page offers to upload
    # The final request may carry only the note: the part sent before counts as the answer's file.
    done = ok(send(note="已补交凭证"))
    assert done["status"] == ApplicationStatus.SUPPLEMENTED.value and done["notice"] == []
    assert done["supplement_materials"] == []
    assert done["timeline"][-1]["note"] == "补正材料：1个文件；说明：已补交凭证"
    refused(send(final="false", material=material, file=(io.BytesIO(PDF), "又一份.pdf")), 409)


# ---------------------------------------------------------------- the face check (LD/T 01 5.4.3 a)


def test_eligibility_certification_with_the_face_check(client: FlaskClient, caller) -> None:
    import requests

    who = caller(status="retired")
    form = ok(client.get("/api/v1/apply/eligibility-certification", headers=who.headers))
    assert form["item"]["face_check"] and form["materials"] == [] and form["steps"][1] == "人脸识别"
    ok(
        client.post(
            "/api/v1/apply/eligibility-certification", json={"values": {"phone": "13800138000"}}, headers=who.headers
        )
    )
    refused(client.post("/api/v1/apply/eligibility-certification/submit", json={}, headers=who.headers), 409)
    started = ok(client.post("/api/v1/apply/eligibility-certification/face", headers=who.headers), 201)
    answered = requests.post(
        started["capture_url"], data={"verdict": "pass", "fault": ""}, allow_redirects=False, timeout=5
    )
    back = answered.headers["Location"]
    assert back.startswith(started["return_url"])
    where = urlsplit(back)
    returned = client.get(f"{where.path}?{where.query}")
    session_id = returned.get_json()["session_id"]
    assert returned.status_code == 200 and session_id.startswith("FC")
    refused(
        client.post(
            "/api/v1/apply/eligibility-certification/face/result",
            json={"session_id": session_id},
            headers=caller().headers,
        ),
        404,  # someone else's draft / check
    )
    result = ok(
        client.post(
            "/api/v1/apply/eligibility-certification/face/result", json={"session_id": session_id}, headers=who.headers
        )
    )
    assert result["passed"] is True
    done = ok(client.post("/api/v1/apply/eligibility-certification/submit", json={}, headers=who.headers), 201)
    assert done["status"] == "approved"


# ---------------------------------------------------------------- rights records and the pension estimate


def test_rights_records_paged(client: FlaskClient, caller) -> None:
    who = caller()
    registrations = ok(client.get("/api/v1/rights/registrations", headers=who.headers))
    assert registrations["registrations"] and "*" in registrations["name"]
    page = ok(client.get("/api/v1/rights/contributions?page=1&page_size=3", headers=who.headers))
    assert page["page"] == 1 and page["page_size"] == 3 and len(page["contributions"]) <= 3
    assert page["pages"] == max(1, -(-page["total"] // 3))
    beyond = ok(client.get(f"/api/v1/rights/contributions?page={page['pages'] + 1}&page_size=3", headers=who.headers))
    assert beyond["contributions"] == [] and beyond["total"] == page["total"]
    refused(client.get("/api/v1/rights/contributions?page=0", headers=who.headers), 400, "invalid_page")
    # One year's months, paged like the whole list (the web's year filter, issue 15).
    year = int(page["contributions"][0]["period"][:4]) - 1
    first = ok(client.get(f"/api/v1/rights/contributions?year={year}&page_size=5", headers=who.headers))
    rest = ok(client.get(f"/api/v1/rights/contributions?year={year}&page_size=5&page=2", headers=who.headers))
    periods = [c["period"] for c in first["contributions"] + rest["contributions"]]
    assert (
        first["total"] > 5
        and all(p.startswith(f"{year}-") for p in periods)
        and len(periods) == min(10, first["total"])
    )
    refused(client.get("/api/v1/rights/contributions?year=20x6", headers=who.headers), 400, "invalid_year")
    refused(client.get("/api/v1/rights/benefits?page_size=500", headers=who.headers), 400, "invalid_page")
    ok(client.get("/api/v1/rights/benefits", headers=who.headers))
    account = client.get("/api/v1/rights/account", headers=who.headers)
    assert account.status_code in (200, 404)


def test_pension_estimate(client: FlaskClient, caller) -> None:
    who = caller()
    mine = ok(client.get("/api/v1/pension-estimate", headers=who.headers))
    assert mine["inputs"]["age"] in (55, 60) and mine["total"] == f"{float(mine['basic']) + float(mine['account']):.2f}"
    chosen = ok(
        client.get("/api/v1/pension-estimate?months=240&age=60&index=1.0&average_wage=8000", headers=who.headers)
    )
    assert chosen["eligible"] and chosen["divisor"] == 139 and chosen["basic"] == "1600.00"
    error = refused(client.get("/api/v1/pension-estimate?age=99&index=abc", headers=who.headers), 400)
    assert "退休年龄" in error["message"] and "缴费指数" in error["message"]


# ---------------------------------------------------------------- 我的: login log, settings, unbinding, proxies


def test_login_log_and_notification_settings(client: FlaskClient, caller) -> None:
    who = caller()
    logins = ok(client.get("/api/v1/account/logins?page_size=5", headers=who.headers))
    assert set(logins) == {"page", "page_size", "pages", "total", "logins"}
    prefs = ok(client.get("/api/v1/account/notifications", headers=who.headers))
    kinds = {p["kind"]: p for p in prefs["preferences"]}
    assert "application_result" in kinds
    saved = ok(
        client.post(
            "/api/v1/account/notifications",
            json={"preferences": [{"kind": "application_result", "channels": ["inbox", "sms"]}]},
            headers=who.headers,
        )
    )
    assert {p["kind"]: p["channels"] for p in saved["preferences"]}["application_result"] == ["inbox", "sms"]
    error = refused(
        client.post(
            "/api/v1/account/notifications",
            json={"preferences": [{"kind": "application_result", "channels": ["sms"]}]},
            headers=who.headers,
        ),
        400,
    )
    assert "站内信" in error["message"]
    refused(
        client.post(
            "/api/v1/account/notifications", json={"preferences": [{"kind": "x", "channels": []}]}, headers=who.headers
        ),
        400,
    )


def test_unbinding_keeps_the_last_login_method(client: FlaskClient, caller) -> None:
    who = caller()
    creds = ok(client.get("/api/v1/account/credentials", headers=who.headers))["credentials"]
    other = caller()
    if creds:
        # Someone else's credential is "not found"; the only one left cannot go.
        refused(client.delete(f"/api/v1/account/credentials/{creds[0]['id']}", headers=other.headers), 404)
    refused(client.delete("/api/v1/account/credentials/999999", headers=who.headers), 404)
    low = caller(level=1)
    refused(client.delete("/api/v1/account/credentials/1", headers=low.headers), 403)


def test_proxies_grant_list_and_revoke(client: FlaskClient, caller) -> None:
    grantor = caller()
    proxy = caller()
    listed = ok(client.get("/api/v1/account/proxies", headers=grantor.headers))
    assert listed["granted"] == [] and listed["periods"] == [3, 6, 12]
    bad = {"proxy_id_number": "123", "proxy_name": proxy.name, "months": 6, "understood": True}
    refused(client.post("/api/v1/account/proxies", json=bad, headers=grantor.headers), 400)
    not_understood = {**bad, "proxy_id_number": proxy.id_number, "understood": False}
    refused(client.post("/api/v1/account/proxies", json=not_understood, headers=grantor.headers), 400, "not_understood")
    body = {**not_understood, "understood": True}
    granted = ok(client.post("/api/v1/account/proxies", json=body, headers=grantor.headers), 201)
    assert len(granted["granted"]) == 1 and "*" in granted["granted"][0]["name"]
    # Granting ended the grantor's other sessions — this token too — and the answer carries the new pair.
    tokens = granted["tokens"]
    assert tokens and tokens["access_token"]
    refused(client.get("/api/v1/account/proxies", headers=grantor.headers), 401, "session_revoked")
    renewed = {"Authorization": f"Bearer {tokens['access_token']}", "X-Shebao-Channel": "miniprogram"}
    assert ok(client.get("/api/v1/account/proxies", headers=renewed))["granted"]
    grant_id = granted["granted"][0]["id"]
    assert ok(client.get("/api/v1/account/proxies", headers=proxy.headers))["acting_for"][0]["id"] == grant_id
    refused(client.post(f"/api/v1/account/proxies/{grant_id}/revoke", headers=caller().headers), 404)
    revoked = ok(client.post(f"/api/v1/account/proxies/{grant_id}/revoke", headers=proxy.headers))
    assert revoked["acting_for"] == []


# ---------------------------------------------------------------- HTTP conventions


def test_an_idempotent_post_replayed_returns_the_first_answer(app, client: FlaskClient, caller) -> None:
    who = caller()
    key = {**who.headers, "Idempotency-Key": str(uuid.uuid4())}
    # Refused first (nothing to submit yet): the key is freed with the rolled-back work, so the same request
    # asks again later instead of replaying the refusal.
    refused(client.post("/api/v1/apply/pension-transfer-in/submit", json={}, headers=key), 404, "no_draft")
    _fill_transfer_in(client, who)
    # The person may hold applications from the back office's demo history: count only what this test adds.
    listed = ok(client.get("/api/v1/applications", headers=who.headers))["applications"]
    before = {a["number"] for a in listed}
    first = client.post("/api/v1/apply/pension-transfer-in/submit", json={}, headers=key)
    again = client.post("/api/v1/apply/pension-transfer-in/submit", json={}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cache-Control"] == "no-store"
    # Nothing was done twice: one application.
    numbers = [a["number"] for a in ok(client.get("/api/v1/applications", headers=who.headers))["applications"]]
    assert [n for n in numbers if n not in before] == [first.get_json()["number"]]
    # The same key with another body is a mistake: 422 in Chinese, not a replay and not a conflict.
    refused(
        client.post("/api/v1/apply/pension-transfer-in/submit", json={"confirm_risk": True}, headers=key),
        422,
        "idempotency_key_reused",
    )
    # A key is the caller's own: another person's request with it is theirs alone.
    other = caller()
    refused(
        client.post(
            "/api/v1/apply/pension-transfer-in/submit",
            json={},
            headers={**other.headers, "Idempotency-Key": key["Idempotency-Key"]},
        ),
        404,
        "no_draft",
    )
    refused(
        client.post(
            "/api/v1/apply/pension-transfer-in/submit", json={}, headers={**who.headers, "Idempotency-Key": "bad key"}
        ),
        400,
        "invalid_idempotency_key",
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/catalog",
        "/api/v1/catalog/pension-transfer-out",
        "/api/v1/appointments/halls?item=appointment-booking",
        "/api/v1/info/policies",
        "/api/v1/info/credit",
        "/api/v1/apply/items",
        "/api/v1/appointments/items",
    ],
)
def test_public_reads_answer_304_to_their_etag(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"] and "no-cache" in first.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    # The catalog differs per channel: the tag does too, and caches are told.
    if path == "/api/v1/catalog":
        mini = client.get(path, headers={"X-Shebao-Channel": "miniprogram"})
        assert mini.headers["ETag"] != first.headers["ETag"] and "X-Shebao-Channel" in first.headers["Vary"]


def test_personal_answers_are_not_stored(client: FlaskClient, caller) -> None:
    who = caller()
    for path in ("/api/v1/auth/me", "/api/v1/applications", "/api/v1/inbox", "/api/v1/account/proxies"):
        answer = client.get(path, headers=who.headers)
        assert answer.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in answer.headers
    assert client.get("/api/v1/apply/items").headers["Cache-Control"] == "public, no-cache"


def test_the_apply_list_offers_what_the_channel_carries(client: FlaskClient) -> None:
    from gateway.catalog import Channel, load_catalog

    web = {i["id"] for i in client.get("/api/v1/apply/items").get_json()["items"]}
    mini = client.get("/api/v1/apply/items", headers={"X-Shebao-Channel": "miniprogram"}).get_json()["items"]
    assert {i["id"] for i in mini} == {i for i in web if Channel.MINIPROGRAM in load_catalog().get(i).channels}
    # Today the mini-program carries every item that can be applied for online.
    assert {i["id"] for i in mini} == web and "pension-transfer-in" in web


def test_a_copy_sent_while_the_first_is_answered_is_told_to_wait(app, client: FlaskClient, caller) -> None:
    """A double tap: the first copy's claim is committed before its work begins, so the second sees it."""
    from gateway import idempotency

    who = caller()
    _fill_transfer_in(client, who)
    key = str(uuid.uuid4())
    body = b"{}"
    with committing(app) as session:
        found = idempotency.claim(
            session,
            f"miniprogram:person:{who.person_id}",
            key,
            idempotency.fingerprint("POST", "/api/v1/apply/pension-transfer-in/submit", body),
            clock.now(),
        )
        assert found.claim is idempotency.Claim.NEW
    headers = {**who.headers, "Idempotency-Key": key, "Content-Type": "application/json"}
    copy = client.post("/api/v1/apply/pension-transfer-in/submit", data=body, headers=headers)
    refused(copy, 409, "idempotency_in_flight")
    # Nothing was submitted by the copy: the draft is still there.
    assert ok(client.get("/api/v1/apply/pension-transfer-in", headers=who.headers))["draft"] is not None


def test_bookable_items_are_those_a_hall_takes_appointments_for(app, client: FlaskClient) -> None:
    """The mini-program's booking step 1 lists what the web and the console list (not what the mini-program
    itself handles: a window appointment is for an item handled at the window)."""
    from gateway.appointments import service as appointments

    with committing(app) as session:
        bookable = appointments.bookable_item_ids(session)
    listed = client.get("/api/v1/appointments/items", headers={"X-Shebao-Channel": "miniprogram"}).get_json()
    assert bookable and {i["id"] for i in listed["items"]} == bookable
