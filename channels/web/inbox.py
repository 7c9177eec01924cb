"""站内信 on the web: the inbox (home → 我的 → 站内信), one message (marked read on open), and the person's
choice of channels per kind of message. The unread count is in the header of every page."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, render_template, request

from gateway.access.edge import UNREAD_KEY, current_identity
from gateway.access.needs import gate
from gateway.channel_policy import Operation
from gateway.request_db import get_session
from gateway.validation import parse_page
from notify import inbox
from notify.kinds import Channel, MessageKind
from notify.preferences import PreferenceError, all_preferences, has_wechat, set_channels

bp = Blueprint("inbox", __name__, url_prefix="/account/inbox")


@bp.get("/")
@gate(Operation.QUERY)
def index():
    who = current_identity()
    result = inbox.list_messages(get_session(), who.person_id, parse_page(request.args.get("page")), 12)
    return render_template("web/inbox.html", result=result)


@bp.get("/<int:message_id>")
@gate(Operation.QUERY)
def message(message_id: int):
    session = get_session()
    found = inbox.open_message(session, current_identity().person_id, message_id)
    if found is None:
        abort(404)  # another person's message looks exactly like a missing one
    g.pop(UNREAD_KEY, None)  # the header count must already include this read
    return render_template("web/inbox_message.html", message=found)


@bp.route("/settings", methods=["GET", "POST"])
@gate(Operation.ACCOUNT)
def settings():
    session = get_session()
    person_id = current_identity().person_id
    errors: list[tuple[str, str]] = []
    saved = False
    if request.method == "POST":
        try:
            for kind in all_preferences(session, person_id):
                chosen = {Channel(v) for v in request.form.getlist(kind.value) if v in Channel._value2member_map_}
                set_channels(session, person_id, kind, chosen)
        except PreferenceError as exc:
            session.rollback()
            errors.append((f"{kind.value}-inbox", exc.message))
        else:
            saved = True
    return render_template(
        "web/inbox_settings.html",
        prefs=all_preferences(session, person_id),
        channels=list(Channel),
        wechat_bound=has_wechat(session, person_id),
        errors=errors,
        saved=saved,
    ), (400 if errors else 200)


def unread_for_header() -> int:
    """The logged-in person's unread count, computed once per request (0 when logged out)."""
    if UNREAD_KEY not in g:  # usually read with the person by the edge (gateway/access/edge.py)
        who = current_identity()
        g.setdefault(UNREAD_KEY, inbox.unread_count(get_session(), who.person_id) if who else 0)
    return g.get(UNREAD_KEY)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _inbox():
        return {"inbox_unread": unread_for_header, "MessageKind": MessageKind}
