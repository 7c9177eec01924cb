"""HTTP faces of the push platform: the staff message view in the staff console (page ``/hotline/messages/``,
staff login) and the operations JSON API ``/api/v1/staff/notify/messages``. (The person's inbox API is
``gateway.api.inbox``.)

The page is for people: staff log in with password + TOTP, and a resend is written to both the notify audit and
the staff audit trail. The JSON API is for the operators' tools: it takes ``Authorization: Bearer`` with the
operations token ``SHEBAO_STAFF_TOKEN``; with no token configured it answers 403 to everyone.
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
from sqlalchemy import select

from gateway.access.edge import audit_here, current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.db import get_session
from gateway.errors import UserError, error_response
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import parse_page
from notify import staff
from notify.kinds import Channel, MessageStatus
from notify.models import NotifyMessage

log = logging.getLogger("shebao.notify")

staff_bp = Blueprint("notify_staff", __name__, url_prefix="/hotline/messages", template_folder="jinja")
staff_api_bp = Blueprint("notify_staff_api", __name__, url_prefix="/api/v1/staff/notify")


# ------------------------------------------------------------------------------------------ staff view


def _token_actor() -> str | None:
    """The operations tool, when it shows the token. Constant-time comparison; the token is never logged."""
    token = current_app.config["SETTINGS"].staff_token
    if not token:
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return "staff-token"
    return None


def token_only(view):
    """The operations JSON API: bearer token only (never ambient credentials, so no CSRF exposure)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        actor = _token_actor()
        if actor is None:
            if not current_app.config["SETTINGS"].staff_token:
                raise UserError("staff_view_closed", "运维接口未开放（未配置 SHEBAO_STAFF_TOKEN）。", 403)
            resp = make_response(error_response("staff_login_required", "请使用运维令牌调用此接口。", 401))
            resp.headers["WWW-Authenticate"] = 'Bearer realm="shebao-ops"'
            return resp
        g.staff_actor = actor
        return view(*args, **kwargs)

    return wrapped


#: Who may see the message view, and who may resend a permanent failure.
VIEWERS = (StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN)
RESENDERS = (StaffRole.SUPERVISOR, StaffRole.ADMIN)


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
@gate(Operation.HANDLE, Audience.OPERATOR)
@token_only
def staff_messages():
    query = _query()
    items, total = staff.find_messages(get_session(), query)
    return jsonify({"items": items, "total": total, "page": query.page, "counts": staff.status_counts(get_session())})


def _resend(message_id: int, reason: str, actor: str) -> None:
    session = get_session()
    try:
        staff.resend(session, message_id, actor, reason)
    except staff.ResendError as exc:
        session.rollback()
        raise UserError("cannot_resend", exc.message, 409 if reason.strip() else 400) from None
    if current_staff() is not None:
        person_id = session.scalar(select(NotifyMessage.person_id).where(NotifyMessage.id == message_id))
        audit_here(AuditAction.MESSAGE_RESENT, person_id=person_id, detail=f"重发消息 {message_id}：{reason[:200]}")
    session.commit()
    log.info("notify resend", extra={"fields": {"message_id": message_id, "actor": actor}})


@staff_api_bp.post("/messages/<int:message_id>/resend")
@gate(Operation.HANDLE, Audience.OPERATOR)
@token_only
def staff_resend_api(message_id: int):
    body = request.get_json(silent=True) or {}
    reason = body.get("reason") if isinstance(body.get("reason"), str) else ""
    _resend(message_id, reason, g.staff_actor)
    return jsonify({"id": message_id, "status": MessageStatus.CREATED.value})


@staff_bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*VIEWERS,))
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
        may_resend=bool(current_staff().roles & set(RESENDERS)),
    )


@staff_bp.post("/<int:message_id>/resend")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*RESENDERS,))
def staff_resend_form(message_id: int):
    _resend(message_id, request.form.get("reason", "")[:255], f"staff:{current_staff().username}")
    return redirect(url_for("notify_staff.staff_page", status=MessageStatus.PERMANENT_FAILURE.value))


def init_app(app: Flask) -> None:
    from gateway.security.csrf import csrf

    # The operations API is authorised by a bearer token (not ambient), so CSRF does not apply; the page's
    # resend form (a session cookie is ambient) keeps CSRF protection.
    csrf.exempt(staff_api_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(staff_api_bp)
