"""在线人工咨询 on the staff console (LD/T 01 5.5.2 b): the queue (waiting conversations oldest first, then those
being served, then recent transcripts), taking one — atomically, so two agents never both take it —, the
conversation with the knowledge base beside it, replying and closing. The page polls ``/hotline/chat/<id>/poll``
(``static/js/chat.js``). Nothing personal is shown until the person is verified: logged in at level 2, or the
agent runs the same caller verification as on the phone (``gateway.callers.verification``), which also starts
the usual 15-minute delegation. Every step is audited."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from channels.hotline.callers import code_sender
from channels.hotline.login import add_section
from gateway import clock
from gateway.access.edge import actor_changed, audit_here, current_actor, end_delegation, hotline_clock
from gateway.access.needs import Audience, gate
from gateway.callers import delegation as delegations
from gateway.callers import verification
from gateway.channel_policy import Operation
from gateway.chat import service
from gateway.chat.models import ChatConversation, ChatStatus, Sender
from gateway.chat.service import ChatRefused
from gateway.clients import get_backoffice
from gateway.help.knowledge import clean_query, search
from gateway.identity.documents import read_document
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.identity.sms_codes import CODE_LIFETIME
from gateway.problems import UserError
from gateway.request_db import get_session, keep_on_refusal
from gateway.security.limits import limiter
from gateway.security.pii import Purpose
from gateway.staff.models import AuditAction, Staff, StaffRole
from gateway.validation import DocumentType, ValidationError, mask_id_number, mask_name

bp = Blueprint("hotline_chat", __name__, url_prefix="/hotline/chat")

#: Who sees the queue and the transcripts; who serves (takes, answers, verifies, closes).
READERS = (StaffRole.AGENT, StaffRole.SUPERVISOR)
AGENT = (StaffRole.AGENT,)
PENDING_KEY = "hotline_chat_pending"
POLL_SECONDS = 3
KB_RESULTS = 5

add_section("hotline_chat.queue", "在线人工咨询", set(READERS))

#: What the agent's screen calls each sender.
CONSOLE_LABELS = {Sender.PERSON: "咨询人", Sender.AGENT: "坐席", Sender.SYSTEM: "系统提示"}


def _vault():
    return current_app.extensions["shebao_vault"]


@bp.get("/")
@gate(Operation.HANDLE, Audience.STAFF, roles=READERS)
def queue():
    db, actor = get_session(), current_actor()
    service.console_seen(db, actor.staff_id, now=clock.now())  # the page reloads itself: the agent is here
    found = service.queue(db, now=clock.now())
    return render_template(
        "hotline/chat/queue.html",
        queue=found,
        me=actor.staff_id,
        may_serve=actor.holds(*AGENT),
        presence=service.presence(db, actor.staff_id),
        serving=service.serving(db, actor.staff_id),
        capacity=_capacity(),
        online=service.agents_online(db, now=clock.now()),
        now=clock.now(),
    )


def _capacity() -> int:
    return current_app.config["SETTINGS"].chat_agent_capacity


@bp.post("/presence")
@gate(Operation.HANDLE, Audience.STAFF, roles=AGENT)
def set_presence():
    """在线 / 离开: whether people are told an agent answers now. Conversations being served stay the agent's."""
    available = request.form.get("available") == "1"
    service.set_presence(get_session(), current_actor(), available, now=clock.now())
    return redirect(url_for("hotline_chat.queue", presence="available" if available else "away"))


def _who(row: ChatConversation) -> dict | None:
    """The verified person as the screen may show them (masked), or None: nothing personal before that."""
    if row.verified_person_id is None:
        return None
    person = get_session().get(Person, row.verified_person_id)
    identity = identity_of(_vault(), person)
    return {
        "id": person.id,
        "name": mask_name(identity.name),
        "id_number": mask_id_number(identity.id_number),
        "history": [c for c in service.transcripts_of(get_session(), person.id) if c.id != row.id],
    }


