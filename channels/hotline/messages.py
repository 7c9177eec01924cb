"""消息发送情况: the push platform's messages as staff see them on the console (LD/T 01 5.4.4), and a resend of a
permanent failure — written to the notify audit and the staff audit trail."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for

from gateway.access.edge import audit_here, current_actor, current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole
from notify import staff
from notify.kinds import MessageStatus

bp = Blueprint("hotline_messages", __name__, url_prefix="/hotline/messages")
log = logging.getLogger("shebao.notify")

#: Who may see the message view, and who may resend a permanent failure.
VIEWERS = (StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN)
RESENDERS = (StaffRole.SUPERVISOR, StaffRole.ADMIN)


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=VIEWERS)
def page():
    query = staff.query_from(request.args)
    items, total = staff.find_messages(get_session(), query)
    return render_template(
        "hotline/messages.html",
        items=items,
        total=total,
        query=query,
        counts=staff.status_counts(get_session()),
        statuses=list(MessageStatus),
        may_resend=current_actor().holds(*RESENDERS),
    )


@bp.post("/<int:message_id>/resend")
@gate(Operation.HANDLE, Audience.STAFF, roles=RESENDERS)
def resend(message_id: int):
    reason = request.form.get("reason", "")[:255]
    db = get_session()
    person_id = staff.resend_or_refuse(db, message_id, f"staff:{current_staff().username}", reason)
    audit_here(AuditAction.MESSAGE_RESENT, person_id=person_id, detail=f"重发消息 {message_id}：{reason[:200]}")
    log.info("notify resend", extra={"fields": {"message_id": message_id, "actor": "staff"}})
    return redirect(url_for("hotline_messages.page", status=MessageStatus.PERMANENT_FAILURE.value))
