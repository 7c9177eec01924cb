"""The Regulation's full text (《社会保险经办条例》), one anchor per article, and links to the articles that a guide
or an answer cites (LD/T 01 5.6.1: the legal basis is published beside the services that rest on it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

TITLE = "社会保险经办条例"
CITATION = f"《{TITLE}》"
SOURCE = Path(__file__).with_name("regulation.md")
#: Where the full text is published (the web page's path); an article is ``PATH#art-N``.
PATH = "/info/regulation"

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ARTICLE = re.compile(r"^\*\*第([一二三四五六七八九十百零]+)条\*\*\s*(.*)$")
_CHAPTER = re.compile(r"^##\s+(第[一二三四五六七八九十]+章)\s*(.*)$")
_CITED = re.compile(r"第([一二三四五六七八九十百零]+)条")
#: The Regulation's name followed by one or more articles: 《社会保险经办条例》第十六条、第三十二条
_NAMED = re.compile(
    r"《社会保险经办条例》第[一二三四五六七八九十百零]+条(?:[、和及至]第[一二三四五六七八九十百零]+条)*"
)


def chinese_number(text: str) -> int:
    """A Chinese numeral up to the hundreds (一, 十, 十二, 二十, 六十三, 一百零五) as an int."""
    if not text or any(c not in _DIGITS and c not in "十百" for c in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, digit = 0, 0
    for c in text:
        if c == "百":
            total += (digit or 1) * 100
            digit = 0
        elif c == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _DIGITS[c]
    return total + digit


@dataclass(frozen=True)
class Article:
    """One article: its number, its Chinese label (第十条) and its paragraphs."""

    number: int
    label: str
    paragraphs: tuple[str, ...]

    @property
    def anchor(self) -> str:
        """The HTML id of the article on the full-text page."""
        return f"art-{self.number}"


@dataclass(frozen=True)
class Chapter:
    """One chapter: 第一章 总则, with its articles."""

    label: str
    title: str
    articles: tuple[Article, ...]


def parse(text: str) -> tuple[Chapter, ...]:
    """The chapters and articles of the Regulation's text (Markdown: ``## 第一章``, ``**第一条**``)."""
    chapters: list[Chapter] = []
    chapter: tuple[str, str] | None = None
    articles: list[Article] = []
    current: tuple[int, str, list[str]] | None = None

    def close_article() -> None:
        nonlocal current
        if current is not None:
            articles.append(Article(current[0], current[1], tuple(current[2])))
            current = None

    def close_chapter() -> None:
        nonlocal articles
        close_article()
        if chapter is not None:
            chapters.append(Chapter(chapter[0], chapter[1], tuple(articles)))
        articles = []

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("<!--") or line.startswith("# "):
            continue
        if found := _CHAPTER.match(line):
            close_chapter()
            chapter = (found.group(1), found.group(2).strip())
        elif found := _ARTICLE.match(line):
            close_article()
            label = f"第{found.group(1)}条"
            current = (chinese_number(found.group(1)), label, [found.group(2).strip()])
        elif current is not None:
            current[2].append(line)
    close_chapter()
    return tuple(chapters)


@cache
def regulation() -> tuple[Chapter, ...]:
    """The Regulation as published with the gateway (read once)."""
    return parse(SOURCE.read_text(encoding="utf-8"))


def articles() -> dict[int, Article]:
    """Every article by number."""
    return {a.number: a for chapter in regulation() for a in chapter.articles}


def _citation_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, article) of each article cited right after the Regulation's name: 《…》第十条、第二十条."""
    known = articles()
    spans = []
    for named in _NAMED.finditer(text):
        for found in _CITED.finditer(named.group(0), len(CITATION)):
            number = chinese_number(found.group(1))
            if number in known:
                spans.append((named.start() + found.start(), named.start() + found.end(), number))
    return spans


def cited_articles(text: str) -> list[int]:
    """The Regulation's articles a text cites by name, in order, each once."""
    seen: list[int] = []
    for _start, _end, number in _citation_spans(text):
        if number not in seen:
            seen.append(number)
    return seen


def link_citations(text: str) -> Markup:
    """``text`` as escaped markup where each cited article of the Regulation links to its anchor."""
    out, last = [], 0
    for start, end, number in _citation_spans(text):
        out.append(escape(text[last:start]))
        out.append(Markup('<a href="{}#art-{}">{}</a>').format(PATH, number, text[start:end]))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)
