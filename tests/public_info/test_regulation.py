"""The Regulation's text and the links to its articles (LD/T 01 5.6.1)."""

from __future__ import annotations

import pytest

from gateway.public_info import regulation


def test_the_regulation_has_its_seven_chapters_and_63_articles():
    chapters = regulation.regulation()
    assert [c.label for c in chapters] == [f"第{n}章" for n in "一二三四五六七"]
    assert sorted(regulation.articles()) == list(range(1, 64))


def test_an_article_keeps_all_its_paragraphs():
    assert len(regulation.articles()[12].paragraphs) == 3  # Art. 12: three paragraphs on pension transfers


def test_no_news_text_around_the_regulation_is_published():
    text = "".join(p for a in regulation.articles().values() for p in a.paragraphs)
    assert "新华社" not in text and "台商" not in text


@pytest.mark.parametrize(("text", "number"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("六十三", 63)])
def test_chinese_numerals(text, number):
    assert regulation.chinese_number(text) == number


def test_only_articles_named_after_the_regulation_are_cited():
    text = "《社会保险经办条例》第十六条、第三十二条；《中华人民共和国社会保险法》第三条"
    assert regulation.cited_articles(text) == [16, 32]


def test_citations_link_to_the_article_anchors_and_the_rest_is_escaped():
    html = str(regulation.link_citations("<b>《社会保险经办条例》第五十一条</b>"))
    assert '<a href="/info/regulation#art-51">第五十一条</a>' in html
    assert "&lt;b&gt;" in html
