"""The HTTP conventions every ``/api/v1`` operation follows, kept in one place (the hooks are installed by
:mod:`gateway.api.v1`; the document writer reads the same declarations, :mod:`gateway.api.openapi`):

* **Personal answers are never cached**: an operation the gate guards (anything but a public one) and every write
  answers ``Cache-Control: no-store`` — a shared phone or a proxy must not keep someone's records.
* **Public reads are revalidated, not re-sent** (:func:`cacheable`: the catalog and guides, halls, policies, the
  credit list): the answer carries a strong ``ETag`` (a hash of the body) and ``Cache-Control: public, no-cache``
  (a cache may keep it but asks each time — a hall's hours or a maintenance notice must not go stale); a request
  whose ``If-None-Match`` names the current tag is answered ``304`` with no body.
* **Idempotent POSTs**: a logged-in caller may send ``Idempotency-Key`` (1–80 visible ASCII characters, a UUID
  is usual) with a POST; if the same caller sends the same request with the same key again within 24 hours, the
  first successful answer comes back as it was (status and body, with ``Idempotent-Replayed: true``) and nothing
  is done twice. The same key with a different request is ``422 idempotency_key_reused``; a copy sent while the
  first is still being answered (a double tap) is ``409 idempotency_in_flight``. A refused request is not kept
  (its work was rolled back and its key freed), so sending it again simply asks again. (:mod:`gateway.idempotency`)
* **Paging**: every list that can grow takes ``page`` (from 1) and ``page_size`` (1–50, default 20) in the query
  and answers ``page``, ``page_size``, ``pages``, ``total`` beside the list (:class:`PageQuery`,
  :class:`Paged`). A page past the last answers an empty list with the real ``pages`` and ``total``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from apiflask.fields import Integer
from flask import Response, current_app, g, request

from gateway import clock, idempotency
from gateway.access.edge import current_actor
from gateway.access.needs import Audience, need_of
from gateway.api.schemas import Input, Int, Output
from gateway.problems import UserError
from gateway.request_db import get_session

V = TypeVar("V", bound=Callable)

CACHEABLE = "_shebao_cacheable"
#: A public read may be kept, but is revalidated each time (with If-None-Match, usually a 304).
PUBLIC_CACHE = "public, no-cache"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
NO_STORE = "no-store"
MAX_PAGE = 10000
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20

KEY_REFUSED = "请求标识（Idempotency-Key）应为 1 至 80 个可见的英文字母、数字或符号。"
KEY_REUSED = "该请求标识（Idempotency-Key）已用于另一项不同的请求，请为新的请求换一个新的标识。"
IN_FLIGHT = "相同的请求正在处理中，请稍候查看结果，不要重复提交。"


def cacheable(view: V) -> V:
    """Declare a public read whose answer may be cached and revalidated with its ETag."""
    setattr(view, CACHEABLE, True)
    return view


def is_cacheable(view: Callable | None) -> bool:
    while view is not None:
        if getattr(view, CACHEABLE, False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


# ---------------------------------------------------------------- paging


class PageQuery(Input):
    page = Int(
        digits=True,
        load_default=1,
        maximum=MAX_PAGE,
        code="invalid_page",
        message=f"页码应为1至{MAX_PAGE}之间的整数。",
        metadata={"description": "页码，从 1 开始"},
    )
    page_size = Int(
        digits=True,
        load_default=DEFAULT_PAGE_SIZE,
        maximum=MAX_PAGE_SIZE,
        code="invalid_page",
        message=f"每页条数应为1至{MAX_PAGE_SIZE}之间的整数。",
        metadata={"description": f"每页条数，1 至 {MAX_PAGE_SIZE}，默认 {DEFAULT_PAGE_SIZE}"},
    )


class Paged(Output):
    """The paging fields beside a list (the list itself is named for what it holds)."""

    page = Integer(required=True, metadata={"examples": [1]})
    page_size = Integer(required=True, metadata={"examples": [DEFAULT_PAGE_SIZE]})
    pages = Integer(required=True, metadata={"description": "总页数（至少为 1）", "examples": [1]})
    total = Integer(required=True, metadata={"description": "总条数", "examples": [1]})


def paged(page: int, page_size: int, total: int) -> dict[str, int]:
    return {"page": page, "page_size": page_size, "pages": max(1, -(-total // page_size)), "total": total}


def page_of(rows: list, page: int, page_size: int) -> tuple[list, dict[str, int]]:
    """One page of a list already in memory (a back-office answer that is not paged itself)."""
    start = (page - 1) * page_size
    return rows[start : start + page_size], paged(page, page_size, len(rows))


# ---------------------------------------------------------------- the hooks


def _view():
    return current_app.view_functions.get(request.endpoint or "")


def _personal(view) -> bool:
    need = need_of(view) if view is not None else None
    return need is None or need.audience is not Audience.PUBLIC


def _idempotency_actor() -> str | None:
    """Whose keys these are: a logged-in person (or unit clerk) on this channel. Anonymous callers share no
    identity a key could safely be scoped to, so their keys are not honoured."""
    actor = current_actor()
    if actor.person is None:
        return None
    return f"{actor.channel.value}:person:{actor.person.person_id}"


def replay_or_claim() -> Response | None:
    """Before a POST runs (after the gate): the kept answer of a replay, a refusal of a reused key or of a copy
    still being answered, or None to go on (the key now claimed for this request)."""
    if request.method != "POST":
        return None
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not _personal(_view()):
        return None
    if not (1 <= len(key) <= idempotency.MAX_KEY and key.isascii() and key.isprintable() and " " not in key):
        raise UserError("invalid_idempotency_key", KEY_REFUSED, 400)
    actor = _idempotency_actor()
    if actor is None:
        return None
    print_ = idempotency.fingerprint(request.method, request.path, request.get_data(cache=True))
    found = idempotency.claim(get_session(), actor, key, print_, clock.now())
    if found.claim is idempotency.Claim.REUSED:
        raise UserError("idempotency_key_reused", KEY_REUSED, 422)
    if found.claim is idempotency.Claim.IN_FLIGHT:
        raise UserError("idempotency_in_flight", IN_FLIGHT, 409)
    if found.claim is idempotency.Claim.NEW:
        g.idempotency = (actor, key)
        return None
    response = Response(found.body, status=found.status, content_type=found.content_type)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def release_unanswered(_exc: BaseException | None = None) -> None:
    """At the end of the request: a claimed key whose request did not succeed is freed, in a session of its own
    once the request's transaction has ended (teardown runs after the request's commit or rollback; on SQLite a
    second writer could not go while that transaction still held the lock)."""
    claim = g.pop("idempotency", None)
    if claim is None:
        return
    actor, key = claim
    with current_app.extensions["shebao_sessionmaker"]() as session:
        idempotency.release(session, actor, key)


def finish(response: Response) -> Response:
    """After every ``/api/v1`` answer: keep an idempotent POST's first success (or free its key after a
    refusal), mark personal answers no-store, tag cacheable public reads and answer 304 to a matching
    If-None-Match."""
    view = _view()
    claim = g.get("idempotency")
    if claim is not None and 200 <= response.status_code < 300 and not response.is_streamed:
        actor, key = claim
        content_type = response.content_type or "application/json"
        idempotency.complete(get_session(), actor, key, response.status_code, content_type, response.get_data())
        g.pop("idempotency")  # answered: kept with the work (a refusal's key is freed by release_unanswered)
    if request.method not in ("GET", "HEAD") or _personal(view):
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = NO_STORE
        return response
    if is_cacheable(view) and response.status_code == 200:
        response.headers["Cache-Control"] = PUBLIC_CACHE
        response.vary.add("X-Shebao-Channel")
        response.add_etag()
        response.make_conditional(request)
    return response
