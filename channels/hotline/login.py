"""Staff login (password + TOTP in one form), logout, and the console's home page."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from gateway import clock
from gateway.access.edge import audit_here, current_actor, current_staff, end_session, start_staff_session
from gateway.access.needs import Audience, gate, public
from gateway.channel_policy import Operation
from gateway.chat import service as chat_service
from gateway.identity.service import mask_ip
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.staff.models import AuditAction, StaffRole
from gateway.staff.service import StaffLoginOutcome, authenticate

bp = Blueprint("hotline", __name__, url_prefix="/hotline", template_folder="templates")
log = logging.getLogger(__name__)

BAD_LOGIN = "工号、密码或动态口令不正确。"
LOCKED = "连续输错次数过多，账户已暂时锁定 15 分钟；如需立即解锁，请联系系统管理员。"

#: The console's sections: (endpoint, label, roles that see it). Features add theirs with :func:`add_section`.
SECTIONS: list[tuple[str, str, frozenset[StaffRole]]] = [
    ("hotline_people.search", "账户查询与解锁", frozenset({StaffRole.AGENT, StaffRole.SUPERVISOR})),
    ("hotline_messages.page", "消息发送情况", frozenset({StaffRole.AGENT, StaffRole.SUPERVISOR, StaffRole.ADMIN})),
    ("hotline_hall_admin.index", "网点与预约时段", frozenset({StaffRole.ADMIN})),
]


def add_section(endpoint: str, label: str, roles: set[StaffRole]) -> None:
    """Show a link to ``endpoint`` on the console home for staff holding any of ``roles`` (once, however many
    apps are made)."""
    if all(known != endpoint for known, _label, _roles in SECTIONS):
        SECTIONS.append((endpoint, label, frozenset(roles)))


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect."""
    if target and target.startswith("/hotline/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("hotline.home")


@bp.route("/login", methods=["GET", "POST"])
@public(Operation.LOGIN)
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    errors: list[tuple[str, str]] = []
    username = (request.form.get("username") or "").strip()
    if request.method == "POST":
        password = request.form.get("password") or ""
        code = (request.form.get("code") or "").strip()
        if not username:
            errors.append(("username", "请填写工号。"))
        if not password:
            errors.append(("password", "请填写密码。"))
        if not code:
            errors.append(("code", "请填写动态口令（手机令牌上的 6 位数字）。"))
        if not errors:
            result = authenticate(
                get_session(),
                current_app.extensions["shebao_vault"],
                username[:64],
                password[:128],
                code[:12],
                ip=mask_ip(request.remote_addr),
            )
            if result.outcome is StaffLoginOutcome.OK and result.staff is not None:
                start_staff_session(result.staff)
                log.info("staff login", extra={"fields": {"staff_id": result.staff.id}})
                return redirect(_safe_next(request.args.get("next")))
            errors.append(("password", LOCKED if result.outcome is StaffLoginOutcome.LOCKED else BAD_LOGIN))
    status = 400 if errors else 200
    return render_template("hotline/login.html", errors=errors, username=username), status


@bp.post("/logout")
@gate(Operation.LOGIN, Audience.STAFF)
def logout():
    audit_here(AuditAction.LOGOUT)
    # An agent who leaves the console no longer counts as online for people waiting in live chat.
    chat_service.signed_off(get_session(), current_actor().staff_id, now=clock.now())
    end_session()
    return redirect(url_for("hotline.login"))


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF)
def home():
    staff = current_staff()
    sections = [(endpoint, label) for endpoint, label, roles in SECTIONS if staff.roles & roles]
    return render_template("hotline/home.html", sections=sections)
