"""The hall's window staff see today's bookings at their hall in the order windows call them: military
transfers first (Regulation Art. 17), then by slot; each with its status (booked, checked in with its ticket,
no-show). People are shown masked, and every look at a queue is audited."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import audit_here, current_staff
from gateway.access.needs import Audience, gate
from gateway.appointments import service as appointments
from gateway.appointments.models import Hall
from gateway.channel_policy import Operation
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import mask_id_number, mask_name

bp = Blueprint("hotline_halls", __name__, url_prefix="/hotline/halls")
add_section("hotline_halls.index", "今日预约队列", {StaffRole.HALL, StaffRole.ADMIN})

HALL_ROLES = (StaffRole.HALL, StaffRole.ADMIN)


def _open_to_me(hall_id: int) -> bool:
    """Administrators see every hall; hall staff only the hall they are assigned to (ASVS 5.0 V8.2.2)."""
    staff = current_staff()
    return StaffRole.ADMIN in staff.roles or staff.hall_id == hall_id


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HALL_ROLES,))
def index():
    """Choose the hall (hall staff: their own)."""
    halls = [h for h in get_session().scalars(select(Hall).order_by(Hall.id)) if _open_to_me(h.id)]
    return render_template("hotline/halls/index.html", halls=halls)


def _masked_people(person_ids: set[int]) -> dict[int, str]:
    """ "张*（110***********1234）" for each person, decrypted once each."""
    vault = current_app.extensions["shebao_vault"]
    people = get_session().scalars(select(Person).where(Person.id.in_(person_ids))) if person_ids else []
    return {
        p.id: f"{mask_name(identity_of(vault, p).name)}（{mask_id_number(identity_of(vault, p).id_number)}）"
        for p in people
    }


@bp.get("/<int:hall_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=(*HALL_ROLES,))
def queue(hall_id: int):
    """Today's bookings at one hall, in calling order."""
    db = get_session()
    hall = db.get(Hall, hall_id)
    if hall is None:
        raise UserError("not_found", "没有找到该服务网点。", 404)
    if not _open_to_me(hall.id):
        raise UserError("forbidden", "您只能查看本人所在网点的预约队列。", 403)
    today = clock.today()
    rows = appointments.hall_queue(db, hall.id, today)
    who = _masked_people({v.booking.person_id for v in rows})
    audit_here(AuditAction.VIEWED, detail=f"查看{hall.name} {today:%m月%d日}预约队列（{len(rows)} 条）")
    return render_template("hotline/halls/queue.html", hall=hall, today=today, rows=rows, who=who)
