"""The services of LD/T 01 5.4.3: eligibility certification with a face check (a), transfer progress (b, 7.1.2),
the overseas exemption certificate (c) and the card status lookup (e). Unit tests of the rules, then HTTP."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from gateway.applications import card_status, face_check, service, transfers
from gateway.applications.face_check import FaceCheck, FaceCheckStatus
from gateway.applications.models import ApplicationStatus
from gateway.backoffice.interface import BackOffice, PersonRecord, TransferRecord
from gateway.backoffice.models import CardStatus, PersonStatus, Scheme, TransferDirection, TransferStatus
from gateway.catalog import load_catalog
from gateway.config import ConfigError, Settings
from gateway.problems import UserError
from sandboxes.face_check import sign
from tests.applications.conftest import NOW, essc_login, face_check_in_sandbox
from tests.conftest import csrf_token

ITEM = "eligibility-certification"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET = "sandbox-face-secret"
TRANSFER_DEMO = ("510107199109210353", "陈晓东")


def post(client, path: str, data: dict, **kw):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))}, **kw)


# ---------------------------------------------------------------- unit: the signed verdict


#: One instant for the verdicts and the check, so a parameter built when the module loads is as fresh when a slow
#: run gets to it.
CHECK_TS = int(time.time())


def _result(**over) -> dict:
    body = {
        "app_key": "shebao-gateway",
        "session_id": "FC" + "a" * 24,
        "id_number": "610323196208150131",
        "name": "赵建国",
        "verdict": "pass",
        "score": 0.97,
        "checked_at": CHECK_TS,
    }
    return {**body, **over}


def _verify(result: dict, signature: str | None = None, **over):
    args = {
        "secret": SECRET,
        "app_key": "shebao-gateway",
        "session_id": "FC" + "a" * 24,
        "id_number": "610323196208150131",
        "now_ts": CHECK_TS,
        **over,
    }
    return face_check.verify(result, sign(result, SECRET) if signature is None else signature, **args)


def test_a_correctly_signed_fresh_verdict_for_this_person_is_trusted():
    verdict = _verify(_result())
    assert verdict.passed and verdict.score == pytest.approx(0.97)
    assert not _verify(_result(verdict="fail", score=0.3)).passed


@pytest.mark.parametrize(
    ("result", "signature", "over", "code"),
    [
        (_result(), sign(_result(), "not-the-secret"), {}, "face_check_forged"),
        # The body changed after signing (a "fail" turned into a "pass").
        (_result(verdict="pass"), sign(_result(verdict="fail"), SECRET), {}, "face_check_forged"),
        (_result(), None, {"session_id": "FC" + "b" * 24}, "face_check_mismatch"),
        (_result(app_key="someone-else"), None, {}, "face_check_mismatch"),
        (_result(), None, {"id_number": "610302198805120210"}, "face_check_wrong_person"),
        (_result(checked_at=CHECK_TS - face_check.MAX_AGE_S - 5), None, {}, "face_check_expired"),
        (_result(checked_at=CHECK_TS + 600), None, {}, "face_check_expired"),
        (_result(verdict="maybe"), None, {}, "face_check_unknown"),
    ],
)
def test_a_verdict_is_refused_when_any_check_fails(result, signature, over, code):
    with pytest.raises(UserError) as exc:
        _verify(result, signature, **over)
    assert exc.value.code == code and exc.value.message


def test_production_refuses_the_sandbox_face_check_secret():
    base = Settings(env="production", secret_key="x" * 40, secret_from_env=True)
    real = {
        name: "real"
        for name in (
            "essc_client_secret",
            "sms_api_key",
            "wechat_secret",
            "wechat_web_secret",
            "alipay_app_private_key",
            "alipay_public_key",
        )
    }
    with pytest.raises(ConfigError, match="SHEBAO_FACE_CHECK_APP_SECRET"):
        replace(base, **real).check()
    replace(base, **real, face_check_app_secret="real").check()


def test_submitting_a_certification_without_a_passed_check_is_refused(db, backoffice, gateway_person, take):
    who = take("retired")
    person = gateway_person(who.id_number)
    app, errors = service.save_form(db, person.id, load_catalog().get(ITEM), {"phone": "13800138000"}, now=NOW)
    assert errors == []
    with pytest.raises(UserError) as exc:
        service.submit(db, app, backoffice=backoffice, id_number=who.id_number, risk_confirmed=False, now=NOW)
    assert exc.value.code == "face_check_required"
    db.rollback()
    assert app.status is ApplicationStatus.DRAFT and app.number is None


# ---------------------------------------------------------------- unit: transfer stages, card status


def _transfer(**dates) -> TransferRecord:
    return TransferRecord(
        scheme=Scheme.PENSION,
        direction=TransferDirection.IN,
        other_region_name="陕西省西安市",
        status=TransferStatus.IN_PROGRESS,
        applied_on=date(2026, 11, 9),
        completed_on=dates.pop("completed_on", None),
        **dates,
    )


def test_transfer_stages_follow_the_back_office_dates():
    progress = transfers.progress_of(_transfer(reviewed_on=date(2026, 11, 12), certificate_on=date(2026, 11, 16)))
    assert [s.label for s in progress.stages] == ["转出地审核", "开具参保缴费凭证", "转入地接收", "基金划转", "办结"]
    assert [s.state for s in progress.stages] == ["已完成", "已完成", "办理中", "未开始", "未开始"]
    assert progress.current.label == "转入地接收" and not progress.finished
    done = transfers.progress_of(
        _transfer(
            reviewed_on=date(2026, 11, 10),
            certificate_on=date(2026, 11, 12),
            received_on=date(2026, 11, 15),
            funds_on=date(2026, 11, 18),
            completed_on=date(2026, 11, 20),
        )
    )
    assert done.finished and done.current is None
    waiting = transfers.progress_of(None)
    assert waiting.current.label == "转出地审核" and waiting.record is None


class _Transfers(BackOffice):
    """Only what ``for_application`` asks: the person's transfers."""

    def __init__(self, records):
        self.records = records

    def transfers(self, id_number):
        return self.records

    ping = find_person = find_unit = registrations = contributions = account = benefit_payments = None


