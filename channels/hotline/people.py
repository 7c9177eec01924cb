"""Look up a person's online account and unlock it (LD/T 01 6.2.5 c, e): staff see the account's state and its
login history, never the full ID number; each search and unlock is audited against the person."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway.access.edge import audit_here, current_staff
from gateway.access.needs import Audience, gate
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.identity.kiosk_card import card_locked_until, unlock_card
from gateway.identity.service import events_for, find_person, lock_state, unlock
from gateway.request_db import get_session
from gateway.security.pii import PiiError
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import ValidationError, mask_id_number, normalize_id_number

bp = Blueprint("hotline_people", __name__, url_prefix="/hotline/people")


def _vault():
    return current_app.extensions["shebao_vault"]


@bp.route("/", methods=["GET", "POST"])
@gate(
    Operation.HANDLE,
    Audience.STAFF,
    roles=(
        StaffRole.AGENT,
        StaffRole.ADMIN,
    ),
)
def search():
    id_number = (request.values.get("id_number") or "").strip()[:20]
    if request.method == "POST":
        # The unlock form carries the number sealed, so the page source never holds it in clear.
        try:
            id_number = _vault().decrypt(request.form.get("subject") or "")
        except PiiError:  # a forged or stale token is just "no subject"
            id_number = ""
    errors: list[tuple[str, str]] = []
    notice = None
    found = None
    if id_number:
        try:
            id_number = normalize_id_number(id_number)
        except ValidationError as exc:
            errors.append(("id_number", exc.message))
        else:
            db = get_session()
            person = find_person(db, _vault(), id_number)
            record = get_backoffice().find_person(id_number)
            card = record.card_number if record else ""
            if request.method == "POST" and request.form.get("action") == "unlock":
                by = current_staff()
                who = f"{by.name}（{by.username}）"
                password_unlocked = unlock(db, _vault(), id_number, by=who)
                card_unlocked = bool(card) and unlock_card(
                    db, _vault(), card, person_id=person.id if person else None, by=who
                )
                if password_unlocked or card_unlocked:
                    audit_here(
                        AuditAction.PERSON_UNLOCKED,
                        person_id=person.id if person else None,
                        detail=f"解锁 {mask_id_number(id_number)}",
                    )
                    notice = "已解锁，该账户可以重新登录。"
                else:
                    notice = "该账户没有被锁定。"
            audit_here(
                AuditAction.PERSON_SEARCHED,
                person_id=person.id if person else None,
                detail=f"查询账户 {mask_id_number(id_number)}",
            )
            guard = lock_state(db, _vault(), id_number)
            found = {
                "masked": mask_id_number(id_number),
                "person": person,
                "locked_until": guard.locked_until if guard else None,
                "card_locked_until": card_locked_until(db, _vault(), card) if card else None,
                "events": events_for(db, person, logins=True, limit=20) if person else [],
            }
    status = 400 if errors else 200
    subject = _vault().encrypt(id_number) if found else ""
    shown = "" if found else id_number
    return render_template(
        "hotline/people.html", errors=errors, id_number=shown, subject=subject, found=found, notice=notice
    ), status
