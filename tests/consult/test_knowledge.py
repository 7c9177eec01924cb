"""Growing the knowledge base in the console (LD/T 01 5.5.4): staff turn a ledger group into an entry, a
supervisor promotes a published mailbox answer (5.5.3) and withdraws an entry; each change is audited, the entry
is answered by the smart replies at once, and the questions it answers leave the open ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.consult.models import EntryStatus, KnowledgeEntry, LedgerQuestion
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from tests.conftest import csrf_token, staff_login
from tests.consult.test_http import case_id, submit

PARKING = ("停车场收费吗", "大厅停车场收费吗", "停车场在哪里")
ENTRY = {
    "title": "服务大厅的停车场收费吗？",
    "answer": "各服务大厅设有停车场，办事群众凭当日取号凭证免费停车2小时。",
    "source": "本机构服务大厅管理规定第八条",
    "link": "/appointments/",
}


@pytest.fixture(autouse=True)
def _clean(app, database_url: str) -> Iterator[None]:
    """Every entry a test adds is withdrawn after it, so no other test finds it."""
    limiter.reset()
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        last = conn.scalar(select(func.coalesce(func.max(KnowledgeEntry.id), 0)))
    yield
    limiter.reset()
    with sessionmaker(bind=engine).begin() as s:
        for row in s.scalars(select(KnowledgeEntry).where(KnowledgeEntry.id > last)):
            row.status, row.updated_at = EntryStatus.WITHDRAWN, clock.now()
    engine.dispose()


def _audited(app, staff_id: int) -> list[str]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.action == AuditAction.KNOWLEDGE_CHANGED, AuditEntry.staff_id == staff_id
                )
            )
        )


def _ledger_entry_form(client) -> tuple[str, str]:
    """The parking group's "编入知识库" link on the ledger page, and the form it opens."""
    ledger = client.get("/hotline/consult/questions").get_data(as_text=True)
    link = re.search(r'href="(/hotline/consult/questions/\d+/entry)" aria-label="编入知识库：停车场', ledger)
    assert link, ledger
    page = client.get(link.group(1))
    assert page.status_code == 200
    return link.group(1), page.get_data(as_text=True)


def test_staff_turn_a_ledger_group_into_an_entry_answered_at_once(client, app, make_staff, database_url) -> None:
    for q in PARKING:
        client.get("/help/", query_string={"q": q})
    assert client.get("/api/v1/help/answer", query_string={"q": "停车场在哪里"}).json["status"] == "not_sure"
    agent = make_staff(StaffRole.AGENT, name="王坐席")
    staff_login(client, database_url, agent)
    url, form = _ledger_entry_form(client)
    assert all(q in form for q in PARKING) and "共 4 次" in form  # the API question went to the ledger too
    ids = re.findall(r'name="question" value="(\d+)"', form)
    resp = client.post(url, data={**ENTRY, "question": ids, "csrf_token": csrf_token(form)})
    assert resp.status_code == 302 and "/hotline/consult/knowledge" in resp.headers["Location"]
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert ENTRY["title"] in listing and "本机构服务大厅管理规定第八条" in listing and "王坐席" in listing
    assert "问题台账：4个相似问题" in listing and "已发布" in listing

    # Searchable at once, on every channel: the smart reply, the search API and the help page.
    body = client.get("/api/v1/help/answer", query_string={"q": "大厅停车场要收费吗"}).json
    assert body["status"] == "answered" and body["answer"]["id"].startswith("kb-")
    assert body["answer"]["source"] == ENTRY["source"] and body["answer"]["link"] == "/appointments/"
    assert client.get("/api/v1/help/search", query_string={"q": "停车场"}).json["results"][0]["title"] == ENTRY["title"]
    assert ENTRY["answer"] in client.get("/help/", query_string={"q": "停车场收费吗"}).get_data(as_text=True)

    # The questions it answers left the open ledger; the change is audited.
    assert "停车场收费吗" not in client.get("/hotline/consult/questions").get_data(as_text=True)
    with app.app_context():
        resolved = get_session().scalars(
            select(LedgerQuestion.resolved_entry_id).where(LedgerQuestion.id.in_([int(i) for i in ids]))
        )
        assert {f"kb-{r}" for r in resolved} == {body["answer"]["id"]}
    assert any("知识库新增" in d and ENTRY["title"] in d for d in _audited(app, agent.id))


