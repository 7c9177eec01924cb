"""``Cache-Control`` for the public pages whose data is public (issue 18): the catalog, the help pages and the
public information section, as an anonymous visitor sees them.

Every HTML answer is ``no-store`` by default (gateway/security/headers.py): pages show personal data. These
pages show none to an anonymous visitor, so a browser or the city's reverse proxy may keep a copy and ask again
with its ETag: an unchanged page is a 304 with no body. They must ask every time (``no-cache``), not keep the copy
for minutes: the halls' queues are live, and a unit taken off the serious-dishonesty list must be gone from the
published list at once (GB/T 31621 19). They are marked only when nothing personal can be
in them: a GET answered 200 to a request that carries no cookie at all (no session, no elder-mode choice) and
that sets none (a session being written means the page holds a CSRF token). ``Vary: Cookie`` keeps a cache
from handing that copy to anyone who does carry a cookie.
"""

from __future__ import annotations

from flask import Flask, Response, request, session

#: Endpoints whose page is the same for every anonymous visitor.
PUBLIC_ENDPOINTS = frozenset({"pages.services", "pages.guide", "pages.help"})
PUBLIC_BLUEPRINTS = frozenset({"info"})


def _cacheable(response: Response) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.mimetype != "text/html":
        return False
    if request.endpoint not in PUBLIC_ENDPOINTS and request.blueprint not in PUBLIC_BLUEPRINTS:
        return False
    if request.cookies or session.get("person_id") is not None or session.get("staff_id") is not None:
        return False
    return "Set-Cookie" not in response.headers


def _mark(response: Response) -> Response:
    if not _cacheable(response):
        return response
    response.headers["Cache-Control"] = "public, no-cache"
    response.vary.add("Cookie")
    response.add_etag()
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.after_request(_mark)
