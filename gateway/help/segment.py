"""Chinese word segmentation for the knowledge base (LD/T 01 5.5.2 a): jieba with the agency's own dictionary.

Chinese is written without spaces. jieba cuts a sentence into dictionary words; ``userdict.txt`` beside this
module adds the social-insurance terms a general dictionary splits wrongly (社会保障卡, 转移接续, 待遇资格认证,
骗保, 断缴 …), so "社保卡丢了" becomes 社保卡 / 丢 rather than 社保 / 卡丢. Search mode (``cut_for_search``) also
emits the shorter words inside a long one (社会保障卡 → 社会, 保障, 社会保障卡), so a question naming part of a
term still meets it. Runs of ASCII letters and digits ("12333", "PDF") are kept whole. Question words and
particles ("怎么", "吗") carry no topic and are dropped.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from pathlib import Path

import jieba

__all__ = ["STOP_WORDS", "USER_DICT", "segmenter", "words"]

USER_DICT = Path(__file__).with_name("userdict.txt")

#: Words that ask, point or hedge but say nothing about the topic.
STOP_WORDS = frozenset(
    [
        "怎么",
        "怎样",
        "怎么样",
        "如何",
        "什么",
        "哪些",
        "哪里",
        "哪个",
        "哪",
        "请问",
        "可以",
        "能不能",
        "能否",
        "是否",
        "需要",
        "一下",
        "一个",
        "这个",
        "那个",
        "还是",
        "还有",
        "我",
        "你",
        "您",
        "他",
        "她",
        "我们",
        "我的",
        "自己",
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "有",
        "没有",
        "要",
        "想",
        "会",
        "能",
        "就",
        "都",
        "也",
        "又",
        "被",
        "把",
        "给",
        "对",
        "从",
        "到",
        "让",
        "去",
        "来",
        "时",
        "后",
        "前",
        "里",
        "上",
        "下",
        "个",
        "些",
        "多",
        "很",
        "不",
        "没",
        "该",
        "得",
        "地",
        "着",
        "过",
        "吧",
        "呗",
        "哦",
        "嗯",
        "为",
        "为什么",
        "现在",
        "已经",
        "还",
        "之后",
        "以后",
        "时候",
        "应该",
        "必须",
        "如果",
        "因为",
        "所以",
        "但是",
        "一直",
        "之前",
        "那么",
        "这么",
        "这样",
        "那样",
        "怎么办",
        "咋",
        "咋办",
        "啥",
        "请",
        "麻烦",
        "谢谢",
    ]
)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KEEP = re.compile(rf"^(?:[{_CJK}]+|[a-z0-9]+)$")
_lock = threading.Lock()


@functools.cache
def segmenter() -> jieba.Tokenizer:
    """The process-wide jieba tokenizer with our dictionary, initialised once (about a second, then cached)."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with _lock:
        tokenizer.initialize()
        tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


def words(text: str) -> list[str]:
    """The topic words of ``text`` in order: jieba search-mode words, lower-cased, without stop words."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for word in segmenter().cut_for_search(text, HMM=False):
        word = word.strip()
        if word and _KEEP.match(word) and word not in STOP_WORDS:
            out.append(word)
    return out
