"""``/api/v1/inbox``: the person's site messages (站内信, LD/T 01 5.4.4) and the unread count, for the
mini-program, the kiosk and the web's own scripts. Messages are written by the push platform (``notify``)."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String

from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.schemas import MAX_ID, Input, Int, Output, one_of
from gateway.channel_policy import Operation
from gateway.problems import UserError
from gateway.request_db import get_session
from notify import inbox
from notify.kinds import MessageKind

bp = APIBlueprint("inbox", __name__, url_prefix="/inbox", tag="站内信")

MAX_PAGE = 10000


class InboxMessage(Output):
    id = Integer(required=True)
    kind = String(required=True, validate=one_of(MessageKind))
    kind_label = String(required=True, metadata={"examples": ["办理结果"]})
    title = String(required=True)
    body = String(required=True)
    link = String(required=True, allow_none=True, metadata={"description": "本站内的相对地址"})
    delivered_at = String(
        required=True, metadata={"description": "送达时间（北京时间）", "examples": ["2026-11-23T10:00"]}
    )
    read = Boolean(required=True)


class InboxPage(Output):
    unread = Integer(required=True)
    page = Integer(required=True)
    pages = Integer(required=True)
    total = Integer(required=True)
    items = List(Nested(InboxMessage), required=True)


class PageQuery(Input):
    page = Int(
        digits=True,
        load_default=1,
        maximum=MAX_PAGE,
        code="invalid_page",
        message=f"页码应为1至{MAX_PAGE}之间的整数。",
    )
    page_size = Int(
        digits=True,
        load_default=12,
        maximum=inbox.MAX_PAGE_SIZE,
        code="invalid_page",
        message=f"每页条数应为1至{inbox.MAX_PAGE_SIZE}之间的整数。",
    )


@bp.get("")
@gate(Operation.QUERY, level=1)
@bp.input(PageQuery, location="query")
@bp.output(InboxPage, description="一页站内信，最新的在前")
@bp.doc(
    summary="站内信列表与未读数（LD/T 01 5.4.4）",
    description="需要登录：小程序、自助终端用 Bearer 访问令牌，网页用会话 Cookie。",
    operation_id="listInbox",
    responses={400: "页码不正确"},
)
def messages(query_data: dict):
    found = inbox.list_messages(get_session(), current_actor().subject_id, query_data["page"], query_data["page_size"])
    return {
        "unread": found.unread,
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "items": [m.as_json() for m in found.items],
    }


@bp.get("/<int:message_id>")
@gate(Operation.QUERY, level=1)
@bp.output(InboxMessage, description="消息")
@bp.doc(summary="打开一条站内信（标记为已读）", operation_id="openInboxMessage", responses={404: "没有这条消息"})
def message(message_id: int):
    """Open one message (marks it read; the request's commit keeps that)."""
    # An id past the column's range (32-bit INTEGER on PostgreSQL) names no message; asking the database would
    # fail with an overflow (a 500) instead. Found by tests/gateway/test_api_fuzz.py.
    opened = inbox.open_message(get_session(), current_actor().subject_id, message_id) if message_id <= MAX_ID else None
    if opened is None:
        raise UserError("not_found", "没有找到这条消息。", 404)
    return opened.as_json()
