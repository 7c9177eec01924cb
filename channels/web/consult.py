"""咨询投诉 under ``/consult/`` (LD/T 01 5.5.1, 5.5.3, 5.5.5): write a consultation, suggestion, complaint or
report — logged in or anonymously — see its time limit, follow it with the tracking number and query code, add
what staff asked for, and read the published answers."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway import clock
from gateway.access.edge import current_identity
from gateway.access.needs import public
from gateway.channel_policy import Operation
from gateway.consult import mailbox
from gateway.consult.mailbox import MailboxRefused
from gateway.consult.models import CaseKind, CaseStatus, Topic
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = Blueprint("consult", __name__, url_prefix="/consult")

#: Anonymous writing is open to all: a brake on floods, not on people (LD/T 01 5.5.1).
SUBMIT_LIMIT = "5 per hour; 20 per day"
TRACK_LIMIT = "20 per minute; 200 per day"


def _vault():
    return current_app.extensions["shebao_vault"]


def _index(errors=(), form=None, status: int = 200):
    who = current_identity()
    mine = mailbox.my_cases(get_session(), who.person_id) if who else []
    return render_template(
        "web/consult/index.html",
        kinds=list(CaseKind),
        topics=list(Topic),
        limits=mailbox.time_limits(current_app.config["SETTINGS"]),
        errors=list(errors),
        form=form or {},
        mine=mine,
        logged_in=who is not None,
    ), status


@bp.get("/")
@public(Operation.QUERY)
def index():
    return _index()


@bp.post("/")
@public(Operation.QUERY)
@limiter.limit(SUBMIT_LIMIT)
def submit():
    form = request.form.to_dict()
    submission, errors = mailbox.check_submission(form)
    if errors:
        return _index(errors, form, 400)
    who = current_identity()
    case, code = mailbox.submit(
        get_session(),
        _vault(),
        submission,
        person_id=who.person_id if who else None,
        now=clock.now(),
        limits=mailbox.time_limits(current_app.config["SETTINGS"]),
    )
    return render_template("web/consult/done.html", case=case, code=code)


@bp.get("/track")
@public(Operation.QUERY)
@limiter.limit(TRACK_LIMIT, exempt_when=lambda: "number" not in request.args)
def track():
    number, code = request.args.get("number", ""), request.args.get("code", "")
    if "number" not in request.args:
        return render_template("web/consult/track.html", errors=[], number="", code="")
    try:
        case = mailbox.find_by_tracking(get_session(), _vault(), number, code)
    except MailboxRefused as refused:
        errors = [("number", refused.message)]
        return render_template("web/consult/track.html", errors=errors, number=number, code=""), refused.status
    return render_template("web/consult/case.html", view=mailbox.view(_vault(), case), code=code, errors=[])


@bp.post("/track")
@public(Operation.QUERY)
@limiter.limit(SUBMIT_LIMIT)
def add_info():
    """The writer adds what staff asked for (their number and code prove it is theirs)."""
    number, code = request.form.get("number", ""), request.form.get("code", "")
    db = get_session()
    case = mailbox.find_by_tracking(db, _vault(), number, code)
    try:
        mailbox.add_info(db, _vault(), case, request.form.get("text", ""), now=clock.now())
    except MailboxRefused as refused:
        db.rollback()
        case = mailbox.find_by_tracking(db, _vault(), number, code)
        view = mailbox.view(_vault(), case)
        return render_template(
            "web/consult/case.html", view=view, code=code, errors=[("text", refused.message)]
        ), refused.status
    return render_template("web/consult/case.html", view=mailbox.view(_vault(), case), code=code, errors=[], added=True)


@bp.get("/public")
@public(Operation.QUERY)
def public_answers():
    """General questions and their answers, published with personal data removed (LD/T 01 5.5.3)."""
    return render_template("web/consult/public.html", items=mailbox.public_answers(get_session()))


def init_app(app) -> None:
    app.jinja_env.globals["CaseStatus"] = CaseStatus
    app.register_blueprint(bp)
