"""The knowledge base grows (LD/T 01 5.5.4): entries kept in the database are searched next to knowledge.yaml's,
and every process sees a new or withdrawn one at once — the index notes the entries' version in the database and
rebuilds when it changed, whoever changed it; the ledger groups similar questions for staff to answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from gateway.consult import knowledge
from gateway.consult.ledger import group_questions, similarity
from gateway.consult.models import EntryOrigin, EntryStatus, KnowledgeEntry, LedgerQuestion, LedgerReason
from gateway.help import knowledge_base
from gateway.help.knowledge import Entry, ReplyStatus
from tests.conftest import TEST_SECRET
from tests.ops.nodes import gateway_node

PARKING = "停车场收费吗"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = sa.create_engine(database_url)
    made = sessionmaker(bind=engine)
    yield made
    with made.begin() as s:  # leave no entry behind for the other tests
        s.execute(sa.delete(KnowledgeEntry).where(KnowledgeEntry.origin_ref == "test-growth"))
    engine.dispose()


def _insert(sessions: sessionmaker[Session], title: str, answer: str) -> int:
    """Add an entry as another gateway process would: its own connection, committed, nothing in this process."""
    now = clock.now()
    with sessions.begin() as s:
        row = KnowledgeEntry(
            title=title,
            answer=answer,
            source="本机构服务大厅管理规定",
            origin=EntryOrigin.LEDGER,
            origin_ref="test-growth",
            status=EntryStatus.PUBLISHED,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        return row.id


def test_with_entries_indexes_the_new_entry_beside_the_curated_ones() -> None:
    base = knowledge_base()
    assert base.reply(PARKING).status is ReplyStatus.NOT_SURE
    grown = base.with_entries([Entry("kb-x", "服务大厅的停车场收费吗？", "凭取号凭证免费停车2小时。", "本机构规定")])
    assert grown.reply(PARKING).entry.id == "kb-x"
    assert len(grown) == len(base) + 1 and "kb-x" not in base.entries  # the curated base is left as it was
    assert grown.reply("骗保会被罚多少钱").entry.id == "fraud"


def test_an_entry_added_elsewhere_is_found_at_once_and_a_withdrawn_one_no_more(sessions) -> None:
    with sessions() as s:
        assert knowledge.current(s).reply(PARKING).status is ReplyStatus.NOT_SURE
        before = knowledge.version(s)
    entry_id = _insert(sessions, "服务大厅的停车场收费吗？", "各服务大厅设有停车场，凭当日取号凭证免费停车2小时。")
    with sessions() as s:
        assert knowledge.version(s) != before
        reply = knowledge.current(s).reply("大厅停车场要收费吗")
        assert reply.status is ReplyStatus.ANSWERED and reply.entry.id == f"kb-{entry_id}"
        assert knowledge.current(s).search("停车场")[0].id == f"kb-{entry_id}"
    with sessions.begin() as s:  # withdrawn by another process: the version moves with updated_at
        row = s.get(KnowledgeEntry, entry_id)
        row.status = EntryStatus.WITHDRAWN
        row.updated_at = clock.now() + timedelta(seconds=1)
    with sessions() as s:
        assert f"kb-{entry_id}" not in knowledge.current(s).entries
        assert knowledge.current(s).reply(PARKING).status is ReplyStatus.NOT_SURE


def test_an_entry_added_by_this_process_is_answered_by_a_gunicorn_node_at_once(sessions, database_url, tmp_path):
    """Two processes for real: a gunicorn node (two workers, each with its own index) answers before and after
    this test's process adds an entry to the shared database; no worker is told, each sees the new version."""

    def ask(node: str) -> dict:
        resp = requests.get(f"{node}/api/v1/help/answer", params={"q": "哪里有饮水机"}, timeout=30)
        assert resp.status_code == 200, resp.text
        return resp.json()

    with gateway_node(database_url, TEST_SECRET, tmp_path, tmp_path / "node.log") as node:
        assert all(ask(node)["status"] == "not_sure" for _ in range(4))  # both workers have built their index
        entry_id = _insert(sessions, "服务大厅有饮水机吗？", "各服务大厅等候区设有饮水机，免费提供热水和一次性水杯。")
        answers = [ask(node) for _ in range(4)]
    assert all(a["status"] == "answered" and a["answer"]["id"] == f"kb-{entry_id}" for a in answers), answers


def test_the_index_is_rebuilt_only_when_the_version_changes(sessions) -> None:
    with sessions() as s:
        first = knowledge.current(s)
        assert knowledge.current(s) is first
    _insert(sessions, "服务大厅有充电桩吗？", "部分服务大厅停车场设有充电桩。")
    with sessions() as s:
        second = knowledge.current(s)
        assert second is not first and knowledge.current(s) is second


def _question(i: int, words: str, question: str) -> LedgerQuestion:
    return LedgerQuestion(
        id=i,
        at=clock.now() - timedelta(minutes=i),
        question=question,
        words=words,
        reason=LedgerReason.NOT_SURE,
        channel="web",
    )


def test_similarity_counts_shared_words_and_containment() -> None:
    a, b = frozenset({"护照", "办理"}), frozenset({"护照", "办理", "签证", "时间"})
    assert similarity(a, a) == 1.0
    assert similarity(a, b) == 1.0  # the shorter question lies wholly within the longer one
    assert similarity(frozenset({"护照"}), frozenset({"驾照", "换证"})) == 0.0
    assert similarity(frozenset(), frozenset()) == 1.0


def test_similar_questions_form_one_group_with_counts_and_ids() -> None:
    rows = [
        _question(1, "停车 车场 停车场 收费", "停车场收费吗"),
        _question(2, "大厅 停车 车场 停车场 收费", "大厅停车场收费吗"),
        _question(3, "护照 办理", "怎么办理护照"),
        _question(4, "停车 车场 停车场", "停车场在哪里"),
        _question(5, "护照 办理", "护照怎么办理"),
        _question(6, "驾照 到期 换证", "驾照到期了怎么换证"),
    ]
    groups = group_questions(rows)
    assert [g.count for g in groups] == [3, 2, 1]
    parking, passport, licence = groups
    assert parking.ids == [1, 2, 4] and parking.example == "停车场收费吗"
    assert set(parking.questions) == {"停车场收费吗", "大厅停车场收费吗", "停车场在哪里"}
    assert {"停车", "车场", "停车场"} <= set(parking.key_words)
    assert passport.ids == [3, 5] and passport.reasons == {LedgerReason.NOT_SURE: 2}
    assert licence.ids == [6]


def test_the_same_question_asked_often_is_counted_once_per_asking() -> None:
    rows = [_question(i, "护照 办理", "怎么办理护照") for i in range(1, 8)]
    (group,) = group_questions(rows)
    assert group.count == 7 and group.questions == ["怎么办理护照"] and len(group.ids) == 7
