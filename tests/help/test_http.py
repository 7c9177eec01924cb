"""The knowledge base over HTTP: ``GET /api/v1/help/search`` for the other channels and ``/help/?q=`` for people."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.consult.models import LedgerQuestion, LedgerReason
from gateway.help import MAX_QUERY_LENGTH
from gateway.request_db import get_session
from gateway.security.limits import limiter
from tests.conftest import csrf_token


def test_api_answers_results_best_first(client) -> None:
    resp = client.get("/api/v1/help/search", query_string={"q": "怎么预约"})
    assert resp.status_code == 200 and resp.is_json
    body = resp.json
    assert body["query"] == "怎么预约"
    assert 1 <= len(body["results"]) <= 10
    first = body["results"][0]
    assert set(first) >= {"title", "answer", "source"}
    assert first["title"] == "怎么网上预约服务大厅窗口办理？" and "《社会保险网上经办服务指南》" in first["source"]
    assert first["link"] == "/appointments/"


def test_api_synonyms(client) -> None:
    results = client.get("/api/v1/help/search?q=退休金怎么算").json["results"]
    assert "养老金" in results[0]["title"] and "计发月数" in results[0]["answer"]


def test_api_no_results_is_an_empty_list(client) -> None:
    resp = client.get("/api/v1/help/search", query_string={"q": "火星移民"})
    assert resp.status_code == 200 and resp.json["results"] == []


def test_api_errors_are_chinese_400s(client) -> None:
    for qs in ({}, {"q": ""}, {"q": "   "}):
        resp = client.get("/api/v1/help/search", query_string=qs)
        assert resp.status_code == 400
        assert resp.json["error"]["code"] == "empty_query" and "请输入" in resp.json["error"]["message"]
    resp = client.get("/api/v1/help/search", query_string={"q": "问" * (MAX_QUERY_LENGTH + 1)})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "query_too_long"


def test_api_is_rate_limited(app, client) -> None:
    limiter.reset()
    statuses = [client.get("/api/v1/help/search?q=预约").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert client.get("/api/v1/help/search?q=预约").json["error"]["code"] == "too_many_requests"
    limiter.reset()


def test_api_is_in_the_openapi_document(client) -> None:
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/api/v1/help/search"]["get"]
    assert op["parameters"][0]["name"] == "q" and op["parameters"][0]["schema"]["maxLength"] == MAX_QUERY_LENGTH
    assert {"200", "400", "429"} <= set(op["responses"])
    assert "HelpAnswer" in doc["components"]["schemas"]


def test_help_page_has_the_search_box_and_the_contacts(client) -> None:
    html = client.get("/help/").get_data(as_text=True)
    assert '<label for="q">搜索常见问题</label>' in html and 'name="q"' in html
    assert "大家常问" in html and "/help/?q=" in html
    assert 'href="tel:12333"' in html and "长辈版" in html  # the existing help content stays


def test_help_page_gives_one_answer_with_its_source(client) -> None:
    resp = client.get("/help/", query_string={"q": "怎么验证证明真伪"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "“怎么验证证明真伪”的解答" in html and html.count('class="answer"') == 1
    assert (
        html.index("怎么验证一份社保证明的真伪？")
        < html.index("依据：《社会保险网上经办服务指南》第5.4.2.4条")
        < html.index("联系我们")
    )
    assert 'href="/verify/"' in html and "为什么是这条" in html


def test_help_page_out_of_scope_says_not_sure_with_next_steps(client) -> None:
    # LD/T 01 5.5.2 a: the issue's own example — not ten unrelated articles, an honest "not sure".
    html = client.get("/help/?q=怎么办理护照").get_data(as_text=True)
    assert "不确定能准确回答" in html and 'class="answer"' not in html
    assert 'href="/consult/"' in html and 'href="tel:12333"' in html and "咨询窗口" in html


def test_a_not_sure_question_goes_to_the_ledger(client, app) -> None:
    client.get("/help/?q=驾照到期了怎么换证 13800138000")
    with app.app_context():
        rows = get_session().scalars(select(LedgerQuestion).order_by(LedgerQuestion.id.desc())).all()
    assert rows[0].reason is LedgerReason.NOT_SURE and "驾照" in rows[0].question
    assert "13800138000" not in rows[0].question  # LD/T 01 6.3.2: numbers are masked before they are kept


def test_an_answered_question_does_not_go_to_the_ledger(client, app) -> None:
    with app.app_context():
        before = get_session().scalar(select(func.count(LedgerQuestion.id)))
    client.get("/help/?q=怎么验证证明真伪")
    with app.app_context():
        assert get_session().scalar(select(func.count(LedgerQuestion.id))) == before


def test_an_unhelpful_answer_goes_to_the_ledger(client, app) -> None:
    page = client.get("/help/?q=社保卡丢了怎么办").get_data(as_text=True)
    assert "这个回答有帮助吗" in page
    resp = client.post(
        "/help/feedback",
        data={"q": "社保卡丢了怎么办", "entry": "card-status", "helpful": "no", "csrf_token": csrf_token(page)},
    )
    assert resp.status_code == 302 and "rated=no" in resp.headers["Location"]
    with app.app_context():
        row = get_session().scalars(select(LedgerQuestion).order_by(LedgerQuestion.id.desc())).first()
    assert row.reason is LedgerReason.UNHELPFUL and row.entry_id == "card-status"


def test_feedback_needs_the_form_token(client) -> None:
    resp = client.post("/help/feedback", data={"q": "社保卡丢了", "entry": "card-status", "helpful": "no"})
    assert resp.status_code == 400


def test_help_page_errors_are_summarised_at_the_top(client) -> None:
    resp = client.get("/help/?q=")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "error-summary" in html and '<a href="#q">请输入要查询的问题' in html
    assert html.index("error-summary") < html.index('<form method="get"')
    long = client.get("/help/", query_string={"q": "问" * 60})
    assert long.status_code == 400 and "不能超过50个字" in long.get_data(as_text=True)


def test_help_page_escapes_the_query(client) -> None:
    html = client.get("/help/", query_string={"q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_help_page_searches_are_rate_limited_but_the_page_is_not(client) -> None:
    limiter.reset()
    statuses = [client.get("/help/?q=预约").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    assert "操作过于频繁" in client.get("/help/?q=预约").get_data(as_text=True)
    assert client.get("/help/").status_code == 200  # reading the page itself is never limited
    limiter.reset()
