"""Who is logged in as staff on this request, the role check for staff views, and audit with request context.

A staff session never carries a citizen's identity: staff login clears the session, and a citizen login clears
it again (an agent's own identity is never a citizen's)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import abort, g, redirect, request, session, url_for

from gateway.db import get_session
from gateway.identity import web_sessions
from gateway.identity.service import mask_ip
from gateway.staff.models import AuditAction, Staff, StaffRole
from gateway.staff.service import audit


def current_staff() -> Staff | None:
    """The logged-in, still active staff member of this request."""
    if "staff" in g:
        return g.staff
    g.staff = None
    staff_id = session.get("staff_id")
    if staff_id is not None:
        staff = get_session().get(Staff, staff_id)
        if staff is not None and staff.active:
            g.staff = staff
    return g.staff


def start_staff_session(staff: Staff) -> None:
    """A fresh session id holding only the staff member (no fixation, no leftover citizen)."""
    elder = session.get("elder")
    session.clear()
    web_sessions.rotate()
    if elder is not None:
        session["elder"] = elder
    session["staff_id"] = staff.id
    session["staff_at"] = int(time.time())


def end_staff_session() -> None:
    session.clear()


def require_staff(*roles: StaffRole) -> Callable:
    """The view needs a logged-in staff member holding one of ``roles`` (any role when none are named)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("hotline.login", next=request.full_path.rstrip("?")))
            if roles and not (staff.roles & set(roles)):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def audit_here(action: AuditAction, *, person_id: int | None = None, detail: str = "") -> None:
    """Record what the current staff member did, with this request's masked IP and request id. Does not commit."""
    staff = current_staff()
    audit(
        get_session(),
        action,
        staff_id=staff.id if staff else None,
        person_id=person_id,
        detail=detail,
        ip=mask_ip(request.remote_addr),
        request_id=g.get("request_id"),
    )
