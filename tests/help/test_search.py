"""Ranking of the knowledge base (LD/T 01 5.5.4): bigram tokens, BM25 with title weight, synonyms, limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.catalog import load_catalog
from gateway.help import MAX_QUERY_LENGTH, clean_query, knowledge_base, load_knowledge_base
from gateway.help.knowledge import DEFAULT_PATH, KnowledgeError, ReplyStatus
from gateway.help.search import Document, SearchIndex, expand_synonyms, rewrite_synonyms, tokenize
from gateway.problems import UserError


def top(query: str) -> str:
    results = knowledge_base().search(query)
    assert results, f"nothing found for {query!r}"
    return results[0].id


def test_chinese_is_cut_into_words_with_the_social_insurance_dictionary() -> None:
    # The user dictionary keeps 社保卡 whole (a general dictionary would not); search mode adds the shorter word.
    assert "社保卡" in tokenize("社保卡丢了")
    assert tokenize("拨打12333咨询") == ["拨打", "12333", "咨询"]
    assert tokenize("ＰＤＦ证明") == ["pdf", "证明"]  # full-width letters are folded (NFKC) and lower-cased
    assert {"转移接续", "养老保险"} <= set(tokenize("养老保险转移接续"))


def test_question_words_and_particles_do_not_count() -> None:
    assert tokenize("怎么预约") == ["预约"]
    assert tokenize("请问如何转移") == ["转移"]


def test_colloquial_terms_are_rewritten_in_policy_terms() -> None:
    # LD/T 01 5.5.2 a: people ask in their words; the answers use the Regulation's.
    synonyms = {"骗保": "骗取社会保险基金", "社保": "社会保险", "社保卡": "社会保障卡"}
    assert rewrite_synonyms("骗保会被罚多少钱", synonyms).split() == ["骗取社会保险基金", "会被罚多少钱"]
    assert "社会保障卡" in rewrite_synonyms("社保卡丢了", synonyms)  # the longer key wins over 社保


def test_a_question_outside_the_knowledge_base_is_answered_not_sure() -> None:
    reply = knowledge_base().reply("怎么办理护照")
    assert reply.status is ReplyStatus.NOT_SURE and reply.entry is None


def test_colloquial_questions_of_the_issue_find_their_answer() -> None:
    assert knowledge_base().reply("骗保会被罚多少钱").entry.id == "fraud"
    assert knowledge_base().reply("社保局怎么确认我还符合条件能继续领钱").entry.id == "benefit-qualification"


def test_an_answer_names_its_source_and_the_words_it_matched() -> None:
    reply = knowledge_base().reply("社保卡丢了怎么办")
    assert reply.answered and reply.entry.id == "card-status" and reply.entry.source
    assert "社会保障卡" in reply.matched and 0 < reply.confidence <= 1


def test_confidence_is_the_share_of_the_question_the_entry_covers() -> None:
    index = SearchIndex([Document("a", "预约", "窗口"), Document("b", "证明", "打印")])
    assert index.coverage("预约 窗口", "a") == 1.0
    assert 0 < index.coverage("预约 护照", "a") < 0.5  # a word found nowhere weighs the most


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("怎么预约", "appointment-how"),  # LD/T 01 5.1
        ("取消预约", "appointment-cancel"),
        ("怎么验证证明真伪", "certificate-verify"),  # LD/T 01 5.4.2.4
        ("材料不齐", "materials-told-once"),  # GB/T 31621 6.2.1.3
        ("12333", "hotline"),
        ("社保卡丢了", "card-status"),
        ("领失业金要交医保吗", "unemployment-medical"),
        ("单位注销", "unit-change-cancel"),
        ("工伤报销", "work-injury-reimbursement"),
    ],
)
def test_the_answer_people_need_ranks_first(query: str, expected: str) -> None:
    assert top(query) in (expected, f"guide-{expected}")  # the curated answer or the service guide


def test_colloquial_words_find_the_standard_answer_through_synonyms() -> None:
    assert expand_synonyms("退休金怎么算", {"退休金": "养老金"}) == "退休金怎么算 养老金"
    # "退休金" appears in no answer: only the synonym list leads to the pension estimate.
    assert not any("退休金" in e.title + e.answer for e in knowledge_base().entries.values())
    assert top("退休金怎么算") == "pension-estimate"
    assert top("我想查一下我交了多少年社保") == "query-account-years"
    assert top("人没了怎么办") == "survivor-benefits"


def test_title_matches_outrank_answer_matches() -> None:
    index = SearchIndex([Document("body", "其他事项", "这里提到预约一次"), Document("title", "预约", "无关内容")])
    assert [h.key for h in index.search("预约")] == ["title", "body"]


def test_rare_words_outweigh_common_ones() -> None:
    docs = [Document(str(i), f"社保事项{i}", "社保") for i in range(5)] + [Document("rare", "社保", "防伪码")]
    assert index_top(docs, "社保防伪码") == "rare"


def index_top(docs: list[Document], query: str) -> str:
    return SearchIndex(docs).search(query)[0].key


def test_unrelated_queries_find_nothing() -> None:
    assert knowledge_base().search("火星移民") == []
    assert knowledge_base().search("天气怎么样") == []


def test_results_are_limited_and_ordered() -> None:
    results = knowledge_base().search("社会保险", limit=10)
    assert len(results) == 10
    hits = SearchIndex([Document(e.id, e.title, e.answer) for e in knowledge_base().entries.values()]).search(
        "社会保险", 10
    )
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_every_catalog_guide_is_in_the_knowledge_base_with_its_source() -> None:
    kb = knowledge_base()
    for item in load_catalog():
        entry = kb.entries[f"guide-{item.id}"]
        assert entry.title.startswith(item.name) and entry.link == f"/services/{item.id}"
        # The source names the item and its rules in words, never the catalog code (issue 15).
        assert f"“{item.name}”" in entry.source and item.code not in entry.source and "LD/T" not in entry.source
    assert top("灵活就业人员参保登记") == "guide-flexible-employment-enrol"


def test_the_curated_entries_name_their_sources() -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert len(data["entries"]) >= 40
    for e in data["entries"]:
        assert any(doc in e["source"] for doc in ("条例", "LD/T 01", "GB/T 31621", "国发", "本机构")), e["id"]
        assert e["title"].strip() and len(e["answer"]) > 20


def test_broken_knowledge_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "kb.yaml"
    bad.write_text("entries:\n  - id: x\n    title: 标题\n", encoding="utf-8")
    with pytest.raises(KnowledgeError):
        load_knowledge_base(bad)
    bad.write_text("entries:\n  - {id: x, title: 标题, answer: 答, source: ''}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="source"):
        load_knowledge_base(bad)


def test_queries_are_checked() -> None:
    assert clean_query("  怎么   预约 ") == "怎么 预约"
    for empty in (None, "", "   "):
        with pytest.raises(UserError) as caught:
            clean_query(empty)
        assert caught.value.code == "empty_query" and "请输入" in caught.value.message
    with pytest.raises(UserError) as caught:
        clean_query("预" * (MAX_QUERY_LENGTH + 1))
    assert caught.value.code == "query_too_long" and str(MAX_QUERY_LENGTH) in caught.value.message


def test_the_index_is_built_once() -> None:
    assert knowledge_base() is knowledge_base()
