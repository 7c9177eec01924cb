"""The mailbox and the smart replies over HTTP: the web pages under /consult/, the console under
/hotline/consult/ and the API (LD/T 01 5.5.1–5.5.5)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.consult.models import ConsultCase
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.staff.models import StaffRole
from notify.models import NotifyMessage
from tests.conftest import csrf_token, login, staff_login

FORM = {"kind": "complaint", "topic": "service", "subject": "窗口态度", "body": "我的电话13800138000，窗口人员态度差。"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def submit(client, form: dict) -> tuple[str, str, str]:
    page = client.get("/consult/").get_data(as_text=True)
    resp = client.post("/consult/", data={**form, "csrf_token": csrf_token(page)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    number = re.search(r'id="case-number">(\w+)<', html).group(1)
    code = re.search(r'id="case-code">(\d+)<', html).group(1)
    return number, code, html


def case_id(app, number: str) -> int:
    with app.app_context():
        return get_session().scalar(select(ConsultCase.id).where(ConsultCase.number == number))


def console_post(client, case: int, step: str, text: str):
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    return client.post(f"/hotline/consult/{case}/{step}", data={"text": text, "csrf_token": csrf_token(page)})


def test_an_anonymous_complaint_gets_a_number_a_code_and_its_time_limit(client) -> None:
    _, _, html = submit(client, FORM)
    assert "留言编号" in html and "查询码" in html and "10个工作日内" in html


def test_what_was_written_is_encrypted_at_rest(client, app) -> None:
    number, _, _ = submit(client, FORM)
    with app.app_context():
        row = get_session().scalar(select(ConsultCase).where(ConsultCase.number == number))
    assert "13800138000" not in row.body_enc and "态度" not in row.body_enc and row.person_id is None


def test_the_form_reports_every_error_at_the_top(client) -> None:
    page = client.get("/consult/").get_data(as_text=True)
    resp = client.post("/consult/", data={"csrf_token": csrf_token(page)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert html.index("error-summary") < html.index('<form method="post"') and "请选择留言类型" in html


def test_a_case_is_followed_with_its_number_and_code_only(client) -> None:
    number, code, _ = submit(client, FORM)
    assert "窗口态度" in client.get(f"/consult/track?number={number}&code={code}").get_data(as_text=True)
    wrong = client.get(f"/consult/track?number={number}&code=000000x")
    assert wrong.status_code == 404 and "请核对留言编号和查询码" in wrong.get_data(as_text=True)


def test_anonymous_submissions_are_rate_limited(client) -> None:
    for _ in range(5):
        submit(client, FORM)
    page = client.get("/consult/").get_data(as_text=True)
    assert client.post("/consult/", data={**FORM, "csrf_token": csrf_token(page)}).status_code == 429


def test_staff_reply_and_close_a_complaint_and_the_person_is_told(client, app, person, make_staff, database_url):
    # LD/T 01 5.5.5: contact the complainant, state the limit, report the outcome; 5.5.3: notify at each step.
    login(client, person.id_number)
    number, code, _ = submit(client, {**FORM, "phone": "13900001111"})
    client.get("/account/logout")
    agent = make_staff(StaffRole.AGENT, department="综合服务科")
    staff_login(client, database_url, agent)
    queue = client.get("/hotline/consult/").get_data(as_text=True)
    assert number in queue
    case = case_id(app, number)
    console = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    assert "139****1111" in console and "13900001111" not in console  # the contact phone is masked on screen
    assert console_post(client, case, "reply", "已核实，向您致歉。").status_code == 302
    refused = console_post(client, case, "close", "已处理")
    assert refused.status_code == 409 and "须先联系投诉人" in refused.get_data(as_text=True)
    assert console_post(client, case, "contact", "已电话联系投诉人，说明处理情况。").status_code == 302
    assert console_post(client, case, "close", "已对窗口人员批评教育。").status_code == 302
    tracked = client.get(f"/consult/track?number={number}&code={code}").get_data(as_text=True)
    assert "已核实，向您致歉。" in tracked and "已对窗口人员批评教育。" in tracked and "已办结" in tracked
    with app.app_context():
        kinds = (
            get_session()
            .scalars(select(NotifyMessage.kind).where(NotifyMessage.idempotency_key.like(f"consult-{case}-%")))
            .all()
        )
    assert kinds and {k.value for k in kinds} == {"consult_update"}


def test_the_console_needs_a_staff_login(client) -> None:
    resp = client.get("/hotline/consult/")
    assert resp.status_code == 302 and "/hotline/login" in resp.headers["Location"]


def test_the_ledger_groups_unanswered_questions(client, make_staff, database_url) -> None:
    for q in ("怎么办理护照", "护照怎么办理", "驾照到期了怎么换证"):
        client.get("/help/", query_string={"q": q})
    staff_login(client, database_url, make_staff(StaffRole.AGENT))
    html = client.get("/hotline/consult/questions").get_data(as_text=True)
    assert "问题台账" in html and "怎么办理护照" in html and "驾照到期了怎么换证" in html


def test_a_supervisor_publishes_a_general_answer(client, app, make_staff, database_url) -> None:
    number, _, _ = submit(
        client, {**FORM, "kind": "consultation", "subject": "周末办理", "body": "周末能办吗", "allow_public": "yes"}
    )
    staff_login(client, database_url, make_staff(StaffRole.SUPERVISOR, department="综合服务科"))
    case = case_id(app, number)
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    resp = client.post(
        f"/hotline/consult/{case}/publish",
        data={"question": "周末能否办理业务？", "answer": "网上服务大厅全天可办。", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 302
    assert "周末能否办理业务？" in client.get("/consult/public").get_data(as_text=True)


# ---------------------------------------------------------------- the API


def test_api_files_a_case_and_follows_it(client) -> None:
    resp = client.post(
        "/api/v1/consult/cases",
        json={"kind": "consultation", "topic": "pension", "subject": "转移", "body": "换城市工作养老保险怎么转"},
    )
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["limit_days"] == 5 and body["status"] == "open" and len(body["code"]) == 6
    tracked = client.get(f"/api/v1/consult/cases/{body['number']}", query_string={"code": body["code"]})
    assert tracked.status_code == 200 and tracked.json["steps"][0]["kind"] == "submitted"


def test_api_refusals_are_chinese(client) -> None:
    resp = client.post(
        "/api/v1/consult/cases", json={"kind": "complaint", "topic": "pension", "subject": "", "body": "x"}
    )
    assert resp.status_code == 400 and "标题" in resp.json["error"]["message"]
    missing = client.get("/api/v1/consult/cases/ZX1", query_string={"code": "1"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "case_not_found"


def test_api_answers_with_a_source(client) -> None:
    body = client.get("/api/v1/help/answer", query_string={"q": "骗保会被罚多少钱"}).json
    assert body["status"] == "answered" and body["answer"]["id"] == "fraud" and body["answer"]["source"]
    assert body["next_steps"] == [] and body["matched"]


def test_api_says_not_sure_with_next_steps(client) -> None:
    body = client.get("/api/v1/help/answer", query_string={"q": "怎么办理护照"}).json
    assert body["status"] == "not_sure" and body["answer"] is None
    assert {"/consult/", "tel:12333"} <= {s["link"] for s in body["next_steps"]}


def test_api_feedback_records_an_unhelpful_answer(client) -> None:
    resp = client.post("/api/v1/help/feedback", json={"q": "社保卡丢了", "entry": "card-status", "helpful": False})
    assert resp.status_code == 204
    assert (
        client.post("/api/v1/help/feedback", json={"q": "社保卡丢了", "entry": "nope", "helpful": False}).status_code
        == 404
    )