def test_the_entry_form_reports_every_error_and_keeps_the_group(client, make_staff, database_url) -> None:
    client.get("/help/", query_string={"q": "停车场收费吗"})
    staff_login(client, database_url, make_staff(StaffRole.AGENT))
    url, form = _ledger_entry_form(client)
    ids = re.findall(r'name="question" value="(\d+)"', form)
    resp = client.post(
        url,
        data={
            "title": "",
            "answer": "",
            "source": "",
            "link": "http://x",
            "question": ids,
            "csrf_token": csrf_token(form),
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and html.index("error-summary") < html.index('id="title"')
    assert all(m in html for m in ("请填写问题", "请填写解答", "请填写依据", "办理页面须是本站地址"))
    assert "停车场收费吗" in html  # the group is still shown


def test_a_group_already_answered_is_not_answered_twice(client, make_staff, database_url) -> None:
    client.get("/help/", query_string={"q": "停车场收费吗"})
    staff_login(client, database_url, make_staff(StaffRole.AGENT))
    url, form = _ledger_entry_form(client)
    data = {**ENTRY, "question": re.findall(r'name="question" value="(\d+)"', form), "csrf_token": csrf_token(form)}
    assert client.post(url, data=data).status_code == 302
    resp = client.post(url, data=data)  # the same form sent again: the group has left the ledger
    assert resp.status_code == 302 and "gone=1" in resp.headers["Location"]
    assert "这组问题已编入知识库" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.get(url).status_code == 302


def test_a_supervisor_withdraws_an_entry_and_its_questions_return(client, app, make_staff, database_url) -> None:
    client.get("/help/", query_string={"q": "停车场在哪里"})
    staff_login(client, database_url, make_staff(StaffRole.AGENT))
    url, form = _ledger_entry_form(client)
    ids = re.findall(r'name="question" value="(\d+)"', form)
    location = client.post(url, data={**ENTRY, "question": ids, "csrf_token": csrf_token(form)}).headers["Location"]
    entry = int(re.search(r"done=(\d+)", location).group(1))
    listing = client.get("/hotline/consult/knowledge").get_data(as_text=True)
    assert f"/knowledge/{entry}/withdraw" not in listing  # an agent does not withdraw
    refused = client.post(f"/hotline/consult/knowledge/{entry}/withdraw", data={"csrf_token": csrf_token(listing)})
    assert refused.status_code == 403
    client = app.test_client()  # another staff member's browser
    supervisor = make_staff(StaffRole.SUPERVISOR)
    staff_login(client, database_url, supervisor)
    listing = client.get("/hotline/consult/knowledge").get_data(as_text=True)
    resp = client.post(f"/hotline/consult/knowledge/{entry}/withdraw", data={"csrf_token": csrf_token(listing)})
    assert resp.status_code == 302
    assert f"/knowledge/{entry}/withdraw" not in client.get("/hotline/consult/knowledge").get_data(as_text=True)
    body = client.get("/api/v1/help/answer", query_string={"q": "停车场在哪里"}).json
    assert body["status"] == "not_sure" or body["answer"]["id"] != f"kb-{entry}"
    assert "停车场在哪里" in client.get("/hotline/consult/questions").get_data(as_text=True)
    assert any("知识库撤下" in d for d in _audited(app, supervisor.id))
    again = client.post(f"/hotline/consult/knowledge/{entry}/withdraw", data={"csrf_token": csrf_token(listing)})
    assert again.status_code == 409


def _published_case(client, app, database_url, supervisor) -> int:
    number, _, _ = submit(
        client,
        {
            "kind": "consultation",
            "topic": "service",
            "subject": "彩色打印",
            "body": "我的电话13800138000，自助终端能打印彩色的吗",
            "allow_public": "yes",
        },
    )
    staff_login(client, database_url, supervisor)
    case = case_id(app, number)
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    resp = client.post(
        f"/hotline/consult/{case}/publish",
        data={
            "question": "自助终端能打印彩色材料吗？",
            "answer": "自助终端只能黑白打印；彩色材料请到服务大厅窗口打印。",
            "csrf_token": csrf_token(page),
        },
    )
    assert resp.status_code == 302
    return case


def test_a_supervisor_promotes_a_published_answer(client, app, make_staff, database_url) -> None:
    supervisor = make_staff(StaffRole.SUPERVISOR, department="综合服务科", name="李科长")
    case = _published_case(client, app, database_url, supervisor)
    listing = client.get("/hotline/consult/knowledge").get_data(as_text=True)
    assert f'href="/hotline/consult/{case}">自助终端能打印彩色材料吗？</a>' in listing  # waiting to be promoted
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    assert "将公开答复编入知识库" in page and "本机构公开答复（留言编号" in page
    resp = client.post(f"/hotline/consult/{case}/promote", data={"source": "", "csrf_token": csrf_token(page)})
    assert resp.status_code == 302
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    entry = re.search(r"已编入知识库（条目 (kb-\d+)）", page).group(1)
    hit = client.get("/api/v1/help/search", query_string={"q": "自助终端彩色打印"}).json["results"][0]
    assert hit["id"] == entry and hit["title"] == "自助终端能打印彩色材料吗？"
    assert hit["source"].startswith("本机构公开答复（留言编号 ZX") and "13800138000" not in hit["answer"]
    again = client.post(f"/hotline/consult/{case}/promote", data={"source": "", "csrf_token": csrf_token(page)})
    assert again.status_code == 409 and "已编入知识库" in again.get_data(as_text=True)
    listing = client.get("/hotline/consult/knowledge").get_data(as_text=True)
    assert "公开答复：ZX" in listing and "李科长" in listing
    assert f'href="/hotline/consult/{case}">' not in listing  # no longer waiting
    assert any("公开答复" in d for d in _audited(app, supervisor.id))


def test_only_a_supervisor_promotes_and_only_a_published_answer(client, app, make_staff, database_url) -> None:
    number, _, _ = submit(
        client, {"kind": "consultation", "topic": "service", "subject": "未公开", "body": "问题", "allow_public": "yes"}
    )
    case = case_id(app, number)
    supervisor = make_staff(StaffRole.SUPERVISOR, department="综合服务科")
    staff_login(client, database_url, supervisor)
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    assert "将公开答复编入知识库" not in page
    resp = client.post(f"/hotline/consult/{case}/promote", data={"source": "", "csrf_token": csrf_token(page)})
    assert resp.status_code == 409 and "只有已公开的答复" in resp.get_data(as_text=True)
    client = app.test_client()
    staff_login(client, database_url, make_staff(StaffRole.AGENT, department="综合服务科"))
    page = client.get(f"/hotline/consult/{case}").get_data(as_text=True)
    assert client.post(f"/hotline/consult/{case}/promote", data={"csrf_token": csrf_token(page)}).status_code == 403


# ------------------------------------------------------------------------------------------------ editing


def _added_entry(client, database_url: str, staff) -> int:
    """A parking entry added from the ledger by ``staff`` (logged in on ``client``); its id."""
    client.get("/help/", query_string={"q": "停车场收费吗"})
    staff_login(client, database_url, staff)
    url, form = _ledger_entry_form(client)
    ids = re.findall(r'name="question" value="(\d+)"', form)
    location = client.post(url, data={**ENTRY, "question": ids, "csrf_token": csrf_token(form)}).headers["Location"]
    return int(re.search(r"done=(\d+)", location).group(1))


EDITED = {
    "title": "服务大厅停车要不要钱？",
    "answer": "各服务大厅的停车场对办事群众免费开放3小时，凭当日取号凭证出场。",
    "source": "本机构服务大厅管理规定第九条（2026年修订）",
    "link": "/services/",
}


def test_staff_edit_an_entry_and_the_smart_replies_answer_the_new_text_at_once(
    client, app, make_staff, database_url
) -> None:
    agent = make_staff(StaffRole.AGENT, name="李坐席")
    entry = _added_entry(client, database_url, agent)
    before = client.get("/api/v1/help/answer", query_string={"q": "大厅停车场要收费吗"}).json
    assert before["answer"]["id"] == f"kb-{entry}" and before["answer"]["source"] == ENTRY["source"]

    listing = client.get("/hotline/consult/knowledge").get_data(as_text=True)
    assert f'href="/hotline/consult/knowledge/{entry}/edit"' in listing
    form = client.get(f"/hotline/consult/knowledge/{entry}/edit").get_data(as_text=True)
    assert ENTRY["answer"] in form and f'value="{ENTRY["source"]}"' in form
    resp = client.post(f"/hotline/consult/knowledge/{entry}/edit", data={**EDITED, "csrf_token": csrf_token(form)})
    assert resp.status_code == 302 and f"edited={entry}" in resp.headers["Location"]
    listing = client.get(resp.headers["Location"]).get_data(as_text=True)
    shown = re.search(rf'<li id="kb-{entry}">(.*?)</li>', listing, re.S).group(1)
    assert "已保存修改" in listing and EDITED["answer"] in shown and ENTRY["answer"] not in shown

    # The index is rebuilt before the next answer: the smart reply, the search API and the help page.
    body = client.get("/api/v1/help/answer", query_string={"q": "大厅停车场要收费吗"}).json
    assert body["status"] == "answered" and body["answer"]["id"] == f"kb-{entry}"
    assert body["answer"]["answer"] == EDITED["answer"] and body["answer"]["source"] == EDITED["source"]
    assert body["answer"]["link"] == "/services/"
    found = client.get("/api/v1/help/search", query_string={"q": "停车要不要钱"}).json["results"]
    assert found[0]["title"] == EDITED["title"]
    assert EDITED["answer"] in client.get("/help/", query_string={"q": "大厅停车要钱吗"}).get_data(as_text=True)

    # Another gateway process (a fresh app: its own index) finds the corrected text too.
    from gateway import create_app

    other = create_app(app.config["SETTINGS"])
    try:
        answer = other.test_client().get("/api/v1/help/answer", query_string={"q": "大厅停车场要收费吗"}).json
        assert answer["answer"]["answer"] == EDITED["answer"]
    finally:
        other.extensions["shebao_engine"].dispose()

    # Audited: who, which entry, which fields, and the question as it was.
    edits = [d for d in _audited(app, agent.id) if "知识库修改" in d]
    assert edits == [f"知识库修改 kb-{entry}（问题、解答、依据、办理页面）：原问题“{ENTRY['title']}”"]


def test_an_edit_reports_every_error_and_an_unchanged_entry_is_not_saved(client, app, make_staff, database_url):
    agent = make_staff(StaffRole.AGENT)
    entry = _added_entry(client, database_url, agent)
    url = f"/hotline/consult/knowledge/{entry}/edit"
    form = client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"title": "", "answer": "", "source": "x" * 201, "link": "//evil",
                                 "csrf_token": csrf_token(form)})  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and html.index("error-summary") < html.index('id="title"')
    assert all(m in html for m in ("请填写问题", "请填写解答", "依据不能超过200个字", "办理页面须是本站地址"))
    same = client.post(url, data={**ENTRY, "csrf_token": csrf_token(form)})
    assert same.status_code == 400 and "条目内容没有变化" in same.get_data(as_text=True)
    assert not [d for d in _audited(app, agent.id) if "知识库修改" in d]
    # Only the answer changed: the audit names that field alone.
    done = client.post(url, data={**ENTRY, "answer": EDITED["answer"], "csrf_token": csrf_token(form)})
    assert done.status_code == 302
    assert [d for d in _audited(app, agent.id) if "知识库修改" in d] == [
        f"知识库修改 kb-{entry}（解答）：原问题“{ENTRY['title']}”"
    ]


