"""在线人工咨询 under ``/consult/chat`` (LD/T 01 5.5.2 b): "转人工" from the help page or the mailbox opens a text
conversation with a 12333 agent — logged in or not. The page shows the place in the queue and the agent's replies:
``static/js/chat.js`` polls the small JSON answer of :func:`poll`; without JS a refresh button does the same.
Outside service hours the mailbox is offered instead. The conversation's secret is kept in the person's session
(server-side, shared by every node), never in the page."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import public
from gateway.channel_policy import Operation
from gateway.chat import service
from gateway.chat.hours import ServiceHours
from gateway.chat.models import ChatConversation, ChatStatus
from gateway.chat.service import ChatRefused
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = Blueprint("chat", __name__, url_prefix="/consult/chat")

SESSION_KEY = "live_chat"
OPEN_LIMIT = "10 per hour; 30 per day"
SEND_LIMIT = "30 per minute"
POLL_LIMIT = "120 per minute"
#: Seconds between two polls of the page's script (without it, the page's refresh button asks).
POLL_SECONDS = 3


@bp.record_once
def _check_hours(state) -> None:
    """A wrong SHEBAO_CHAT_HOURS stops the gateway at start (HoursError), not a person's request later."""
    ServiceHours.parse(state.app.config["SETTINGS"].chat_hours)


def _vault():
    return current_app.extensions["shebao_vault"]


def _hours() -> ServiceHours:
    return ServiceHours.parse(current_app.config["SETTINGS"].chat_hours)


def _mine() -> tuple[ChatConversation, str | None] | None:
    """This visitor's conversation: the one their session holds the secret of — or, for a person logged in, their
    open one (begun on another device or in the mini-program)."""
    kept = session.get(SESSION_KEY)
    if isinstance(kept, dict):
        try:
            return service.find(get_session(), _vault(), kept.get("id"), kept.get("token")), kept["token"]
        except (ChatRefused, KeyError):
            session.pop(SESSION_KEY, None)
    who = current_identity()
    found = service.own_latest(get_session(), who.person_id) if who else None
    return (found, None) if found is not None else None


def _page(errors=(), status: int = 200, text: str = ""):
    found = _mine()
    hours = _hours()
    if found is None:
        who = current_identity()
        return render_template(
            "web/chat/start.html",
            hours=hours,
            open_now=hours.is_open(clock.now()),
            agent_online=service.agents_online(get_session(), now=clock.now()) > 0,
            errors=list(errors),
            text=text,
            logged_in=who is not None,
            verified=who is not None and current_actor().level >= service.VERIFIED_LEVEL,
        ), status
    row, _token = found
    state = service.poll(get_session(), _vault(), row, now=clock.now())
    return render_template(
        "web/chat/conversation.html",
        chat=row,
        state=state,
        errors=list(errors),
        text=text,
        poll_seconds=POLL_SECONDS,
        ChatStatus=ChatStatus,
    ), status


@bp.get("/")
@public(Operation.QUERY)
def page():
    return _page()


@bp.post("/")
@public(Operation.QUERY)
@limiter.limit(OPEN_LIMIT)
def start():
    """转人工: open a conversation (the first question is optional) and keep its secret in the session."""
    found = _mine()
    if found is not None and found[0].status is not ChatStatus.CLOSED:
        return redirect(url_for("chat.page"))
    db = get_session()
    text = request.form.get("text", "")
    try:
        row, token = service.open_chat(
            db, _vault(), current_actor(), _hours(), channel=current_actor().channel.value, now=clock.now(), first=text
        )
    except ChatRefused as refused:
        db.rollback()
        session.pop(SESSION_KEY, None)
        return _page([("text", refused.message)], refused.status, text)
    session[SESSION_KEY] = {"id": row.id, "token": token}
    return redirect(url_for("chat.page"))


@bp.post("/send")
@public(Operation.QUERY)
@limiter.limit(SEND_LIMIT)
def send():
    found = _mine()
    if found is None:
        return redirect(url_for("chat.page"))
    db = get_session()
    text = request.form.get("text", "")
    try:
        service.post(db, _vault(), found[0], text, now=clock.now())
    except ChatRefused as refused:
        db.rollback()
        return _page([("text", refused.message)], refused.status, text)
    return redirect(url_for("chat.page", _anchor="chat-form"))


@bp.post("/close")
@public(Operation.QUERY)
def close():
    found = _mine()
    if found is not None:
        service.close_by_person(get_session(), _vault(), found[0], now=clock.now())
    return redirect(url_for("chat.page"))


@bp.post("/new")
@public(Operation.QUERY)
def forget():
    """After a closed conversation: start over (the transcript stays with the agency)."""
    found = _mine()
    if found is None or found[0].status is ChatStatus.CLOSED:
        session.pop(SESSION_KEY, None)
    return redirect(url_for("chat.page"))


@bp.get("/poll")
@public(Operation.QUERY)
@limiter.limit(POLL_LIMIT)
def poll():
    """The page's script asks for news: status, place in the queue, messages after ``since``."""
    found = _mine()
    if found is None:
        response = jsonify({"error": {"code": "chat_not_found", "message": service.NOT_FOUND}})
        response.status_code = 404
    else:
        since = request.args.get("since", "0")
        state = service.poll(get_session(), _vault(), found[0], int(since) if since.isdigit() else 0, now=clock.now())
        response = jsonify(state_json(state))
    response.headers["Cache-Control"] = "no-store"
    return response


def state_json(state: service.ChatState) -> dict:
    row = state.conversation
    return {
        "status": row.status.value,
        "status_label": row.status.label,
        "position": state.position,
        "agent_online": state.agent_online,
        "last_id": state.last_id,
        "messages": [
            {
                "id": m.id,
                "at": clock.format_beijing(m.at, "%H:%M"),
                "sender": m.sender.value,
                "sender_label": m.sender.label,
                "text": m.text,
            }
            for m in state.messages
        ],
    }
