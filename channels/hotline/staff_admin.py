"""Administrators manage staff accounts on the console: add one (its TOTP enrolment shown once), lock, unlock,
re-key a lost second factor, change roles and department. Each change is written to the audit trail naming the
administrator (LD/T 01 6.3.2; ASVS 5.0 V16.3.1, V6.4.3 for a factor's reset)."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from channels.hotline.login import add_section
from gateway.access.edge import current_actor
from gateway.access.needs import Audience, gate
from gateway.appointments.models import Hall
from gateway.channel_policy import Operation
from gateway.request_db import get_session
from gateway.staff import service as staff_service
from gateway.staff.models import Staff, StaffRole
from gateway.staff.service import StaffError
from gateway.staff.totp import provisioning_uri

bp = Blueprint("hotline_staff_admin", __name__, url_prefix="/hotline/admin/staff")
add_section("hotline_staff_admin.index", "工作人员账户", {StaffRole.ADMIN})

ADMIN = (StaffRole.ADMIN,)
DONE = {
    "locked": "已锁定该账户，其登录会话已立即失效。",
    "unlocked": "已解锁该账户，可以重新登录。",
    "changed": "已保存岗位、科室和网点。",
    "unchanged": "岗位、科室和网点没有变化。",
}


def _vault():
    return current_app.extensions["shebao_vault"]


def _target(staff_id: int) -> Staff:
    staff = get_session().get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def _roles(values: list[str]) -> set[StaffRole]:
    """The roles ticked on the form; anything else is ignored."""
    known = {role.value: role for role in StaffRole}
    return {known[value] for value in values if value in known}


def _enrolment(staff: Staff, secret: str, *, new: bool):
    """The TOTP seed, shown on this one answer and never again (it is stored encrypted only)."""
    uri = provisioning_uri(secret, staff.username)
    qr = segno.make(uri, error="m").svg_inline(scale=4, omitsize=False)
    return render_template("hotline/staff_admin/enrolment.html", member=staff, secret=secret, uri=uri, qr=qr, new=new)


def _index(*, errors=(), form=None, status=200):
    return render_template(
        "hotline/staff_admin/index.html",
        accounts=staff_service.all_staff(get_session()),
        roles=list(StaffRole),
        errors=list(errors),
        form=form or {},
    ), status


def _halls() -> list[Hall]:
    return list(get_session().scalars(select(Hall).order_by(Hall.id)))


def _account(staff: Staff, *, errors=(), status=200):
    return render_template(
        "hotline/staff_admin/account.html",
        member=staff,
        halls=_halls(),
        roles=list(StaffRole),
        errors=list(errors),
        notice=DONE.get(request.args.get("done", "")),
        me=current_actor().staff_id,
    ), status


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def index():
    return _index()


@bp.post("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def add():
    form = request.form
    roles = _roles(form.getlist("role"))
    try:
        made = staff_service.create_staff(
            get_session(),
            _vault(),
            username=(form.get("username") or "")[:64],
            name=(form.get("name") or "")[:80],
            department=(form.get("department") or "")[:80],
            password=(form.get("password") or "")[:128],
            roles=roles,
            by=current_actor().operator,
        )
    except StaffError as refused:
        return _index(errors=[(refused.field or "username", refused.message)], form=form, status=400)
    return _enrolment(made.staff, made.totp_secret, new=True)


@bp.get("/<int:staff_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def account(staff_id: int):
    return _account(_target(staff_id))


@bp.post("/<int:staff_id>/lock")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def lock(staff_id: int):
    staff = _target(staff_id)
    try:
        staff_service.lock_staff(get_session(), staff, by=current_actor().operator)
    except StaffError as refused:
        return _account(staff, errors=[(refused.field or "lock", refused.message)], status=400)
    return redirect(url_for(".account", staff_id=staff_id, done="locked"))


@bp.post("/<int:staff_id>/unlock")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def unlock(staff_id: int):
    staff_service.unlock_staff(get_session(), _target(staff_id), by=current_actor().operator)
    return redirect(url_for(".account", staff_id=staff_id, done="unlocked"))


@bp.post("/<int:staff_id>/totp")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def rekey(staff_id: int):
    staff = _target(staff_id)
    secret = staff_service.reset_totp(get_session(), _vault(), staff, by=current_actor().operator)
    return _enrolment(staff, secret, new=False)


@bp.post("/<int:staff_id>/roles")
@gate(Operation.HANDLE, Audience.STAFF, roles=ADMIN)
def change(staff_id: int):
    staff = _target(staff_id)
    chosen = (request.form.get("hall") or "").strip()
    hall = get_session().get(Hall, int(chosen)) if chosen.isascii() and chosen.isdigit() and len(chosen) < 9 else None
    if chosen and hall is None:
        return _account(staff, errors=[("hall", "请从列表中选择网点。")], status=400)
    try:
        changed = staff_service.change_staff(
            get_session(),
            staff,
            roles=_roles(request.form.getlist("role")),
            department=(request.form.get("department") or "")[:80],
            by=current_actor().operator,
            hall=(hall.id, hall.name) if hall else None,
        )
    except StaffError as refused:
        return _account(staff, errors=[(refused.field or "role", refused.message)], status=400)
    return redirect(url_for(".account", staff_id=staff_id, done="changed" if changed else "unchanged"))
