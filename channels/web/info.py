"""政务公开 under ``/info/`` (LD/T 01 5.6; DESIGN "Public contracts": one public section within two clicks of ``/``):
the Regulation's full text, policy documents, the halls, and the 好差评 figures; and the rating form a person
fills in on a finished service's own page (LD/T 01 7)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template, request

from channels.web.units import unit_grant
from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import Audience, gate, public
from gateway.channel_policy import Operation
from gateway.clients import get_clients
from gateway.public_info import credit, evaluation, halls, policies, regulation
from gateway.public_info.models import EvaluationSubject, Rating
from gateway.request_db import get_session
from gateway.units.models import UnitOperation

bp = Blueprint("info", __name__, url_prefix="/info", template_folder="templates")

#: Where a rated service's own page is, so the person returns there.
_SERVICE_PAGES = {
    EvaluationSubject.APPLICATION: "/progress/{}?rated=1",
    EvaluationSubject.APPOINTMENT: "/appointments/{}?rated=1",
    EvaluationSubject.CERTIFICATE: "/certificates/?rated={}#issued",
    EvaluationSubject.CONSULTATION: "/consult/?rated={}#mine",
    EvaluationSubject.CHAT: "/consult/chat/?rated={}#evaluation",
}
#: Services rated from a form of their own (their page lists them, or has no room for the form).
_OWN_FORM = {EvaluationSubject.CERTIFICATE, EvaluationSubject.CONSULTATION, EvaluationSubject.CHAT}


@bp.get("/")
@public(Operation.QUERY)
def index():
    """The public section's own page: every page of it one click away."""
    return render_template("web/info/index.html")


@bp.get("/regulation")
@public(Operation.QUERY)
def regulation_text():
    """《社会保险经办条例》 in full, an anchor per article (#art-N) for the guides that cite it (LD/T 01 5.6.1)."""
    return render_template("web/info/regulation.html", chapters=regulation.regulation(), title=regulation.TITLE)


@bp.get("/policies")
@public(Operation.QUERY)
def policy_list():
    """Policy documents with issuing body, number, dates and status (LD/T 01 5.6.1)."""
    docs = policies.listing(get_session())
    by_id = {d.id: d for d in docs}
    return render_template("web/info/policies.html", docs=docs, by_id=by_id)


@bp.get("/halls")
@public(Operation.QUERY)
def hall_list():
    """Every hall: address, hours and their changes, phone, map, items, today's queue (LD/T 01 5.6.1)."""
    return render_template("web/info/halls.html", halls=halls.overview(get_session(), clock.now()), now=clock.now())


@bp.get("/evaluation")
@public(Operation.QUERY)
def figures():
    """The month's 好差评 figures per item, hall and channel, from the records (LD/T 01 7)."""
    today = clock.today()
    month = evaluation.parse_month(request.args.get("month"), today)
    if month is None:
        errors = [("month", "请按“年-月”选择不晚于本月的月份，例如 2026-11。")]
        return render_template(
            "web/info/evaluation.html", data=None, errors=errors, month_text=request.args.get("month", "")
        ), 400
    data = evaluation.figures(get_session(), month)
    return render_template("web/info/evaluation.html", data=data, errors=[], month_text=f"{month:%Y-%m}")


def _own_code() -> str | None:
    """The logged-in party's own ID number or credit code, to find their entries (a unit first, then a person)."""
    actor = current_actor()
    if actor.unit is not None:
        return actor.unit.credit_code
    return actor.person.id_number if actor.person is not None else None


def _credit_page(*, errors=(), status: int = 200, statement: str = ""):
    session, today = get_session(), clock.today()
    code = _own_code()
    vault = current_app.extensions["shebao_vault"]
    mine = credit.entries_of(session, vault, code, today) if code else []
    return render_template(
        "web/info/credit.html",
        entries=credit.published(session, today),
        mine=mine,
        repairs=credit.repairs_of(session, [e.id for e in mine]),
        errors=list(errors),
        statement=statement,
    ), status


@bp.get("/credit")
@public(Operation.QUERY)
def credit_list():
    """The list of serious dishonesty as the rules allow it to be published (LD/T 01 5.6.3; GB/T 31621 19)."""
    return _credit_page()


def _repair(entry_id: int):
    statement = request.form.get("statement") or ""
    try:
        credit.request_repair(
            get_session(), current_app.extensions["shebao_vault"], _own_code() or "", entry_id, statement
        )
    except credit.CreditRefused as refused:
        return _credit_page(
            errors=[(f"statement-{entry_id}", refused.message)], status=refused.status, statement=statement
        )
    return redirect("/info/credit?repair=sent#mine")


@bp.post("/credit/<int:entry_id>/repair")
@gate(Operation.APPLY, Audience.PERSON)
def repair(entry_id: int):
    """A listed person applies online for credit repair (GB/T 31621 19)."""
    return _repair(entry_id)


@bp.post("/credit/<int:entry_id>/unit-repair")
@gate(Operation.APPLY, Audience.UNIT)
@unit_grant(UnitOperation.APPLY)
def unit_repair(entry_id: int):
    """A listed unit, through its certificate holder or a clerk granted to apply for it, applies online for credit
    repair (GB/T 31621 19)."""
    return _repair(entry_id)


