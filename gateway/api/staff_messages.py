"""The operations JSON API of the push platform, ``/api/v1/staff/notify/messages``: for the operators' tools, with
``Authorization: Bearer`` and the operations token ``SHEBAO_STAFF_TOKEN`` (a system's credential, not a
person's; with no token configured it answers 403 to everyone). Not in the public OpenAPI document."""

from __future__ import annotations

import hmac
import logging
from functools import wraps

from flask import Blueprint, Flask, current_app, jsonify, make_response, request

from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.errors import UserError, error_response
from gateway.request_db import get_session
from notify import staff
from notify.kinds import MessageStatus

bp = Blueprint("notify_staff_api", __name__, url_prefix="/api/v1/staff/notify")
log = logging.getLogger("shebao.notify")
TOKEN_ACTOR = "staff-token"


def _token_ok() -> bool:
    """Constant-time comparison; the token is never logged."""
    token = current_app.config["SETTINGS"].staff_token
    header = request.headers.get("Authorization", "")
    return (
        bool(token)
        and header.startswith("Bearer ")
        and hmac.compare_digest(header[7:].strip().encode(), token.encode())
    )


def token_only(view):
    """Bearer token only (never ambient credentials, so no CSRF exposure)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not _token_ok():
            if not current_app.config["SETTINGS"].staff_token:
                raise UserError("staff_view_closed", "运维接口未开放（未配置 SHEBAO_STAFF_TOKEN）。", 403)
            resp = make_response(error_response("staff_login_required", "请使用运维令牌调用此接口。", 401))
            resp.headers["WWW-Authenticate"] = 'Bearer realm="shebao-ops"'
            return resp
        return view(*args, **kwargs)

    return wrapped


@bp.get("/messages")
@gate(Operation.HANDLE, Audience.OPERATOR)
@token_only
def messages():
    query = staff.query_from(request.args)
    items, total = staff.find_messages(get_session(), query)
    return jsonify({"items": items, "total": total, "page": query.page, "counts": staff.status_counts(get_session())})


@bp.post("/messages/<int:message_id>/resend")
@gate(Operation.HANDLE, Audience.OPERATOR)
@token_only
def resend(message_id: int):
    body = request.get_json(silent=True) or {}
    reason = body.get("reason") if isinstance(body.get("reason"), str) else ""
    staff.resend_or_refuse(get_session(), message_id, TOKEN_ACTOR, reason)
    log.info("notify resend", extra={"fields": {"message_id": message_id, "actor": TOKEN_ACTOR}})
    return jsonify({"id": message_id, "status": MessageStatus.CREATED.value})


def init_app(app: Flask) -> None:
    from gateway.security.csrf import csrf

    csrf.exempt(bp)  # authorised by a bearer token, not an ambient cookie
    app.register_blueprint(bp)
