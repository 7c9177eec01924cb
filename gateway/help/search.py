"""Ranked search over short Chinese texts, in pure Python: character bigrams + BM25 (BM25F-style field weights).

Chinese is written without spaces, so words cannot be split on whitespace and a dictionary segmenter would be
a heavy dependency. Overlapping character bigrams ("怎么预约" → 怎么, 么预, 预约) match any two-character word
and most longer ones, which is how most Chinese full-text search engines index text. Runs of ASCII letters and
digits ("12333", "PDF") are kept as whole words. Scores are BM25 (k1 = 1.2, b = 0.75) over one virtual
document per entry in which title tokens count ``TITLE_WEIGHT`` times, so a match in the title outranks the
same match in an answer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Document", "Hit", "SearchIndex", "expand_synonyms", "tokenize"]

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3
# Tail results scoring below this share of the best one are noise from a single common bigram.
RELATIVE_CUTOFF = 0.2

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Question words and particles carry no topic: "怎么预约" is about 预约. They are cut out before the bigrams
# are made, so neither they nor the bigrams across them (么预, 了怎) make every "怎么…？" entry match every
# "怎么…" query.
STOP_WORDS = ("怎么", "怎样", "如何", "什么", "哪些", "哪里", "请问", "可以", "能不能", "是否", "需要", "一下")
STOP_CHARS = "的了吗呢吧啊呀么嘛我你您"
_STOP = re.compile("|".join([*STOP_WORDS, f"[{STOP_CHARS}]"]))


def tokenize(text: str) -> list[str]:
    """Bigrams of each Chinese run (a lone character stands for itself) and whole ASCII words, lower-cased."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    for run in _RUN.findall(text):
        if not _IS_CJK.match(run):
            tokens.append(run)
            continue
        if len(run) == 1:
            tokens.append(run)
            continue
        for part in _STOP.split(run):
            tokens.extend(part[i : i + 2] for i in range(len(part) - 1))
    return tokens


def expand_synonyms(query: str, synonyms: Mapping[str, str]) -> str:
    """The query plus the standard term for each colloquial one it contains (退休金 → 退休金 养老金)."""
    normal = unicodedata.normalize("NFKC", query).lower()
    extra = [standard for colloquial, standard in synonyms.items() if colloquial.lower() in normal]
    return " ".join([query, *extra])


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


class SearchIndex:
    """An inverted index over ``documents``, built once; :meth:`search` is read-only and thread-safe."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self._keys = [d.key for d in documents]
        self._postings: dict[str, list[tuple[int, int]]] = {}
        self._lengths: list[int] = []
        for i, doc in enumerate(documents):
            counts: Counter[str] = Counter()
            for token in tokenize(doc.title):
                counts[token] += TITLE_WEIGHT
            counts.update(tokenize(doc.body))
            self._lengths.append(sum(counts.values()))
            for token, tf in counts.items():
                self._postings.setdefault(token, []).append((i, tf))
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 1.0
        n = len(self._keys)
        self._idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self._postings.items()}

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Entries matching ``query``, best first (ties keep the documents' order)."""
        scores: dict[int, float] = {}
        for token in set(tokenize(query)):
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
        return [Hit(self._keys[i], scores[i]) for i in ranked[:limit]]