def test_an_application_follows_the_transfer_the_back_office_opened_after_it(db, gateway_person, take):
    who = take("working", employed=True)
    person = gateway_person(who.id_number)
    item = load_catalog().get("pension-transfer-in")
    app, _ = service.save_form(db, person.id, item, {"phone": "13800138000", "origin": "陕西省西安市"}, now=NOW)
    app.submitted_at = NOW
    older = replace(_transfer(), applied_on=date(2026, 5, 1), reviewed_on=date(2026, 5, 3))
    ours = replace(_transfer(), applied_on=NOW.date(), reviewed_on=NOW.date())
    medical = replace(_transfer(), scheme=Scheme.MEDICAL, applied_on=NOW.date())
    progress = transfers.for_application(_Transfers([medical, ours, older]), who.id_number, app)
    assert progress.record is ours and progress.current.label == "开具参保缴费凭证"
    assert transfers.for_application(_Transfers([older]), who.id_number, app).record is None
    app.item_id = ITEM
    assert transfers.for_application(_Transfers([ours]), who.id_number, app) is None
    db.rollback()


def _card(status: CardStatus, **over) -> PersonRecord:
    base = PersonRecord(
        id_number="610323196208150131",
        name="赵建国",
        birth_date=date(1962, 8, 15),
        gender="M",
        phone="13800138000",
        region="610302",
        status=PersonStatus.RETIRED,
        unit_name=None,
        card_number="A12345678",
        card_status=status,
    )
    return replace(base, **over)