def test_a_withdrawn_or_unknown_entry_cannot_be_edited_and_the_public_cannot_edit(
    client, app, make_staff, database_url
) -> None:
    entry = _added_entry(client, database_url, make_staff(StaffRole.AGENT))
    form = client.get(f"/hotline/consult/knowledge/{entry}/edit").get_data(as_text=True)
    token = csrf_token(form)
    anonymous = app.test_client()
    assert anonymous.get(f"/hotline/consult/knowledge/{entry}/edit").status_code in (302, 401, 403)
    supervisor = app.test_client()
    staff_login(supervisor, database_url, make_staff(StaffRole.SUPERVISOR))
    listing = supervisor.get("/hotline/consult/knowledge").get_data(as_text=True)
    assert supervisor.post(f"/hotline/consult/knowledge/{entry}/withdraw",
                           data={"csrf_token": csrf_token(listing)}).status_code == 302  # fmt: skip
    for path in (f"/hotline/consult/knowledge/{entry}/edit", "/hotline/consult/knowledge/99999999/edit"):
        resp = client.post(path, data={**EDITED, "csrf_token": token})
        assert resp.status_code == 302 and "refused=" in resp.headers["Location"]
        told = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert ("不能再修改" if path.endswith(f"/{entry}/edit") else "没有找到该知识库条目") in told
        assert client.get(path).status_code == 302
    with app.app_context():
        row = get_session().get(KnowledgeEntry, entry)
        assert row.title == ENTRY["title"] and row.status is EntryStatus.WITHDRAWN
    assert f'href="/hotline/consult/knowledge/{entry}/edit"' not in client.get("/hotline/consult/knowledge").get_data(
        as_text=True
    )