def _pending(conversation_id: int) -> dict | None:
    pending = session.get(PENDING_KEY)
    if (
        not isinstance(pending, dict)
        or pending.get("staff_id") != current_actor().staff_id
        or pending.get("conversation") != conversation_id
        or float(pending.get("until", 0)) <= hotline_clock()
    ):
        return None
    return pending


def _page(conversation_id: int, errors=(), status: int = 200, form: dict | None = None):
    db = get_session()
    row = service.staff_conversation(db, conversation_id)
    actor = current_actor()
    q = clean_query(request.args.get("q")) if request.args.get("q") else ""
    agent = db.get(Staff, row.staff_id) if row.staff_id else None
    who = _who(row)
    if who is not None and row.status is ChatStatus.CLOSED and row.staff_id != actor.staff_id:
        audit_here(AuditAction.VIEWED, person_id=who["id"], detail=f"查看在线咨询记录 {row.number}")
    messages = service.messages(db, _vault(), row)
    return render_template(
        "hotline/chat/conversation.html",
        chat=row,
        messages=messages,
        labels=CONSOLE_LABELS,
        last_id=messages[-1].id if messages else 0,
        mine=row.staff_id == actor.staff_id and row.status is ChatStatus.ACTIVE,
        may_serve=actor.holds(*AGENT),
        agent=agent,
        who=who,
        pending=_pending(row.id),
        q=q,
        results=search(q, KB_RESULTS) if q else [],
        errors=list(errors),
        form=form or {},
        doc_types=list(DocumentType),
        poll_seconds=POLL_SECONDS,
        ChatStatus=ChatStatus,
    ), status


@bp.get("/<int:conversation_id>")
@gate(Operation.HANDLE, Audience.STAFF, roles=READERS)
def conversation(conversation_id: int):
    return _page(conversation_id)


