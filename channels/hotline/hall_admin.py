"""Administrators manage halls' weekly slot templates and one-off closures (appointments issue: "Staff manage these
under /hotline/"). Closing a day with bookings needs an explicit confirmation and tells every booked person."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway import clock
from gateway.access.edge import audit_here
from gateway.access.needs import Audience, gate
from gateway.appointments import admin
from gateway.appointments.models import Closure, Hall, HallItem, SlotTemplate
from gateway.appointments.service import BookingRefused
from gateway.channel_policy import Operation
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import ValidationError, parse_date

bp = Blueprint("hotline_hall_admin", __name__, url_prefix="/hotline/admin/halls")


def _hall(code: str) -> Hall:
    hall = get_session().scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        abort(404)
    return hall


def _time(value: str | None) -> time | None:
    try:
        hour, minute = (value or "").strip().split(":")
        return time(int(hour), int(minute))
    except ValueError:
        return None


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 4 else None


def _page(hall: Hall, *, errors=(), notice=None, confirm=None, form=None, status=200):
    db = get_session()
    today = clock.today()
    templates = list(
        db.scalars(
            select(SlotTemplate)
            .where(SlotTemplate.hall_id == hall.id)
            .order_by(SlotTemplate.weekday, SlotTemplate.start)
        )
    )
    closures = list(
        db.scalars(select(Closure).where(Closure.hall_id == hall.id, Closure.day >= today).order_by(Closure.day))
    )
    served = set(db.scalars(select(HallItem.item_id).where(HallItem.hall_id == hall.id)))
    return render_template(
        "hotline/hall_admin/hall.html",
        hall=hall,
        templates=templates,
        closures=closures,
        served=served,
        window_items=admin.window_items(),
        windows=admin.windows_of(db, hall.id),
        weekdays=admin.WEEKDAYS,
        slot_minutes=admin.SLOT_MINUTES,
        errors=list(errors),
        notice=notice,
        confirm=confirm,
        form=form or {},
    ), status


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def index():
    halls = list(get_session().scalars(select(Hall).order_by(Hall.code)))
    return render_template("hotline/hall_admin/index.html", halls=halls)


@bp.get("/<code>")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def hall(code: str):
    return _page(_hall(code))


@bp.post("/<code>/templates")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def add_template(code: str):
    hall = _hall(code)
    form = request.form
    weekday, start, end = _number(form.get("weekday")), _time(form.get("start")), _time(form.get("end"))
    minutes, capacity = _number(form.get("slot_minutes")), _number(form.get("capacity"))
    errors = []
    if weekday is None:
        errors.append(("weekday", "请选择星期几。"))
    if start is None:
        errors.append(("start", "请按“时:分”填写开始时间，例如 09:00。"))
    if end is None:
        errors.append(("end", "请按“时:分”填写结束时间，例如 11:30。"))
    if minutes is None:
        errors.append(("slot_minutes", "请选择每个时段的长度。"))
    if capacity is None:
        errors.append(("capacity", "请填写每个时段可预约人数（数字）。"))
    if not errors:
        value = admin.TemplateInput(weekday, start, end, minutes, capacity)
        errors = admin.check_template(value)
    if errors:
        return _page(hall, errors=errors, form=form, status=400)
    db = get_session()
    try:
        admin.add_template(db, hall.id, value)
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("start", refused.message)], form=form, status=refused.status)
    audit_here(
        AuditAction.SETTINGS_CHANGED,
        detail=f"{hall.name} 新增{admin.WEEKDAYS[weekday]} {start:%H:%M}-{end:%H:%M} 每{minutes}分钟{capacity}人",
    )
    return redirect(url_for(".hall", code=code, done="template"))


@bp.post("/<code>/templates/<int:template_id>/delete")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def remove_template(code: str, template_id: int):
    hall = _hall(code)
    db = get_session()
    try:
        gone = admin.remove_template(db, hall.id, template_id)
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("templates", refused.message)], status=refused.status)
    audit_here(
        AuditAction.SETTINGS_CHANGED,
        detail=f"{hall.name} 删除{admin.WEEKDAYS[gone.weekday]} {gone.start:%H:%M}-{gone.end:%H:%M} 时段模板",
    )
    return redirect(url_for(".hall", code=code))


@bp.post("/<code>/closures")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def add_closure(code: str):
    hall = _hall(code)
    form = request.form
    reason = (form.get("reason") or "").strip()
    errors = []
    try:
        day = parse_date(form.get("day"))
    except ValidationError as exc:
        day = None
        errors.append(("day", exc.message))
    if not reason:
        errors.append(("reason", "请填写闭厅原因，它会告知已预约的群众。"))
    if errors:
        return _page(hall, errors=errors, form=form, status=400)
    db = get_session()
    booked = admin.active_bookings_on(db, hall.id, day)
    if booked and form.get("confirm") != "yes":
        # LD/T 01 5.3.2: a step with consequences for others gets a warning and an explicit confirmation.
        return _page(hall, confirm={"day": day, "reason": reason, "booked": booked}, form=form)
    try:
        cancelled = admin.close_day(db, hall.id, day, reason, now=clock.now())
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("day", refused.message)], form=form, status=refused.status)
    audit_here(
        AuditAction.SETTINGS_CHANGED,
        detail=f"{hall.name} {day:%Y-%m-%d} 闭厅（{reason[:40]}），取消预约 {cancelled} 个",
    )
    return redirect(url_for(".hall", code=code, done="closure", cancelled=cancelled))


@bp.post("/<code>/closures/<int:closure_id>/delete")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def remove_closure(code: str, closure_id: int):
    hall = _hall(code)
    db = get_session()
    try:
        gone = admin.reopen_day(db, hall.id, closure_id)
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("closures", refused.message)], status=refused.status)
    audit_here(AuditAction.SETTINGS_CHANGED, detail=f"{hall.name} 取消 {gone.day:%Y-%m-%d} 闭厅")
    return redirect(url_for(".hall", code=code))


@bp.post("/<code>/items")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def set_items(code: str):
    hall = _hall(code)
    db = get_session()
    chosen = {value for value in request.form.getlist("item") if len(value) <= 64}
    try:
        added, removed = admin.set_items(db, hall.id, chosen)
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("items", refused.message)], status=refused.status)
    if added or removed:
        stopped = "、".join(sorted(removed))[:150]
        detail = f"{hall.name} 办理事项：新增 {len(added)} 项，停办 {len(removed)} 项（{stopped}）"
        audit_here(AuditAction.SETTINGS_CHANGED, detail=detail)
    return redirect(url_for(".hall", code=code, done="items"))


@bp.post("/<code>/place")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def set_place(code: str):
    """The hall's place on the map (GCJ-02), for the mini-program's navigation (wx.openLocation)."""
    hall = _hall(code)
    db = get_session()
    latitude, longitude = request.form.get("latitude", ""), request.form.get("longitude", "")
    try:
        admin.set_place(db, hall, latitude, longitude)
    except BookingRefused as refused:
        db.rollback()
        form = {"latitude": latitude[:20], "longitude": longitude[:20]}
        return _page(_hall(code), errors=[("latitude", refused.message)], form=form, status=refused.status)
    where = f"{hall.latitude}, {hall.longitude}" if hall.latitude is not None else "未标注"
    audit_here(AuditAction.SETTINGS_CHANGED, detail=f"{hall.name} 位置（GCJ-02 纬度, 经度）：{where}")
    return redirect(url_for(".hall", code=code, done="place"))


@bp.post("/<code>/windows")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def add_window(code: str):
    hall = _hall(code)
    db = get_session()
    window = admin.add_window(db, hall.id, appointments_only=request.form.get("appointments_only") == "yes")
    audit_here(AuditAction.SETTINGS_CHANGED, detail=f"{hall.name} 新增 {window.number} 号窗口")
    return redirect(url_for(".hall", code=code))


@bp.post("/<code>/windows/<int:window_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=(StaffRole.ADMIN,))
def set_window(code: str, window_id: int):
    hall = _hall(code)
    db = get_session()
    value = request.form.get("appointments_only") == "yes"
    try:
        window = admin.set_appointments_only(db, hall.id, window_id, value)
    except BookingRefused as refused:
        db.rollback()
        return _page(hall, errors=[("windows", refused.message)], status=refused.status)
    state = "预约专用" if value else "综合窗口"
    audit_here(AuditAction.SETTINGS_CHANGED, detail=f"{hall.name} {window.number} 号窗口改为{state}")
    return redirect(url_for(".hall", code=code))
