"""12333: an agent verifies a caller, then acts for that one person for a short time (DESIGN "who uses it").

Verification: the agent types the caller's ID number and name; they must match the back office's record, and a
6-digit code goes by SMS to the phone the back office holds — the caller reads it back. Then a **delegation**
starts: kept in the staff session, scoped to that one person, ending 15 minutes after verification (the hotline
channel policy's delegation time; it is never extended silently — more time means verifying again), or at once
with "结束服务". Inside it the agent sees the caller's applications and bookings, books and cancels for them,
withdraws an application and reports the card lost (each after reading the warning out and ticking that the caller
confirmed it, LD/T 01 5.3.2) and sends a sealed proof of insurance as an expiring download link to the registered
phone. Every step is written to
the staff audit trail naming the agent (``staff_id``) and the caller (``person_id``) (LD/T 01 6.3.2).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from channels.hotline.login import add_section
from esign.codes import DocumentKind
from esign.documents import DocumentError
from gateway import clock
from gateway.access.edge import actor_changed, audit_here, current_actor, end_delegation, hotline_clock
from gateway.access.needs import Audience, gate
from gateway.access.urls import public_base_url
from gateway.applications import card_loss, card_status, withdrawal
from gateway.applications import service as applications
from gateway.appointments import service as appointments
from gateway.appointments.models import Hall, Slot
from gateway.backoffice.interface import PersonRecord
from gateway.backoffice.models import CardStatus
from gateway.callers import delegation as delegations
from gateway.callers import verification
from gateway.callers.delegation import Delegation
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel
from gateway.certificates import service as certificates
from gateway.channel_policy import Operation, policy_for
from gateway.clients import get_backoffice, get_clients
from gateway.delivery import rate_ok
from gateway.identity.documents import read_document
from gateway.identity.models import Person, SmsPurpose
from gateway.identity.sms_codes import CODE_LIFETIME, issue_code, phone_digest
from gateway.problems import UserError
from gateway.request_db import get_session, keep_on_refusal
from gateway.security.limits import limiter
from gateway.security.pii import Purpose
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import DocumentType, ValidationError, mask_id_number, mask_name, mask_phone, passport_countries
from notify.sms import SmsError

bp = Blueprint("hotline_callers", __name__, url_prefix="/hotline/callers")
log = logging.getLogger(__name__)
add_section("hotline_callers.start", "来电人服务（核验身份后代办）", {StaffRole.AGENT})

PENDING_KEY = "hotline_pending_caller"
EXPIRED = "为来电人办理的授权已满 15 分钟，已自动结束。如需继续办理，请重新核验来电人身份。"
RELEASED = "已结束为该来电人服务。"
AGENT = (StaffRole.AGENT,)


@dataclass(frozen=True)
class Caller:
    """The person the agent is acting for on this request, with what the screens may show of them."""

    person: Person
    id_number: str
    record: PersonRecord | None
    delegation: Delegation

    @property
    def masked_name(self) -> str:
        return mask_name(self.record.name if self.record else "")

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.record.phone) if self.record and self.record.phone else ""


def _vault():
    return current_app.extensions["shebao_vault"]


def delegated(view: Callable) -> Callable:
    """Inside the delegation the gate checked: ``g.caller`` is the caller, with the back office's record."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        actor = current_actor()
        found = delegations.read(session.get(delegations.SESSION_KEY), actor.staff_id)
        person = get_session().get(Person, actor.on_behalf_of.person_id)
        id_number = actor.on_behalf_of.id_number
        g.caller = Caller(person, id_number, get_backoffice().find_person(id_number), found)
        return view(*args, **kwargs)

    return gate(Operation.ACT_FOR_CALLER, Audience.CALLER, roles=AGENT)(wrapped)


def _audit(action: AuditAction, detail: str) -> None:
    """An audit entry naming the agent and the caller of this delegation (no commit)."""
    audit_here(action, person_id=g.caller.person.id, detail=detail)


def _render(template: str, status: int = 200, **context):
    caller: Caller = g.caller
    return render_template(
        template, caller=caller, seconds_left=caller.delegation.seconds_left(hotline_clock()), **context
    ), status