def test_card_status_masks_the_number_and_shows_the_steps_of_making_a_card():
    making = card_status.view_of(
        _card(CardStatus.MAKING, card_applied_on=date(2026, 11, 1), card_made_on=date(2026, 11, 8), card_branch="网点")
    )
    assert making.number_masked == "A1*****78" and making.holder_masked == "赵**"
    assert [(s.label, s.done_on is not None, s.current) for s in making.steps] == [
        ("申请受理", True, False),
        ("制卡", True, False),
        ("发往领卡网点", False, True),
        ("领卡启用", False, False),
    ]
    active = card_status.view_of(_card(CardStatus.ACTIVE))
    assert active.steps == () and active.status.label == "正常"
    assert card_status.card_json(card_status.view_of(_card(CardStatus.LOST)))["status_label"] == "挂失"


# ---------------------------------------------------------------- HTTP: eligibility certification with the face check


def _fill(client):
    resp = post(client, f"/services/{ITEM}/apply", {"phone": "13800138000"})
    assert resp.status_code == 302 and resp.location.endswith(f"/services/{ITEM}/apply/face")


def _checks(db, person_id: int) -> list[FaceCheck]:
    db.expire_all()
    return list(db.scalars(select(FaceCheck).where(FaceCheck.person_id == person_id).order_by(FaceCheck.id)))


def test_a_passed_face_check_lets_the_retiree_certify_and_the_back_office_records_the_year(
    client, take, backoffice, db, gateway_person
):
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    fill = client.get(f"/services/{ITEM}/apply").get_data(as_text=True)
    assert "人脸识别" in fill and "下一步：人脸识别" in fill and "上传材料" not in fill
    _fill(client)
    # The uploads step and the confirm step both send the person to the face check first.
    assert client.get(f"/services/{ITEM}/apply/materials").location.endswith(f"/services/{ITEM}/apply/face")
    assert client.get(f"/services/{ITEM}/apply/confirm").location.endswith(f"/services/{ITEM}/apply/face")
    back = face_check_in_sandbox(client, ITEM)
    assert back.status_code == 302 and back.location.endswith(f"/services/{ITEM}/apply/confirm")
    confirm = client.get(back.location).get_data(as_text=True)
    assert 'aria-current="step" class="current"><span class="step-no">3</span>确认提交' in confirm
    done = post(client, f"/services/{ITEM}/apply/confirm", {})
    assert done.status_code == 302 and "/progress/SQ" in done.location
    page = client.get(done.location).get_data(as_text=True)
    assert "资格认证通过，有效期至" in page and "人脸识别核验通过" in page
    person = gateway_person(who.id_number)
    [check] = _checks(db, person.id)
    assert check.status is FaceCheckStatus.PASSED and check.used_at is not None
    certified = backoffice.eligibility(who.id_number)
    assert [(c.year, c.method, c.reference) for c in certified] == [(check.finished_at.year, "face", check.session_id)]
    # The spent check cannot be replayed: the same return again is refused, nothing changes.
    again = client.get(f"/services/{ITEM}/apply/face/return?session_id={check.session_id}")
    assert again.status_code in (302, 409)  # no draft left → back to step 1; with a new draft → refused
    _fill(client)
    replay = client.get(f"/services/{ITEM}/apply/face/return?session_id={check.session_id}")
    assert replay.status_code == 409 and "不能重复使用" in replay.get_data(as_text=True)
    assert client.get(f"/services/{ITEM}/apply/confirm").location.endswith("/apply/face")


def test_a_failed_face_check_does_not_let_the_certification_be_submitted(client, take, db, gateway_person):
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    _fill(client)
    back = face_check_in_sandbox(client, ITEM, verdict="fail")
    html = back.get_data(as_text=True)
    assert back.status_code == 400 and 'class="error-summary"' in html and "人脸识别未通过" in html
    assert "识别未通过" in html and "重新识别" in html
    refused = client.post(f"/services/{ITEM}/apply/confirm", data={"csrf_token": csrf_token(html)})
    assert refused.status_code == 302 and refused.location.endswith(f"/services/{ITEM}/apply/face")
    [check] = _checks(db, gateway_person(who.id_number).id)
    assert check.status is FaceCheckStatus.FAILED
    # A new attempt that passes then works.
    assert face_check_in_sandbox(client, ITEM).status_code == 302


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        ("bad_signature", 400, "签名校验未通过"),
        ("expired", 400, "已过期"),
        ("wrong_person", 403, "不是您本人的"),
    ],
)
def test_a_forged_stale_or_someone_elses_verdict_is_refused(client, take, db, gateway_person, fault, status, message):
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    _fill(client)
    back = face_check_in_sandbox(client, ITEM, verdict="pass", fault=fault)
    assert back.status_code == status and message in back.get_data(as_text=True)
    [check] = _checks(db, gateway_person(who.id_number).id)
    assert check.status is FaceCheckStatus.REFUSED
    assert client.get(f"/services/{ITEM}/apply/confirm").location.endswith("/apply/face")
    # The refused session stays refused: returning with it again is a replay.
    replay = client.get(f"/services/{ITEM}/apply/face/return?session_id={check.session_id}")
    assert replay.status_code == 409