@bp.get("/<int:conversation_id>/poll")
@gate(Operation.HANDLE, Audience.STAFF, roles=READERS)
def poll(conversation_id: int):
    db = get_session()
    row = service.staff_conversation(db, conversation_id)
    service.console_seen(db, current_actor().staff_id, now=clock.now())
    since = request.args.get("since", "0")
    found = service.messages(db, _vault(), row, int(since) if since.isdigit() else 0)
    response = jsonify(
        {
            "status": row.status.value,
            "status_label": row.status.label,
            "position": None,
            "last_id": found[-1].id if found else int(since) if since.isdigit() else 0,
            "messages": [
                {
                    "id": m.id,
                    "at": clock.format_beijing(m.at, "%H:%M"),
                    "sender": m.sender.value,
                    "sender_label": CONSOLE_LABELS[m.sender],
                    "text": m.text,
                }
                for m in found
            ],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(conversation_id: int, refused: UserError, field: str, form: dict | None = None):
    get_session().rollback()
    return _page(conversation_id, [(field, refused.message)], refused.status, form)


@bp.post("/<int:conversation_id>/take")
@gate(Operation.HANDLE, Audience.STAFF, roles=AGENT)
def take(conversation_id: int):
    try:
        service.take(get_session(), _vault(), current_actor(), conversation_id, now=clock.now(), capacity=_capacity())
    except ChatRefused as refused:
        return _refused(conversation_id, refused, "take")
    return redirect(url_for("hotline_chat.conversation", conversation_id=conversation_id))


@bp.post("/<int:conversation_id>/reply")
@gate(Operation.HANDLE, Audience.STAFF, roles=AGENT)
def reply(conversation_id: int):
    text = request.form.get("text", "")
    try:
        service.reply(get_session(), _vault(), current_actor(), conversation_id, text, now=clock.now())
    except ChatRefused as refused:
        return _refused(conversation_id, refused, "text", {"text": text})
    return redirect(url_for("hotline_chat.conversation", conversation_id=conversation_id, _anchor="reply"))


@bp.post("/<int:conversation_id>/close")
@gate(Operation.HANDLE, Audience.STAFF, roles=AGENT)
def close(conversation_id: int):
    try:
        service.close_by_agent(get_session(), _vault(), current_actor(), conversation_id, now=clock.now())
    except ChatRefused as refused:
        return _refused(conversation_id, refused, "close")
    session.pop(PENDING_KEY, None)
    return redirect(url_for("hotline_chat.queue"))


@bp.post("/<int:conversation_id>/verify")
@gate(Operation.ACT_FOR_CALLER, Audience.STAFF, roles=AGENT)
@limiter.limit("10 per minute; 60 per hour")
def verify(conversation_id: int):
    """Step 1 of the caller check, as on the phone: the ID number and name the person gave in the chat must match
    the back office; a code goes to the phone it holds, and the person reads it back in the chat."""
    db, actor = get_session(), current_actor()
    form = {k: (request.form.get(k) or "").strip()[:40] for k in ("doc_type", "id_number", "name", "country")}
    row = service.staff_conversation(db, conversation_id)
    if not (row.staff_id == actor.staff_id and row.status is ChatStatus.ACTIVE):
        return _page(conversation_id, [("id_number", "请先接入该会话。")], 409, form)
    try:
        document = read_document(form["doc_type"], form["id_number"], form["country"][:3])
    except ValidationError as exc:
        return _page(conversation_id, [("id_number", exc.message)], 400, form)
    if not form["name"]:
        return _page(conversation_id, [("name", "请填写咨询人姓名。")], 400, form)
    result = verification.start(
        db, _vault(), get_backoffice(), actor, document.number, form["name"], code_sender(actor.staff_id),
        document=document,
    )  # fmt: skip
    keep_on_refusal()  # the refused attempt stays in the audit trail
    if isinstance(result, verification.Refused):
        return _page(conversation_id, [("id_number", result.message)], 400, form)
    service.verification_sent(db, _vault(), actor, conversation_id, result.masked_phone, now=clock.now())
    session[PENDING_KEY] = {
        "staff_id": actor.staff_id,
        "conversation": conversation_id,
        "subject": _vault().encrypt(result.subject, Purpose.CALLER_PENDING, str(actor.staff_id)),
        "phone": result.masked_phone,
        "until": hotline_clock() + CODE_LIFETIME.total_seconds(),
    }
    return redirect(url_for("hotline_chat.conversation", conversation_id=conversation_id, _anchor="verify"))


@bp.post("/<int:conversation_id>/verify/code")
@gate(Operation.ACT_FOR_CALLER, Audience.STAFF, roles=AGENT)
@limiter.limit("10 per minute")
def verify_code(conversation_id: int):
    """Step 2: the code the person wrote back; a right one verifies the conversation and starts the delegation."""
    db, actor = get_session(), current_actor()
    pending = _pending(conversation_id)
    if pending is None:
        return _page(conversation_id, [("code", "验证码已失效，请重新发送。")], 409)
    typed = (request.form.get("code") or "").strip()[:12]
    if not typed:
        return _page(conversation_id, [("code", "请填写咨询人告知的 6 位验证码。")], 400)
    result = verification.confirm(
        db, _vault(), get_backoffice(), actor, secret=current_app.config["SECRET_KEY"],
        id_number=_vault().decrypt(pending["subject"], Purpose.CALLER_PENDING, str(actor.staff_id)),
        typed=typed, now=hotline_clock(),
    )  # fmt: skip
    if isinstance(result, verification.Refused):
        keep_on_refusal()
        return _page(conversation_id, [("code", result.message)], 400)
    try:
        service.mark_verified(db, _vault(), actor, conversation_id, result.person_id, now=clock.now())
    except ChatRefused as refused:
        return _refused(conversation_id, refused, "code")
    session.pop(PENDING_KEY, None)
    end_delegation(actor, "在线咨询中核验了另一位咨询人")
    session[delegations.SESSION_KEY] = result.as_session()
    actor_changed()
    return redirect(url_for("hotline_chat.conversation", conversation_id=conversation_id, verified=1))