# ------------------------------------------------------------------ verifying the caller


def code_sender(staff_id: int) -> Callable[[str], str | None]:
    """Sends the caller's code within the per-phone (shared with web logins) and per-agent limits."""

    def send(phone: str) -> str | None:
        secret = current_app.config["SECRET_KEY"]
        if not (
            rate_ok("1 per minute; 5 per hour", "sms-phone", phone_digest(secret, phone))
            and rate_ok("30 per hour", "sms-agent", str(staff_id))
        ):
            return "验证码发送太频繁，请稍后再试。"
        code = issue_code(get_session(), secret, phone, SmsPurpose.CALLER)
        try:
            get_clients().sms.send(phone, verification.caller_sms_text(code))
        except SmsError:
            log.warning("caller code not sent", extra={"fields": {"phone": mask_phone(phone)}})
            return "短信发送失败，请稍后再试。"
        return None

    return send


def _pending() -> dict | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("staff_id") != current_actor().staff_id:
        return None
    if float(pending.get("until", 0)) <= hotline_clock():
        session.pop(PENDING_KEY, None)
        return None
    return pending


@bp.route("/", methods=["GET", "POST"])
@gate(Operation.ACT_FOR_CALLER, Audience.STAFF, roles=AGENT)
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def start():
    """Step 1 of verification: the caller's ID number and name; a code goes to the registered phone."""
    actor = current_actor()
    if actor.on_behalf_of is not None:
        return redirect(url_for("hotline_callers.overview"))
    if delegations.read(session.get(delegations.SESSION_KEY), actor.staff_id) is not None:
        end_delegation(actor, "授权满 15 分钟，自动结束")
        return redirect(url_for("hotline_callers.start", ended="expired"))
    notice = {"expired": EXPIRED, "released": RELEASED}.get(request.args.get("ended", ""))
    errors: list[tuple[str, str]] = []
    id_raw = (request.form.get("id_number") or "").strip()[:30]
    name = (request.form.get("name") or "").strip()[:40]
    doc_type = (request.form.get("doc_type") or "").strip()[:16]
    country = (request.form.get("country") or "").strip()[:3]
    if request.method == "POST":
        document = None
        try:
            document = read_document(doc_type, id_raw, country)  # LD/T 01 6.2.3 b: each type's own check
        except ValidationError as exc:
            errors.append(("id_number", exc.message))
        if not name:
            errors.append(("name", "请填写来电人姓名。"))
        if not errors:
            result = verification.start(
                get_session(),
                _vault(),
                get_backoffice(),
                actor,
                document.number,
                name,
                code_sender(actor.staff_id),
                document=document,
            )
            keep_on_refusal()  # the refused attempt stays in the audit trail
            if isinstance(result, verification.Refused):
                errors.append(("id_number", result.message))
            else:
                session[PENDING_KEY] = {
                    "staff_id": actor.staff_id,
                    "subject": _vault().encrypt(result.subject, Purpose.CALLER_PENDING, str(actor.staff_id)),
                    "phone": result.masked_phone,
                    "until": hotline_clock() + CODE_LIFETIME.total_seconds(),
                }
                return redirect(url_for("hotline_callers.code"))
    return render_template(
        "hotline/callers/start.html",
        errors=errors,
        id_number=id_raw,
        name=name,
        notice=notice,
        doc_type=doc_type,
        country=country,
        doc_types=list(DocumentType),
        countries=passport_countries(),
    ), (400 if errors else 200)