def test_someone_elses_check_session_is_not_found(client, app, take, db, gateway_person):
    a, b = take("retired"), take("retired")
    essc_login(client, a.id_number, a.name)
    _fill(client)
    other = app.test_client()
    essc_login(other, b.id_number, b.name)
    _fill(other)
    # B passes a check, and A tries to come back with B's session id.
    started = other.get(f"/services/{ITEM}/apply/face/start")
    import requests

    requests.post(started.location, data={"verdict": "pass", "fault": ""}, allow_redirects=False, timeout=5)
    [b_check] = _checks(db, gateway_person(b.id_number).id)
    stolen = client.get(f"/services/{ITEM}/apply/face/return?session_id={b_check.session_id}")
    assert stolen.status_code == 404 and "没有找到您的这次人脸识别" in stolen.get_data(as_text=True)
    assert client.get(f"/services/{ITEM}/apply/face/return?session_id=FCnothing").status_code == 404
    # B's own return still works: A's attempt did not spend it.
    back = other.get(f"/services/{ITEM}/apply/face/return?session_id={b_check.session_id}")
    assert back.status_code == 302 and back.location.endswith("/apply/confirm")


def test_coming_back_before_finishing_the_check_or_with_the_provider_down_is_explained(client, take, settings):
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    _fill(client)
    started = client.get(f"/services/{ITEM}/apply/face/start")
    session_id = started.location.rsplit("/", 1)[1]
    early = client.get(f"/services/{ITEM}/apply/face/return?session_id={session_id}")
    assert early.status_code == 409 and "人脸识别尚未完成" in early.get_data(as_text=True)
    down = replace(settings, face_check_url="http://127.0.0.1:9/face")
    client.application.config["SETTINGS"] = down
    try:
        resp = client.get(f"/services/{ITEM}/apply/face/start")
    finally:
        client.application.config["SETTINGS"] = settings
    assert resp.status_code == 503 and "人脸识别服务暂时不可用" in resp.get_data(as_text=True)


def test_face_step_needs_level_3_and_exists_only_for_the_certification(client, app, accounts, take):
    from tests.conftest import login

    weak = app.test_client()
    login(weak, accounts[1].id_number)
    resp = weak.get(f"/services/{ITEM}/apply/face")
    assert resp.status_code == 302 and "/account/step-up" in resp.location
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    assert client.get("/services/skills-subsidy-claim/apply/face").status_code == 404


# ---------------------------------------------------------------- HTTP: transfer progress (7.1.2)


def test_rights_pages_and_api_show_the_transfer_stages_with_dates(client):
    essc_login(client, *TRANSFER_DEMO)
    rights = client.get("/rights/").get_data(as_text=True)
    assert "当前环节：" in rights and "查看转移接续各环节进度" in rights
    page = client.get("/rights/transfers").get_data(as_text=True)
    for label in ("转出地审核", "开具参保缴费凭证", "转入地接收", "基金划转", "办结"):
        assert label in page
    assert "已完成（" in page and "办理中" in page
    data = client.get("/api/v1/transfers").get_json()
    pension = next(t for t in data["transfers"] if t["scheme"] == "pension")
    assert pension["direction"] == "in" and not pension["finished"]
    assert pension["stages"][0]["state"] == "已完成" and pension["stages"][0]["done_on"]
    assert pension["current_stage"] == next(s["label"] for s in pension["stages"] if s["state"] == "办理中")
    assert client.get("/rights/transfers").status_code == 200


