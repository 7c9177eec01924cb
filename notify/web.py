"""HTTP faces of the push platform: the staff message view (page ``/staff/notify/``, JSON
``/api/v1/staff/notify/messages``) and ``GET /api/v1/inbox``.

Staff login arrives with the identity issue. Until then the staff view is guarded by an interim shared
token (``SHEBAO_STAFF_TOKEN``): ``Authorization: Bearer <token>`` for the JSON API, HTTP Basic (any user
name, the token as password) for the page. With no token configured the view answers 403 to everyone.
"""

from __future__ import annotations

import hmac
import logging
from functools import wraps

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from gateway.db import get_session
from gateway.errors import UserError, error_response
from gateway.validation import parse_page
from notify import inbox, staff
from notify.kinds import Channel, MessageStatus

log = logging.getLogger("shebao.notify")

staff_bp = Blueprint("notify_staff", __name__, url_prefix="/staff/notify", template_folder="jinja")
staff_api_bp = Blueprint("notify_staff_api", __name__, url_prefix="/api/v1/staff/notify")
api_bp = Blueprint("notify_api", __name__, url_prefix="/api/v1/inbox")


# ------------------------------------------------------------------------------------------ staff view


def _staff_actor() -> str | None:
    """The interim staff identity, or None. Constant-time comparison; the token itself is never logged."""
    token = current_app.config["SETTINGS"].staff_token
    if not token:
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return "staff-token"
    auth = request.authorization
    if (
        auth is not None
        and auth.type == "basic"
        and auth.password is not None
        and hmac.compare_digest(auth.password.encode(), token.encode())
    ):
        return f"staff-token:{(auth.username or 'staff')[:40]}"
    return None


def staff_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        actor = _staff_actor()
        if actor is None:
            if not current_app.config["SETTINGS"].staff_token:
                raise UserError("staff_view_closed", "工作人员功能尚未开放。", 403)
            resp = make_response(error_response("staff_login_required", "请以工作人员身份登录。", 401))
            resp.headers["WWW-Authenticate"] = 'Basic realm="shebao-staff", charset="UTF-8"'
            return resp
        g.staff_actor = actor
        return view(*args, **kwargs)

    return wrapped


def _query() -> staff.StaffQuery:
    args = request.args
    person_id = None
    if args.get("person_id", "").strip():
        raw = args["person_id"].strip()
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise UserError("invalid_person_id", "人员编号应为数字。", 400)
        person_id = int(raw)
    status = None
    if args.get("status"):
        try:
            status = MessageStatus(args["status"])
        except ValueError:
            raise UserError("invalid_status", "消息状态不正确。", 400) from None
    channel = None
    if args.get("channel"):
        try:
            channel = Channel(args["channel"])
        except ValueError:
            raise UserError("invalid_channel", "发送渠道不正确。", 400) from None
    return staff.StaffQuery(person_id, status, channel, parse_page(args.get("page")))


@staff_api_bp.get("/messages")
@staff_only
def staff_messages():
    query = _query()
    items, total = staff.find_messages(get_session(), query)
    return jsonify({"items": items, "total": total, "page": query.page, "counts": staff.status_counts(get_session())})


def _resend(message_id: int, reason: str) -> None:
    session = get_session()
    try:
        staff.resend(session, message_id, g.staff_actor, reason)
    except staff.ResendError as exc:
        session.rollback()
        raise UserError("cannot_resend", exc.message, 409 if reason.strip() else 400) from None
    session.commit()
    log.info("notify resend", extra={"fields": {"message_id": message_id, "actor": g.staff_actor}})


@staff_api_bp.post("/messages/<int:message_id>/resend")
@staff_only
def staff_resend_api(message_id: int):
    if g.staff_actor != "staff-token":
        # Only the bearer token here: HTTP Basic is sent by browsers on their own, and this route has no CSRF.
        raise UserError("bearer_required", "请使用工作人员令牌调用此接口。", 403)
    body = request.get_json(silent=True) or {}
    reason = body.get("reason") if isinstance(body.get("reason"), str) else ""
    _resend(message_id, reason)
    return jsonify({"id": message_id, "status": MessageStatus.CREATED.value})


@staff_bp.get("/")
@staff_only
def staff_page():
    query = _query()
    items, total = staff.find_messages(get_session(), query)
    return render_template(
        "notify_staff.html",
        items=items,
        total=total,
        query=query,
        counts=staff.status_counts(get_session()),
        statuses=list(MessageStatus),
    )


@staff_bp.post("/<int:message_id>/resend")
@staff_only
def staff_resend_form(message_id: int):
    _resend(message_id, request.form.get("reason", ""))
    return redirect(url_for("notify_staff.staff_page", status=MessageStatus.PERMANENT_FAILURE.value))


# ------------------------------------------------------------------------------------------ inbox API


def _api_person() -> int:
    # Session-cookie login for now; token authentication for the mini-program arrives with identity.
    from gateway.identity.current import current_identity

    identity = current_identity()
    if identity is None:
        raise UserError("login_required", "请先登录。", 401)
    return identity.person_id


@api_bp.get("")
def api_inbox():
    person_id = _api_person()
    page = parse_page(request.args.get("page"))
    size = parse_page(request.args.get("page_size"), default=12, max_page=inbox.MAX_PAGE_SIZE)
    result = inbox.list_messages(get_session(), person_id, page, size)
    return jsonify(
        {
            "unread": result.unread,
            "page": result.page,
            "pages": result.pages,
            "total": result.total,
            "items": [m.as_json() for m in result.items],
        }
    )


@api_bp.get("/<int:message_id>")
def api_inbox_message(message_id: int):
    """Open one message (marks it read)."""
    person_id = _api_person()
    session = get_session()
    message = inbox.open_message(session, person_id, message_id)
    if message is None:
        raise UserError("not_found", "没有找到这条消息。", 404)
    session.commit()
    return jsonify(message.as_json())


def init_app(app: Flask) -> None:
    from gateway import csrf

    # The JSON API is authorised by a bearer token (not ambient), so CSRF does not apply; the page's
    # resend form (HTTP Basic is ambient) keeps CSRF protection.
    csrf.exempt(staff_api_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(staff_api_bp)
    app.register_blueprint(api_bp)