@bp.route("/code", methods=["GET", "POST"])
@gate(Operation.ACT_FOR_CALLER, Audience.STAFF, roles=AGENT)
@limiter.limit("10 per minute", methods=["POST"])
def code():
    """Step 2: the caller reads the code back; a right code starts the delegation."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("hotline_callers.start"))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        typed = (request.form.get("code") or "").strip()[:12]
        if not typed:
            errors.append(("code", "请填写来电人读出的 6 位验证码。"))
        else:
            result = verification.confirm(
                get_session(),
                _vault(),
                get_backoffice(),
                current_actor(),
                secret=current_app.config["SECRET_KEY"],
                id_number=_vault().decrypt(pending["subject"], Purpose.CALLER_PENDING, str(current_actor().staff_id)),
                typed=typed,
                now=hotline_clock(),
            )
            if isinstance(result, verification.Refused):
                errors.append(("code", result.message))
            else:
                session.pop(PENDING_KEY, None)
                session[delegations.SESSION_KEY] = result.as_session()
                actor_changed()
                return redirect(url_for("hotline_callers.overview"))
    return render_template("hotline/callers/code.html", errors=errors, phone=pending["phone"]), (400 if errors else 200)


@bp.post("/release")
@gate(Operation.ACT_FOR_CALLER, Audience.STAFF, roles=AGENT)
def release():
    """结束服务: the delegation ends now."""
    end_delegation(current_actor(), "坐席结束服务")
    session.pop(PENDING_KEY, None)
    return redirect(url_for("hotline_callers.start", ended="released"))


# ------------------------------------------------------------------ inside the delegation


@bp.get("/caller")
@delegated
def overview():
    """The caller's applications and bookings, and what the agent can do for them."""
    db = get_session()
    mine = applications.my_applications(db, g.caller.person.id)
    bookings = appointments.bookings_of(db, g.caller.person.id)
    _audit(AuditAction.VIEWED, "查看来电人的办理进度和预约")
    notice = {
        "booked": "预约成功，预约号已通过短信和站内信告知来电人。",
        "cancelled": "已取消该预约，来电人会收到取消通知。",
    }.get(request.args.get("done", ""))
    return _render(
        "hotline/callers/overview.html",
        applications=mine,
        bookings=bookings,
        now=clock.now(),
        notice=notice,
        errors=[],
    )


def _callers_application(number: str):
    db = get_session()
    app = applications.by_number(db, number)
    if app is None or app.person_id != g.caller.person.id:
        # Another person's number looks exactly like a number that does not exist.
        raise UserError("not_found", "没有找到该来电人的这份申请。", 404)
    return app


def _application_page(app, status: int = 200, *, errors=(), reason: str = "", notice: str | None = None):
    view = applications.view_of(app, _vault(), g.caller.person, clock.today())
    return _render(
        "hotline/callers/application.html",
        status,
        v=view,
        withdrawable=withdrawal.withdrawable(app),
        warning=withdrawal.WARNING,
        reason_max=WITHDRAW_REASON_MAX,
        errors=list(errors),
        reason=reason,
        notice=notice,
    )


@bp.get("/caller/applications/<number>")
@delegated
def application(number: str):
    """One application's progress — the caller's own only — and withdrawing it while that is still possible."""
    app = _callers_application(number)
    _audit(AuditAction.VIEWED, f"查看申请 {app.number}")
    notice = "已为来电人撤回该申请，来电人会收到撤回通知。" if request.args.get("done") == "withdrawn" else None
    return _application_page(app, notice=notice)


#: The caller's own words fit in the use case's reason after the channel is named (withdrawal.REASON_MAX).
WITHDRAW_REASON_MAX = withdrawal.REASON_MAX - 20


@bp.post("/caller/applications/<number>/withdraw")
@delegated
def withdraw(number: str):
    """Withdraw the caller's application through the one use case the web and the API call, once the agent has
    read the warning out and ticked that the caller confirmed it (LD/T 01 5.3.2); audited with agent and caller."""
    app = _callers_application(number)
    reason = " ".join(request.form.get("reason", "").split())
    if len(reason) > WITHDRAW_REASON_MAX:
        message = f"撤回原因最多{WITHDRAW_REASON_MAX}个字。"
        return _application_page(app, 400, errors=[("reason", message)], reason=reason)
    db = get_session()
    # The audit entry joins the withdrawal's transaction: both are written, or neither.
    _audit(AuditAction.APPLICATION_WITHDRAWN, f"代来电人撤回申请 {app.number}（已宣读撤回提示，来电人确认）")
    try:
        withdrawal.withdraw(
            db,
            app,
            g.caller.person.id,
            reason="经12333电话撤回" + (f"，{reason}" if reason else ""),
            confirmed=request.form.get("confirm") == "yes",
            now=clock.now(),
        )
    except UserError as exc:
        db.rollback()  # the unwritten audit entry goes with the refused withdrawal
        field = "confirm" if exc.code == "risk_not_confirmed" else "withdraw"
        message = CONFIRM_READ_OUT if exc.code == "risk_not_confirmed" else exc.message
        return _application_page(_callers_application(number), exc.status, errors=[(field, message)], reason=reason)
    return redirect(url_for("hotline_callers.application", number=app.number, done="withdrawn"))


