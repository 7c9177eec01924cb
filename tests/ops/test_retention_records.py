"""The retention rule for live-chat transcripts and mailbox cases (gateway/retention.py; LD/T 01 6.3.3 regular
clean-up, Regulation Art. 49 personal data protected — the seeds set no period for these records, so the operator
does with SHEBAO_RETENTION_CHAT_DAYS / SHEBAO_RETENTION_CONSULT_DAYS): once closed longer than the period, what
was said and whose it was goes; the number, kind, dates and status stay. ``shebao cleanup`` is run in a fresh
process, as an operator's cron would."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.actor import Actor, ActorKind
from gateway.catalog.model import Channel
from gateway.chat import service as chat
from gateway.chat.hours import ServiceHours
from gateway.chat.models import ChatConversation, ChatMessage, ChatStatus, VerifiedBy
from gateway.consult import mailbox
from gateway.consult.models import CaseEvent, CaseKind, CaseStatus, ConsultCase, EventKind, Topic
from gateway.identity.service import Identity, ensure_person
from gateway.retention import RetentionError, RetentionPolicy, clean_up
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET

VAULT = PiiVault(TEST_SECRET)
ALWAYS = ServiceHours.parse("daily 00:00-24:00")
SAID = "我的身份证号是110105198005010011，电话13800138000"


@pytest.fixture
def sessions(database_url):
    engine = sa.create_engine(database_url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def _agent(staff_id: int) -> Actor:
    return Actor(channel=Channel.HOTLINE, kind=ActorKind.STAFF, level=2, staff_id=staff_id,
                 staff_roles=frozenset({StaffRole.AGENT}))  # fmt: skip


def _chat(s, person_id: int, staff_id: int, opened, *, close: bool) -> tuple[int, str]:
    """A conversation a logged-in person opened at ``opened``, answered (and closed a few minutes later)."""
    person = Actor(channel=Channel.WEB, kind=ActorKind.PERSON, level=2, person=Identity(person_id, "", ""))
    row, token = chat.open_chat(s, VAULT, person, ALWAYS, channel="web", now=opened, first=SAID)
    chat.take(s, VAULT, _agent(staff_id), row.id, now=opened + timedelta(minutes=1))
    chat.reply(s, VAULT, _agent(staff_id), row.id, "请您稍等，我帮您查询。", now=opened + timedelta(minutes=2))
    if close:
        chat.close_by_agent(s, VAULT, _agent(staff_id), row.id, now=opened + timedelta(minutes=5))
    return row.id, token


def _case(s, person_id: int, staff_id: int, filed, *, close: bool) -> tuple[int, str, str]:
    draft, errors = mailbox.check_submission(
        {"kind": "consultation", "topic": "pension", "subject": "养老金查询", "body": SAID, "phone": "13800138000"}
    )
    assert errors == []
    row, code = mailbox.submit(s, VAULT, draft, person_id=person_id, now=filed)
    mailbox.reply(s, VAULT, _agent(staff_id), row.id, "已为您查询，请留意短信。", now=filed + timedelta(days=1))
    if close:
        mailbox.close(s, VAULT, _agent(staff_id), row.id, "已答复并办结。", now=filed + timedelta(days=2))
    return row.id, row.number, code


@pytest.fixture
def records(sessions, make_staff):
    """For a new person: chats and cases closed 400 and 10 days ago, and ones opened 400 days ago still open."""
    staff_id = make_staff(StaffRole.AGENT).id
    tag = int.from_bytes(os.urandom(3), "big")
    with sessions.begin() as s:
        person_id = ensure_person(
            s, VAULT, make_id_number("110105", date(1975, 1, 1) + timedelta(days=tag % 9000), 103), "留存咨询"
        ).id
    now = clock.now()
    old, recent = now - timedelta(days=400), now - timedelta(days=10)
    made = {}
    with sessions.begin() as s:
        made["old_chat"] = _chat(s, person_id, staff_id, old, close=True)
        made["recent_chat"] = _chat(s, person_id, staff_id, recent, close=True)
        made["open_chat"] = _chat(s, person_id, staff_id, old, close=False)
        made["old_case"] = _case(s, person_id, staff_id, old, close=True)
        made["recent_case"] = _case(s, person_id, staff_id, recent, close=True)
        made["open_case"] = _case(s, person_id, staff_id, old, close=False)
    made["person_id"], made["staff_id"] = person_id, staff_id
    return made


def _cleanup_in_a_new_process(database_url: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    settings = {"SHEBAO_DATABASE_URL": database_url, "SHEBAO_SECRET_KEY": TEST_SECRET, "SHEBAO_VAR_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "cleanup"], env=base | settings | env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def _messages(s, conversation_id: int) -> int:
    return s.scalar(sa.select(sa.func.count()).where(ChatMessage.conversation_id == conversation_id))


def test_shebao_cleanup_clears_old_transcripts_and_cases_and_keeps_the_numbers(
    sessions, records, database_url, tmp_path
):
    with sessions() as s:
        audit_before = s.scalar(sa.select(sa.func.max(AuditEntry.id)))
    done = _cleanup_in_a_new_process(
        database_url, tmp_path, SHEBAO_RETENTION_CHAT_DAYS="365", SHEBAO_RETENTION_CONSULT_DAYS="365"
    )
    assert done.returncode == 0, done.stderr
    assert "超过保存期限的在线咨询对话内容" in done.stdout and "超过保存期限的留言内容" in done.stdout

    with sessions() as s:
        # The old closed chat: no message left, no person, its secret opens nothing; the statistics remain.
        old_id, old_token = records["old_chat"]
        old = s.get(ChatConversation, old_id)
        assert _messages(s, old_id) == 0 and old.purged_at is not None
        assert old.person_id is None and old.verified_person_id is None and old.token_digest == ""
        assert old.number.startswith("LT") and old.status is ChatStatus.CLOSED and old.channel == "web"
        assert old.staff_id == records["staff_id"] and old.taken_at and old.closed_at
        assert old.verified_by is VerifiedBy.LOGIN
        with pytest.raises(chat.ChatRefused):
            chat.find(s, VAULT, old_id, old_token)
        # Kept: the one closed ten days ago and the one still being served (however old).
        for kept in ("recent_chat", "open_chat"):
            row = s.get(ChatConversation, records[kept][0])
            assert row.purged_at is None and row.person_id == records["person_id"]
            assert SAID in [m.text for m in chat.messages(s, VAULT, row)]

        # The old closed case: what was written and every step's text gone, the tracking number still works.
        case_id, number, code = records["old_case"]
        case = s.get(ConsultCase, case_id)
        assert case.purged_at is not None and case.person_id is None
        assert case.subject_enc == case.body_enc == "" and case.contact_enc is None and case.outcome_enc is None
        assert all(e.text_enc == "" for e in s.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)))
        assert case.kind is CaseKind.CONSULTATION and case.topic is Topic.PENSION and case.status is CaseStatus.CLOSED
        found = mailbox.view(VAULT, mailbox.find_by_tracking(s, VAULT, number, code))
        assert found.subject == mailbox.PURGED and found.body == mailbox.PURGED and found.outcome == ""
        assert [e.kind for e in found.events][:2] == [EventKind.SUBMITTED, EventKind.REPLIED]
        assert all(e.text == "" for e in found.events)
        for kept in ("recent_case", "open_case"):
            row = s.get(ConsultCase, records[kept][0])
            assert row.purged_at is None and mailbox.view(VAULT, row).body == SAID

        # The clean-up itself is traced, by the system (LD/T 01 6.3.2).
        entry = s.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > audit_before, AuditEntry.action == AuditAction.DATA_CLEANED)
        ).one()
        assert entry.staff_id is None and "超过保存期限的留言内容" in entry.detail

    # A second run finds nothing more of these to clear (the cleared ones are not counted again).
    with sessions.begin() as s:
        again = clean_up(s, clock.now(), RetentionPolicy(chat_days=365, consult_days=365), tmp_path)
    assert again.removed["chat_transcripts"] == 0 and again.removed["consult_cases"] == 0


def test_the_default_period_keeps_a_year_old_record(sessions, records, tmp_path):
    with sessions.begin() as s:
        clean_up(s, clock.now(), RetentionPolicy.from_env({}), tmp_path)
    assert RetentionPolicy.from_env({}).chat_days == RetentionPolicy.from_env({}).consult_days == 1095
    with sessions() as s:
        assert s.get(ChatConversation, records["old_chat"][0]).purged_at is None
        assert s.get(ConsultCase, records["old_case"][0]).purged_at is None


def test_a_period_under_a_month_is_refused_by_the_command(database_url, tmp_path):
    for name in ("SHEBAO_RETENTION_CHAT_DAYS", "SHEBAO_RETENTION_CONSULT_DAYS"):
        with pytest.raises(RetentionError):
            RetentionPolicy.from_env({name: "29"})
    assert RetentionPolicy.from_env({"SHEBAO_RETENTION_CHAT_DAYS": "30"}).chat_days == 30
    bad = _cleanup_in_a_new_process(database_url, tmp_path, SHEBAO_RETENTION_CONSULT_DAYS="7")
    assert bad.returncode != 0 and "at least 30 days" in bad.stderr


def test_the_console_says_a_cleared_transcript_was_cleared(app, client, sessions, records, make_staff, database_url):
    from tests.conftest import staff_login

    with sessions.begin() as s:
        clean_up(s, clock.now(), RetentionPolicy(chat_days=365, consult_days=365), app.config["SETTINGS"].var_dir)
    staff_login(client, database_url, make_staff(StaffRole.SUPERVISOR))
    page = client.get(f"/hotline/chat/{records['old_chat'][0]}").get_data(as_text=True)
    assert 'id="chat-purged"' in page and "对话内容已超过保存期限" in page and SAID not in page
    kept = client.get(f"/hotline/chat/{records['recent_chat'][0]}").get_data(as_text=True)
    assert 'id="chat-purged"' not in kept
    case = client.get(f"/hotline/consult/{records['old_case'][0]}").get_data(as_text=True)
    assert mailbox.PURGED in case and SAID not in case
