"""``url_for`` for templates, each URL built once (issue 18).

Every page builds the same dozen URLs — the stylesheets, the header's links, the footer's — and werkzeug's builder
costs tens of microseconds each, about a tenth of a light page. A URL depends only on the endpoint, its arguments
(in their order, and their types too: ``on=1`` and ``on=True`` build different URLs), the blueprint for a
relative endpoint (``.x``) and the application root the request came in under; the app registers no
``url_defaults``. So templates get a ``url_for`` that keeps the last URLs built for those keys. Anything else —
an external URL, an anchor, an argument that cannot be a key — is built as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, request

#: Enough for every constant link of every page and the recent pages' own (a person's ``back=…`` links vary).
KEPT = 4096


def install(app: Flask) -> None:
    """Give ``app``'s templates the URL-keeping ``url_for``."""
    if app.url_default_functions:
        return  # a default injected per request would make a kept URL wrong
    build: Callable[..., str] = app.url_for

    @lru_cache(maxsize=KEPT)
    def built(_root: str, _blueprint: str | None, endpoint: str, items: tuple) -> str:
        return build(endpoint, **{name: value for name, _kind, value in items})

    def url_for(endpoint: str, **values: Any) -> str:
        if any(name.startswith("_") for name in values):
            return build(endpoint, **values)  # _external, _anchor, _method, _scheme: built each time
        # In the call's order: the query string keeps it.
        items = tuple((name, type(value), value) for name, value in values.items())
        blueprint = request.blueprint if endpoint.startswith(".") else None
        try:
            return built(request.script_root, blueprint, endpoint, items)
        except TypeError:  # an argument that cannot be a key (a list)
            return build(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for