def test_transfers_api_needs_a_login(app):
    resp = app.test_client().get("/api/v1/transfers")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "login_required"


def test_a_transfer_application_shows_its_transfer_stages_on_the_progress_page(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    post(client, "/services/pension-transfer-in/apply", {"phone": "13800138000", "origin": "陕西省西安市"})
    post(client, "/services/pension-transfer-in/apply/materials", {"next": "1"}, content_type="multipart/form-data")
    done = post(client, "/services/pension-transfer-in/apply/confirm", {"confirm_risk": "y"})
    assert done.status_code == 302, done.get_data(as_text=True)
    page = client.get(done.location).get_data(as_text=True)
    assert 'id="transfer-progress"' in page and "转移接续进度" in page
    assert "当前环节：<strong>转出地审核</strong>" in page and "基金划转" in page


# ---------------------------------------------------------------- HTTP: card status (5.4.3 e)


def _someone_with_a_card_being_made(database_url: str) -> tuple[str, str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT id_number, name FROM bo_person WHERE card_status = 'making' AND card_made_on IS NOT NULL "
                "ORDER BY id DESC LIMIT 1"
            )
        ).first()
    engine.dispose()
    assert row is not None, "the demo data has no card being made"
    return row.id_number, row.name


def test_card_status_page_and_api_show_the_making_steps_and_a_masked_number(client, database_url, backoffice):
    id_number, name = _someone_with_a_card_being_made(database_url)
    record = backoffice.find_person(id_number)
    essc_login(client, id_number, name)
    resp = client.get("/services/card-status")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "制卡中" in page and "制卡进度" in page
    assert record.card_number not in page and card_status.mask_card_number(record.card_number) in page
    assert "申请受理" in page and "领卡启用" in page and record.card_branch in page
    data = client.get("/api/v1/card").get_json()
    assert data["status"] == "making" and data["number"] == card_status.mask_card_number(record.card_number)
    assert [s["state"] for s in data["steps"]][:2] == ["已完成", "已完成"]
    assert "<form" not in page.split("<main", 1)[1].split("</main>", 1)[0]  # a query: nothing to change here


def test_card_status_needs_level_2(client, app, accounts):
    from tests.conftest import login

    anon = app.test_client()
    assert "/account/login" in anon.get("/services/card-status").location
    assert anon.get("/api/v1/card").status_code == 401
    login(client, accounts[0].id_number)  # a password alone is level 1
    assert "/account/step-up" in client.get("/services/card-status").location
    resp = client.get("/api/v1/card")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "step_up_required"


def test_api_documents_the_new_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/card" in paths and "/api/v1/transfers" in paths


# ---------------------------------------------------------------- HTTP: overseas exemption certificate (5.4.3 c)


