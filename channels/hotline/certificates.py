"""The caller's certificates on the console: the list of those issued to them, and a supervisor's withdrawal of one
for the agency, with a reason (issue 15). Withdrawal is risky (LD/T 01 5.3.2): a confirmation page with the reason
first. The use case (``gateway.certificates.service.withdraw_by_agency``) audits it naming staff member and caller,
traces it in the caller's trail and tells the caller."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from channels.hotline.callers import _render, delegated
from gateway.access.edge import current_actor
from gateway.certificates import service as certificates
from gateway.clients import get_clients
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.staff.models import StaffRole

bp = Blueprint("hotline_certificates", __name__, url_prefix="/hotline/callers/caller/certificates")


def _issued():
    return certificates.issued_to(get_session(), current_actor(), sealer=get_clients().sealer)


@bp.get("/")
@delegated
def index():
    """The certificates issued to the caller, newest first; a supervisor can withdraw a valid one."""
    done = request.args.get("done") == "withdrawn"
    return _render(
        "hotline/callers/certificates.html",
        issued=_issued(),
        supervisor=current_actor().holds(StaffRole.SUPERVISOR),
        done=done,
    )


@bp.route("/<int:document_id>/withdraw", methods=["GET", "POST"])
@delegated
def withdraw(document_id: int):
    """Confirm, with a reason, and withdraw one certificate for the agency; the caller's other copies stay genuine."""
    actor, sealer = current_actor(), get_clients().sealer
    if not actor.holds(StaffRole.SUPERVISOR):
        raise UserError("not_supervisor", certificates.NOT_SUPERVISOR, 403)
    record = certificates.withdrawable(get_session(), actor, document_id, sealer=sealer)
    reason = request.form.get("reason", "")
    if request.method == "GET":
        return _render("hotline/callers/certificate_withdraw.html", record=record, errors=[], reason="")
    try:
        certificates.withdraw_by_agency(get_session(), actor, document_id, reason, sealer=sealer)
    except UserError as exc:
        if exc.code not in ("reason_missing", "reason_too_long"):
            raise
        return _render(
            "hotline/callers/certificate_withdraw.html",
            400,
            record=record,
            errors=[("reason", exc.message)],
            reason=reason,
        )
    return redirect(url_for("hotline_certificates.index", done="withdrawn"))
