"""维护公告: administrators announce a maintenance window of the core system (issue 19; LD/T 01 6.4.5, 6.5.3).
Every channel shows it ahead of time (web banner, kiosk, ``GET /api/v1/service-status``); during it the
back-office adapter calls nothing and refuses the affected actions with the end time. Each announcement and
cancellation is written to the audit trail naming the administrator."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import Audience, gate
from gateway.actor import audit
from gateway.backoffice import maintenance
from gateway.channel_policy import Operation
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole

bp = Blueprint("hotline_maintenance", __name__, url_prefix="/hotline/admin/maintenance")
add_section("hotline_maintenance.index", "维护公告", {StaffRole.ADMIN})

ADMIN = (StaffRole.ADMIN,)


def _beijing(value: str) -> datetime | None:
    """A ``datetime-local`` field: Beijing wall-clock time (a naive value, read as Beijing by gateway.clock)."""
    try:
        return datetime.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _page(*, errors=(), form=None, notice: str | None = None, status: int = 200):
    db = get_session()
    now = clock.now()
    recent = db.scalars(
        select(maintenance.MaintenanceWindow).order_by(maintenance.MaintenanceWindow.starts_at.desc()).limit(20)
    ).all()
    return render_template(
        "hotline/maintenance.html",
        upcoming=maintenance.upcoming(db, now, maintenance.NOTICE_AHEAD * 52),
        recent=recent,
        errors=list(errors),
        form=form or {},
        notice=notice,
        now=now,
    ), status


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def index():
    return _page(
        notice={"announced": "维护公告已发布，各渠道将提前显示。", "cancelled": "维护公告已撤销。"}.get(
            request.args.get("done", "")
        )
    )


@bp.post("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def announce():
    form = request.form
    starts, ends = _beijing(form.get("starts_at", "")), _beijing(form.get("ends_at", ""))
    errors = []
    if starts is None:
        errors.append(("starts_at", "请填写开始时间（北京时间）。"))
    if ends is None:
        errors.append(("ends_at", "请填写结束时间（北京时间）。"))
    if errors:
        return _page(errors=errors, form=form, status=400)
    actor = current_actor()
    db = get_session()
    try:
        window = maintenance.announce(
            db,
            starts_at=starts,
            ends_at=ends,
            note=(form.get("note") or "")[: maintenance.MAX_NOTE + 1],
            staff_id=actor.staff_id,
            now=clock.now(),
        )
    except UserError as refused:
        return _page(errors=[("ends_at", refused.message)], form=form, status=400)
    audit(
        db,
        actor,
        AuditAction.SETTINGS_CHANGED,
        detail=f"发布核心系统维护公告：{window.starts_label} 至 {window.ends_label}",
    )
    return redirect(url_for(".index", done="announced"))


@bp.post("/<int:window_id>/cancel")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def cancel(window_id: int):
    db = get_session()
    if maintenance.cancel(db, window_id, clock.now()):
        audit(db, current_actor(), AuditAction.SETTINGS_CHANGED, detail=f"撤销核心系统维护公告 {window_id}")
    return redirect(url_for(".index", done="cancelled"))