def test_overseas_exemption_certificate_is_applied_for_in_three_steps_with_its_materials(client, take):
    item = load_catalog().get("overseas-exemption-certificate")
    assert [m.name for m in service.uploadable_materials(item)] == ["护照"]
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    step1 = post(client, f"/services/{item.id}/apply", {"phone": "13800138000", "country": "德国"})
    assert step1.status_code == 302 and step1.location.endswith(f"/services/{item.id}/apply/materials")
    step2 = client.get(step1.location).get_data(as_text=True)
    assert "护照" in step2 and 'aria-current="step"' in step2
    upload = post(
        client,
        f"/services/{item.id}/apply/materials",
        {"next": "1", "file-0": (io.BytesIO(PNG), "护照.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302 and upload.location.endswith("/apply/confirm")
    confirm = client.get(upload.location).get_data(as_text=True)
    assert "德国" in confirm and "护照：护照.png" in confirm and "承诺办理" in confirm
    done = post(client, f"/services/{item.id}/apply/confirm", {})
    assert done.status_code == 302 and "/progress/SQ" in done.location
    number = done.location.rsplit("/", 1)[1].split("?")[0]
    data = client.get(f"/api/v1/applications/{number}").get_json()
    assert data["status"] == "submitted" and data["due_date"]["date"] > date.today().isoformat()
    assert [m["material"] for m in data["materials"]] == ["护照"]


# ---------------------------------------------------------------- the back office over HTTP carries the new parts


def test_the_http_back_office_certifies_and_carries_stages_and_card_steps(backoffice, take, database_url):
    from gateway.backoffice.http import HttpBackOffice
    from gateway.backoffice.server import create_backoffice_app
    from tests.sandbox_server import serve_in_thread

    card_holder, _ = _someone_with_a_card_being_made(database_url)
    who = take("retired")
    with serve_in_thread(create_backoffice_app(backoffice, "test-backoffice-key-0123456789")) as url:
        remote = HttpBackOffice(url, "test-backoffice-key-0123456789")
        remote.certify_eligibility(who.id_number, 2026, date(2026, 11, 23), "face", "FC" + "c" * 24)
        remote.certify_eligibility(who.id_number, 2026, date(2026, 11, 24), "face", "FC" + "d" * 24)  # same year
        assert remote.eligibility(who.id_number) == backoffice.eligibility(who.id_number)
        [certified] = remote.eligibility(who.id_number)
        assert (certified.certified_on, certified.reference) == (date(2026, 11, 24), "FC" + "d" * 24)
        assert remote.transfers(TRANSFER_DEMO[0]) == backoffice.transfers(TRANSFER_DEMO[0])
        assert remote.transfers(TRANSFER_DEMO[0])[0].reviewed_on is not None
        assert remote.find_person(card_holder) == backoffice.find_person(card_holder)
        assert remote.find_person(card_holder).card_applied_on is not None


def test_a_certification_the_core_system_cannot_take_is_queued_and_forwarded_when_it_is_back(
    app, client, take, backoffice, db, gateway_person
):
    """Issue 19 (LD/T 01 6.4.5): the core system not answering does not lose the certification: the application is
    decided, the write waits in the queue, the person is told, and the scheduler's job sends it later."""
    from gateway import clock
    from gateway.backoffice.interface import BackOfficeUnavailable
    from gateway.backoffice.local import LocalBackOffice
    from gateway.backoffice.write_queue import CoreWrite, WriteKind, WriteStatus
    from gateway.resilience.writes import forward_now
    from notify.models import NotifyMessage

    class CoreNotAnswering(LocalBackOffice):
        def certify_eligibility(self, *args, **kwargs) -> None:
            raise BackOfficeUnavailable("timed out")

    real = backoffice.inner
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    _fill(client)
    back = face_check_in_sandbox(client, ITEM)
    client.get(back.location)
    backoffice.inner = CoreNotAnswering(app.extensions["shebao_sessionmaker"])
    try:
        done = post(client, f"/services/{ITEM}/apply/confirm", {})
    finally:
        backoffice.inner = real
    assert done.status_code == 302 and "/progress/SQ" in done.location
    assert backoffice.eligibility(who.id_number) == []  # not in the core system yet
    person = gateway_person(who.id_number)
    db.expire_all()
    [write] = db.scalars(select(CoreWrite).where(CoreWrite.person_id == person.id)).all()
    assert write.kind is WriteKind.CERTIFY_ELIGIBILITY and write.status is WriteStatus.PENDING
    assert who.id_number not in write.arguments  # encrypted at rest
    bodies = lambda: db.scalars(select(NotifyMessage.body).where(NotifyMessage.person_id == person.id)).all()  # noqa: E731
    assert any("恢复后将自动提交" in b for b in bodies())

    with app.extensions["shebao_sessionmaker"].begin() as s:
        assert forward_now(s, app.extensions["shebao_vault"], backoffice, clock.now()) == 1
    [check] = _checks(db, person.id)
    assert [(c.method, c.reference) for c in backoffice.eligibility(who.id_number)] == [("face", check.session_id)]
    db.expire_all()
    assert db.get(CoreWrite, write.id).status is WriteStatus.DONE
    assert any("办理完成" in b for b in bodies())