CONFIRM_READ_OUT = "请先向来电人宣读提示，来电人明确确认后勾选“已向来电人宣读提示，来电人确认办理”。"


def _card_page(status: int = 200, *, errors=(), done: bool = False):
    record = g.caller.record
    view = card_status.view_of(record) if record is not None else None
    active = view is not None and view.status is CardStatus.ACTIVE
    return _render(
        "hotline/callers/card.html",
        status,
        card=view,
        active=active,
        warning=card_loss.WARNING,
        errors=list(errors),
        done=done,
    )


@bp.get("/caller/card")
@delegated
def card():
    """The caller's social security card: its status, and reporting it lost."""
    _audit(AuditAction.VIEWED, "查看来电人的社会保障卡状态")
    return _card_page(done=request.args.get("done") == "lost")


@bp.post("/caller/card/report-loss")
@delegated
def report_card_lost():
    """Suspend the caller's card through the one use case every channel calls (LD/T 01 5.4.3 e), once the agent
    has read the warning out and ticked that the caller confirmed it; audited with agent and caller."""
    db = get_session()
    _audit(AuditAction.CARD_REPORTED_LOST, "代来电人挂失社会保障卡（已宣读挂失提示，来电人确认）")
    try:
        card_loss.report_lost(
            db,
            get_backoffice(),
            person_id=g.caller.person.id,
            id_number=g.caller.id_number,
            confirmed=request.form.get("confirm") == "yes",
            channel=Channel.HOTLINE.value,
            ip=request.remote_addr,
            now=clock.now(),
        )
    except UserError as exc:
        db.rollback()  # no audit entry for a report that did not happen
        field = "confirm" if exc.code == "risk_not_confirmed" else "report"
        message = CONFIRM_READ_OUT if exc.code == "risk_not_confirmed" else exc.message
        return _card_page(exc.status, errors=[(field, message)])
    return redirect(url_for("hotline_callers.card", done="lost"))


def _int_arg(name: str) -> int | None:
    raw = request.values.get(name) or ""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationError("invalid_parameter", "请求参数不正确，请从页面上重新选择。")
    return int(raw)


def _bookable_item(item_id: str):
    item = load_catalog().get(item_id)  # UnknownItem → the app's 404
    if item.id not in appointments.bookable_item_ids(get_session()):
        raise UserError("not_bookable", "该事项不需要预约，请重新选择。", 404)
    return item


@bp.get("/caller/book")
@delegated
def book_item():
    """Booking, step 1 of 3: the item."""
    bookable = appointments.bookable_item_ids(get_session())
    items = [i for i in load_catalog().items if i.id in bookable]
    return _render("hotline/callers/book_item.html", items=items)


@bp.get("/caller/book/slot")
@delegated
def book_slot():
    """Step 2 of 3: the hall, then a day and time with places left."""
    item = _bookable_item(request.args.get("item", ""))
    db = get_session()
    halls = appointments.halls_for_item(db, item.id)
    hall_id = _int_arg("hall") or (halls[0].id if halls else None)
    hall = next((h for h in halls if h.id == hall_id), None)
    if hall is None:
        raise UserError("no_hall", "该服务网点不办理此事项，请重新选择。", 404)
    week = appointments.slots_for(db, hall.id, clock.now())
    error = request.args.get("error", "")[:100]
    return _render("hotline/callers/book_slot.html", item=item, halls=halls, hall=hall, week=week, error=error)


