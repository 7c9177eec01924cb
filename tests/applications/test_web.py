"""HTTP tests: the three steps, uploads through the form, progress pages, lookup, the JSON API."""

from __future__ import annotations

import io
import re

from gateway.applications import service
from gateway.applications.models import ApplicationStatus
from gateway.catalog import load_catalog
from tests.applications.conftest import NOW, UNEMPLOYMENT_A, essc_login, face_check_in_sandbox
from tests.conftest import csrf_token, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOT_FOUND = "没有找到与该申请编号和身份证号码相符的申请"


def post(client, path: str, data: dict, **kw):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))}, **kw)


def apply_in_three_steps(client, item_id: str, form: dict, files=None, confirm: dict | None = None):
    step1 = post(client, f"/services/{item_id}/apply", {"phone": "13800138000", **form})
    assert step1.status_code == 302, step1.get_data(as_text=True)
    assert step1.location.endswith(f"/services/{item_id}/apply/materials")
    data = {"next": "1", **(files or {})}
    step2 = post(client, f"/services/{item_id}/apply/materials", data, content_type="multipart/form-data")
    assert step2.status_code == 302, step2.get_data(as_text=True)
    step3 = post(client, f"/services/{item_id}/apply/confirm", confirm or {})
    return step3


def test_guide_offers_online_application_and_apply_needs_level_3(client, take):
    guide = client.get("/services/skills-subsidy-claim").get_data(as_text=True)
    assert 'action="/services/skills-subsidy-claim/apply"' in guide and "在线办理" in guide
    assert "在线办理" not in client.get("/services/card-status").get_data(as_text=True)
    resp = client.get("/services/skills-subsidy-claim/apply")
    assert resp.status_code == 302 and "/account/login" in resp.location
    who = take("working")
    essc_login(client, who.id_number, who.name)
    assert client.get("/services/skills-subsidy-claim/apply").status_code == 200
    assert client.get("/services/unit-registration/apply").status_code == 404  # a unit item


def test_level_1_session_is_sent_to_step_up(client, accounts):
    login(client, accounts[1].id_number)
    resp = client.get("/services/retirement-pension-claim/apply")
    assert resp.status_code == 302 and "/account/step-up" in resp.location and "level=3" in resp.location


def test_instant_item_result_at_once(client, take):
    who = take("unemployed")
    essc_login(client, who.id_number, who.name)
    fill = client.get("/services/flexible-employment-contribution/apply").get_data(as_text=True)
    assert who.id_number[:3] + "*" in fill  # prefilled and masked, not asked for
    done = apply_in_three_steps(client, "flexible-employment-contribution", {"grade": "80", "cycle": "quarter"})
    assert done.status_code == 302 and "/progress/SQ" in done.location
    page = client.get(done.location).get_data(as_text=True)
    assert "申请已提交" in page
    assert "办结（准予办理）：已核定" in page and "80%档次、按季缴费" in page


