"""Ranked search over short Chinese texts that can say why it ranked what: jieba words + BM25 (BM25F-style field
weights), and a confidence that is the share of the question's weight the best answer covers.

Words come from :func:`gateway.help.segment.words` (jieba with the social-insurance dictionary). Scores are BM25
(k1 = 1.2, b = 0.75) over one virtual document per entry in which title words count ``TITLE_WEIGHT`` times, so
a match in the title outranks the same match in an answer. Each hit keeps the words it matched, so a reply can
show them ("匹配：社会保障卡、挂失").

The confidence (:meth:`SearchIndex.coverage`) answers "how much of what was asked does this entry speak to?":
the sum of the inverse document frequencies (IDF) of the question's words found in the entry, divided by the
sum over all of them. A word no entry contains ("护照") weighs as much as the rarest word, so a question about
something the knowledge base does not cover scores low however well its common words ("办理") match.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.help.segment import words

__all__ = ["Document", "Hit", "SearchIndex", "expand_synonyms", "rewrite_synonyms", "tokenize"]

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
# Tail results scoring below this share of the best one are noise from a single common word.
RELATIVE_CUTOFF = 0.2
#: A one-character word (丢, 钱) says less than a term; it weighs this share of its IDF in the confidence.
SINGLE_CHAR_WEIGHT = 0.5


def tokenize(text: str) -> list[str]:
    """The words of ``text`` that are searched for (jieba search mode, stop words removed)."""
    return words(text)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def expand_synonyms(query: str, synonyms: Mapping[str, str]) -> str:
    """The query plus the standard term for each colloquial one it contains (退休金 → 退休金 养老金)."""
    normal = _normal(query)
    extra = [standard for colloquial, standard in synonyms.items() if colloquial.lower() in normal]
    return " ".join([query, *extra])


def rewrite_synonyms(query: str, synonyms: Mapping[str, str]) -> str:
    """The query in policy terms: each colloquial term replaced by its standard one in one pass, longest first
    (骗保会被罚多少钱 → 骗取社会保险基金 会被罚多少钱)."""
    text = _normal(query)
    table = {k.lower(): v for k, v in synonyms.items()}
    if not table:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: f" {table[m.group(0)]} ", text)


@functools.lru_cache(maxsize=4096)
def _counts(title: str, body: str) -> Counter[str]:
    """A document's word counts, title words counted ``TITLE_WEIGHT`` times. Kept per text, so the index rebuilt
    for one new entry (:meth:`gateway.help.knowledge.KnowledgeBase.with_entries`) segments only that entry."""
    counts: Counter[str] = Counter()
    for token in tokenize(title):
        counts[token] += TITLE_WEIGHT
    counts.update(tokenize(body))
    return counts


@dataclass(frozen=True)
class Document:
    """One searchable entry; ``key`` is whatever the caller needs to find it again."""

    key: str
    title: str
    body: str


@dataclass(frozen=True)
class Hit:
    key: str
    score: float
    #: The question's words this entry contains, in the question's order.
    matched: tuple[str, ...] = ()


class SearchIndex:
    """An inverted index over ``documents``, built once; :meth:`search` is read-only and thread-safe."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._keys = [d.key for d in documents]
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._lengths: list[int] = []
        self._vocab: list[frozenset[str]] = []
        for i, doc in enumerate(documents):
            counts = _counts(doc.title, doc.body)
            self._lengths.append(sum(counts.values()))
            self._vocab.append(frozenset(counts))
            for token, tf in counts.items():
                self._postings.setdefault(token, []).append((i, tf))
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        n = len(self._keys)
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}
        #: The weight of a word no entry contains: that of a word found in none of them.
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._position = {k: i for i, k in enumerate(self._keys)}

    def __len__(self) -> int:
        return len(self._keys)

    def idf(self, token: str) -> float:
        """How rare ``token`` is across the entries (a word in none weighs the most)."""
        return self._idf.get(token, self._unknown_idf)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Entries matching ``query``, best first (ties keep the documents' order)."""
        tokens = list(dict.fromkeys(tokenize(query)))
        scores: dict[int, float] = {}
        for token in tokens:
            idf = self._idf.get(token)
            if idf is None:
                continue
            for i, tf in self._postings[token]:
                norm = K1 * (1 - B + B * self._lengths[i] / self._average)
                scores[i] = scores.get(i, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        if not scores:
            return []
        best = max(scores.values())
        ranked = sorted((i for i, s in scores.items() if s >= best * RELATIVE_CUTOFF), key=lambda i: (-scores[i], i))
        return [Hit(self._keys[i], scores[i], tuple(t for t in tokens if t in self._vocab[i])) for i in ranked[:limit]]

    def matched(self, query: str, key: str) -> tuple[str, ...]:
        """The words of ``query`` that the entry ``key`` contains, in the query's order."""
        vocab = self._vocab[self._position[key]]
        return tuple(t for t in dict.fromkeys(tokenize(query)) if t in vocab)

    def coverage(self, query: str, key: str) -> float:
        """The share (0–1) of the weight of ``query``'s words that the entry ``key`` contains."""
        vocab = self._vocab[self._position[key]]
        total = covered = 0.0
        for token in dict.fromkeys(tokenize(query)):
            weight = self.idf(token) * (SINGLE_CHAR_WEIGHT if len(token) == 1 else 1.0)
            total += weight
            if token in vocab:
                covered += weight
        return covered / total if total else 0.0
