"""JSON bodies the parsers cannot be trusted with are refused up front with a 400 (issue 13, should fix):
nesting deep enough to exhaust Python's recursion (``[[[[…`` 100,000 deep), and lone surrogates (``"\\ud800"``),
which parse but cannot be encoded as UTF-8 later (a hash, the database). ASVS 5.0 1.2.x / 2.2.1: input is
checked against what it may be before it is used."""

from __future__ import annotations

import json

from flask import Flask, request

from gateway.problems import UserError

BAD_JSON = "请求内容不是有效的 JSON：嵌套过深或含有无效字符，请检查后重试。"


def check_json_body(raw: bytes) -> None:
    """Raise UserError (400) when ``raw`` nests too deep or holds a lone surrogate; other faults are the
    parsers' to answer (a syntax error is their own 400)."""
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(text)
    except RecursionError:
        raise UserError("bad_json", BAD_JSON, 400) from None
    except ValueError:  # not JSON at all, or not UTF-8: the parsers say so themselves
        return
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise UserError("bad_json", BAD_JSON, 400) from None


def _guard() -> None:
    if request.is_json and request.content_length != 0:
        check_json_body(request.get_data(cache=True))


def init_app(app: Flask) -> None:
    """Check every JSON body before any view or parser reads it."""
    app.before_request(_guard)