def test_step_1_errors_are_summarised_together(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    resp = post(client, "/services/flexible-employment-contribution/apply", {"grade": "", "phone": "12"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'class="error-summary"' in html
    assert "请选择缴费档次。" in html and "请选择缴费方式。" in html and "手机号码" in html


def test_bad_upload_is_refused_on_the_page_and_nothing_kept(client, take, settings):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    post(client, "/services/skills-subsidy-claim/apply", {"phone": "13800138000", "certificate_number": "X1"})
    uploads_dir = settings.var_dir / "uploads"
    before = set(uploads_dir.iterdir()) if uploads_dir.exists() else set()
    resp = post(
        client,
        "/services/skills-subsidy-claim/apply/materials",
        {"file-0": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "certificate.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert "可执行程序或脚本" in resp.get_data(as_text=True)
    assert (set(uploads_dir.iterdir()) if uploads_dir.exists() else set()) == before


def test_risky_item_without_confirmation_stays_a_draft(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    resp = apply_in_three_steps(client, "pension-transfer-out", {"destination": "四川省成都市"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "我已了解上述风险，确认办理" in html and "转出后您在本地" in html
    done = post(client, "/services/pension-transfer-out/apply/confirm", {"confirm_risk": "y"})
    assert done.status_code == 302 and "/progress/SQ" in done.location


def test_promised_item_with_upload_notice_supplement_and_lookup(client, app, take, db):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    done = apply_in_three_steps(
        client,
        "skills-subsidy-claim",
        {"certificate_number": "ZS-001"},
        files={"file-0": (io.BytesIO(PNG), "证书.png")},
    )
    number = re.search(r"/progress/(SQ[0-9]+)", done.location).group(1)
    page = client.get(f"/progress/{number}").get_data(as_text=True)
    assert "证书.png" in page and "办结时限" in page and "失业保险科" in page
    file_link = re.search(r'href="(/progress/[^"]+/files/[0-9]+)"', page).group(1)
    got = client.get(file_link)
    assert got.data == PNG and got.headers["Content-Disposition"].startswith("attachment")

    app_row = service.by_number(db, number)
    service.accept(db, app_row, UNEMPLOYMENT_A, now=NOW)
    service.request_supplement(db, app_row, UNEMPLOYMENT_A, ["证书照片不清晰。", "请说明证书取得时间。"], now=NOW)
    db.commit()  # as the console's request would
    page = client.get(f"/progress/{number}").get_data(as_text=True)
    assert "补正材料一次性告知" in page and "证书照片不清晰。" in page and "请说明证书取得时间。" in page
    sup = client.post(
        f"/progress/{number}/supplement",
        data={
            "csrf_token": csrf_token(page),
            "note": "2026年10月取得。",
            "file-0": (io.BytesIO(PNG + b"clear"), "清晰.png"),
        },
        content_type="multipart/form-data",
    )
    assert sup.status_code == 302
    page = client.get(sup.location).get_data(as_text=True)
    assert "已补正" in page and "清晰.png" in page and "证书.png" not in page

    # Anyone else: the file and the page are "not found".
    other = app.test_client()
    assert other.get(file_link).status_code == 302  # to the login page
    # Logged out, by number + ID number; one message whichever half is wrong.
    anon = app.test_client()
    form = anon.get("/progress/").get_data(as_text=True)
    token = csrf_token(form)
    ok = anon.post("/progress/lookup", data={"number": number, "id_number": who.id_number, "csrf_token": token})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and number in html and "已补正" in html
    assert who.name not in html and who.id_number not in html  # masked
    assert "/files/" not in html and "提交补正" not in html
    wrong_id = anon.post(
        "/progress/lookup", data={"number": number, "id_number": "110101199003074777", "csrf_token": token}
    )
    wrong_no = anon.post(
        "/progress/lookup",
        data={"number": "SQ20200101000001", "id_number": who.id_number, "csrf_token": token},
    )
    for resp in (wrong_id, wrong_no):
        assert resp.status_code == 400 and NOT_FOUND in resp.get_data(as_text=True)


def test_lookup_is_rate_limited(app):
    anon = app.test_client()
    token = csrf_token(anon.get("/progress/").get_data(as_text=True))
    codes = [
        anon.post("/progress/lookup", data={"number": "SQ1", "id_number": "1", "csrf_token": token}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [400] * 10 and codes[10] == 429


def test_my_applications_list_and_other_peoples_numbers(client, app, take, db, backoffice):
    who = take("retired")
    essc_login(client, who.id_number, who.name)
    assert post(client, "/services/eligibility-certification/apply", {"phone": "13800138000"}).status_code == 302
    assert face_check_in_sandbox(client, "eligibility-certification").status_code == 302
    done = post(client, "/services/eligibility-certification/apply/confirm", {})
    number = done.location.rsplit("/", 1)[1].split("?")[0]
    listing = client.get("/progress/").get_data(as_text=True)
    assert number in listing and "社会保险待遇领取资格认证" in listing
    other = app.test_client()
    someone = take("working", employed=True)
    essc_login(other, someone.id_number, someone.name)
    assert other.get(f"/progress/{number}").status_code == 404
    assert other.get(f"/api/v1/applications/{number}").status_code == 404


def test_api_lists_details_and_looks_up(client, app, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    # Other tests (the 12333 console's) may have given this person applications already: count only ours.
    before = {a["number"] for a in client.get("/api/v1/applications").get_json()["applications"]}
    done = apply_in_three_steps(
        client, "pension-transfer-out", {"destination": "四川省成都市"}, confirm={"confirm_risk": "y"}
    )
    number = done.location.rsplit("/", 1)[1].split("?")[0]
    listed = client.get("/api/v1/applications").get_json()
    assert {a["number"] for a in listed["applications"]} == before | {number}
    one = client.get(f"/api/v1/applications/{number}").get_json()
    assert one["status"] == "submitted" and one["due_date"]["provisional"] in (True, False)
    assert one["department"] == "养老保险科" and one["timeline"][0]["status"] == "submitted"
    anon = app.test_client()
    assert anon.get("/api/v1/applications").status_code == 401
    found = anon.post("/api/v1/progress/lookup", json={"number": number, "id_number": who.id_number})
    assert found.status_code == 200 and found.get_json()["number"] == number
    miss = anon.post("/api/v1/progress/lookup", json={"number": number, "id_number": "110101199003074777"})
    assert miss.status_code == 404 and miss.get_json()["error"]["message"].startswith(NOT_FOUND)
    bad = anon.post("/api/v1/progress/lookup", data="[]", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/applications", "/api/v1/applications/{number}", "/api/v1/progress/lookup"} <= set(doc["paths"])


def test_pension_estimate_page_prefilled_and_explained(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    page = client.get("/services/pension-estimate").get_data(as_text=True)
    assert "国发〔2005〕38号" in page and 'name="balance"' in page
    resp = client.get(
        "/services/pension-estimate?average_wage=8000&index=1.0&months=360&balance=120000&age=60"
    ).get_data(as_text=True)
    assert '<strong id="pension-total">3263.31</strong>' in resp
    assert "2400.00 元" in resp and "863.31 元" in resp and "计发月数 139" in resp
    bad = client.get("/services/pension-estimate?average_wage=x&index=9&months=1&balance=1&age=60")
    assert bad.status_code == 400 and "本人平均缴费指数应在 0.6 至 3.0 之间" in bad.get_data(as_text=True)


def test_uploadable_materials_follow_the_catalog():
    item = load_catalog().get("work-injury-reimbursement")
    assert [m.name for m in service.uploadable_materials(item)] == [
        "收费票据",
        "费用清单",
        "诊断证明",
        "病历资料",
    ]
    assert service.uploadable_materials(load_catalog().get("retirement-pension-claim")) == ()
    assert ApplicationStatus.SUPPLEMENT_REQUESTED.label == "待补正材料"


def test_a_file_uploaded_by_mistake_can_be_deleted_before_submission(client, take, settings):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    post(client, "/services/maternity-allowance-claim/apply", {"phone": "13800138000"})
    up = post(
        client,
        "/services/maternity-allowance-claim/apply/materials",
        {"file-0": (io.BytesIO(PNG), "wrong.png")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 302
    page = client.get("/services/maternity-allowance-claim/apply/materials").get_data(as_text=True)
    assert "wrong.png" in page
    delete_path = re.search(r'action="(/services/maternity-allowance-claim/apply/materials/[0-9]+/delete)"', page)
    stored = set((settings.var_dir / "uploads").iterdir())
    gone = client.post(delete_path.group(1), data={"csrf_token": csrf_token(page)})
    assert gone.status_code == 302
    assert "wrong.png" not in client.get("/services/maternity-allowance-claim/apply/materials").get_data(as_text=True)
    assert len(stored - set((settings.var_dir / "uploads").iterdir())) == 1  # the bytes are removed too


def test_appointment_item_is_prereviewed_and_points_to_a_window(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    done = apply_in_three_steps(
        client,
        "work-injury-confirmation",
        {},
        files={"file-0": (io.BytesIO(PNG), "诊断.png"), "file-1": (io.BytesIO(PNG + b"2"), "病历.png")},
    )
    page = client.get(done.location).get_data(as_text=True)
    assert "预审通过" in page
    assert 'href="/appointments/book?item=work-injury-confirmation"' in page
    assert "并携带以下原件：诊断证明、病历资料" in page