@bp.route("/caller/book/confirm", methods=["GET", "POST"])
@delegated
def book_confirm():
    """Step 3 of 3: read the details to the caller, then confirm."""
    item = _bookable_item(request.values.get("item", ""))
    slot_id = _int_arg("slot")
    db = get_session()
    slot = db.get(Slot, slot_id) if slot_id is not None else None
    if slot is None:
        return redirect(url_for("hotline_callers.book_slot", item=item.id, error="请选择预约时段。"))
    hall = db.get(Hall, slot.hall_id)
    if request.method == "GET":
        return _render("hotline/callers/book_confirm.html", item=item, slot=slot, hall=hall, refused=None)
    if not policy_for(Channel.HOTLINE).allows(Operation.BOOK):
        abort(403)
    # The audit entry joins the booking's own transaction: both are written, or neither.
    _audit(
        AuditAction.BOOKED,
        f"代来电人预约“{item.name}”，{hall.name} {slot.day:%m月%d日} {slot.start:%H:%M}-{slot.end:%H:%M}",
    )
    try:
        appointments.book(
            db,
            person_id=g.caller.person.id,
            item_id=item.id,
            slot_id=slot.id,
            now=clock.now(),
            channel=Channel.HOTLINE,
        )
    except appointments.BookingRefused as refused:
        db.rollback()  # not every refusal rolled back: the unwritten audit entry must go too
        slot, hall = db.get(Slot, slot_id), db.get(Hall, hall.id)
        return _render(
            "hotline/callers/book_confirm.html", refused.status, item=item, slot=slot, hall=hall, refused=refused
        )
    return redirect(url_for("hotline_callers.overview", done="booked"))


@bp.post("/caller/bookings/<code>/cancel")
@delegated
def cancel(code: str):
    """Cancel one of the caller's bookings (someone else's code is "not found")."""
    db = get_session()
    _audit(AuditAction.CANCELLED, f"代来电人取消预约 {code.strip().upper()[:12]}")
    try:
        appointments.cancel(db, person_id=g.caller.person.id, code=code, now=clock.now(), reason="12333坐席代为取消")
    except appointments.BookingRefused as refused:
        db.rollback()
        bookings = appointments.bookings_of(db, g.caller.person.id)
        return _render(
            "hotline/callers/overview.html",
            refused.status,
            applications=applications.my_applications(db, g.caller.person.id),
            bookings=bookings,
            now=clock.now(),
            notice=None,
            errors=[("bookings", refused.message)],
        )
    return redirect(url_for("hotline_callers.overview", done="cancelled"))


@bp.route("/caller/link", methods=["GET", "POST"])
@delegated
@limiter.limit("10 per minute; 60 per hour", methods=["POST"])
def send_link():
    """Seal the caller's proof of insurance and text its expiring download link to the registered phone; the
    agent never sees the link or the full number."""
    settings = current_app.config["SETTINGS"]
    hours = max(1, round(settings.download_link_ttl_s / 3600))
    caller: Caller = g.caller
    if request.method == "GET":
        return _render("hotline/callers/link.html", hours=hours, errors=[], sent=False)
    if not caller.masked_phone:
        return _render(
            "hotline/callers/link.html", 400, hours=hours, errors=[("send", verification.NO_PHONE)], sent=False
        )
    try:
        certificates.send_link(
            get_session(),
            current_actor(),
            certificates.Wanted(DocumentKind.PERSON_PROOF.value),
            backoffice=get_backoffice(),
            sealer=get_clients().sealer,
            settings=settings,
            base_url=public_base_url(),
            phone=caller.record.phone,
        )
    except DocumentError as exc:
        return _render("hotline/callers/link.html", 400, hours=hours, errors=[("send", exc.message)], sent=False)
    except certificates.SealUnavailable:
        message = "电子印章服务暂时不可用，请稍后再试。"
        return _render("hotline/callers/link.html", 503, hours=hours, errors=[("send", message)], sent=False)
    except UserError as exc:
        return _render("hotline/callers/link.html", exc.status, hours=hours, errors=[("send", exc.message)], sent=False)
    return _render("hotline/callers/link.html", hours=hours, errors=[], sent=True)