def _subject(value: str | None) -> EvaluationSubject | None:
    try:
        return EvaluationSubject(value or "")
    except ValueError:
        return None


@bp.post("/evaluation/rate")
@gate(Operation.EVALUATE, Audience.PERSON)
def rate():
    """Rate a finished service once; back to its page, or this form again with every problem listed at the top."""
    subject = _subject(request.form.get("subject"))
    ref = (request.form.get("ref") or "").strip()[:20]
    if subject is None or not ref:
        errors = [("satisfaction", "没有找到要评价的服务，请从办理记录中进入评价。")]
        return render_template("web/info/rate.html", subject=None, ref="", errors=errors, form={}), 400
    scores, errors = evaluation.parse_scores(request.form.to_dict())
    comment = request.form.get("comment") or ""
    if len(comment.strip()) > evaluation.COMMENT_MAX:
        errors.append(("comment", f"评价内容不能超过 {evaluation.COMMENT_MAX} 个字。"))
    if not errors:
        try:
            evaluation.rate(
                get_session(), current_actor(), subject, ref, scores, comment, certificates=get_clients().sealer
            )
        except evaluation.EvaluationRefused as refused:
            status = refused.status
            errors = [("satisfaction", refused.message)]
        else:
            return redirect(_SERVICE_PAGES[subject].format(ref))
    else:
        status = 400
    form = request.form.to_dict()
    title = evaluation.service_title(get_session(), current_actor(), subject, ref, get_clients().sealer)
    return render_template(
        "web/info/rate.html", subject=subject, ref=ref, title=title, errors=errors, form=form
    ), status


@bp.get("/evaluation/rate")
@gate(Operation.EVALUATE, Audience.PERSON)
def rate_form():
    """The rating form for a service whose own page has no room for it: a certificate in the list of issued ones,
    a closed mailbox case in the person's list of cases (those pages link here). Only the person's own finished
    service, and only once."""
    subject = _subject(request.args.get("subject"))
    ref = (request.args.get("ref") or "").strip().upper()[:20]
    if subject not in _OWN_FORM:
        return redirect("/progress/" if subject is EvaluationSubject.APPLICATION else "/appointments/")
    if subject is EvaluationSubject.CERTIFICATE:
        evaluation.rated_certificate(get_session(), current_actor(), ref, get_clients().sealer)  # 404 if not theirs
    else:
        evaluation.rated_consultation(get_session(), current_actor(), subject, ref)  # 404/409 unless theirs, done
    if evaluation.evaluation_of(get_session(), subject, ref) is not None:
        return redirect(_SERVICE_PAGES[subject].format(ref))
    title = evaluation.service_title(get_session(), current_actor(), subject, ref, get_clients().sealer)
    return render_template("web/info/rate.html", subject=subject, ref=ref, title=title, errors=[], form={})


def _evaluation_for(subject: str, ref: str):
    """For a service's page: the logged-in person's rating of it and its follow-up, or (None, None)."""
    who = current_identity()
    found = evaluation.evaluation_of(get_session(), EvaluationSubject(subject), ref) if who else None
    if found is None or found.person_id != who.person_id:
        return None, None
    return found, evaluation.follow_up_of(get_session(), found.id)


def _own_ratings(subject: str, refs) -> dict[str, tuple[object, object]]:
    """For a page listing services of one kind: the logged-in person's ratings of them and their follow-ups, by
    ref (two queries for the whole list)."""
    subject_id = current_actor().subject_id  # the person whose services they are (a proxy acts for them)
    if subject_id is None:
        return {}
    found = evaluation.evaluations_of(get_session(), EvaluationSubject(subject), [str(r) for r in refs])
    mine = {ref: e for ref, e in found.items() if e.person_id == subject_id}
    follow_ups = evaluation.follow_ups_of(get_session(), [e.id for e in mine.values()])
    return {ref: (e, follow_ups.get(e.id)) for ref, e in mine.items()}


def _certificate_ratings(records) -> dict[str, object]:
    """For the certificates page: the logged-in person's ratings of the listed certificates, by id (one query)."""
    subject_id = current_actor().subject_id  # the person whose certificates they are (a proxy acts for them)
    if subject_id is None:
        return {}
    found = evaluation.evaluations_of(get_session(), EvaluationSubject.CERTIFICATE, [str(r.id) for r in records])
    return {ref: e for ref, e in found.items() if e.person_id == subject_id}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(lambda text: regulation.link_citations(str(text)), "law_links")
    app.jinja_env.globals["evaluation_for"] = _evaluation_for
    app.jinja_env.globals["certificate_ratings"] = _certificate_ratings
    app.jinja_env.globals["own_ratings"] = _own_ratings
    app.jinja_env.globals["rating_scale"] = list(reversed(Rating))
    app.jinja_env.globals["rating_label"] = lambda value: Rating(int(value)).label
    app.jinja_env.globals["rating_dimensions"] = evaluation.DIMENSIONS
    app.jinja_env.globals["current_actor_unit"] = lambda: current_actor().unit is not None
