"""After login at the kiosk: home (name, the registered document and the social security and card numbers, all
masked; unread count), inbox, the person's upcoming appointments with check-in for today's here, and a sealed proof
of insurance (参保证明) to view and print — never to save — each at most three taps from the home."""

from __future__ import annotations

import secrets
import time
from functools import wraps
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from channels.kiosk import _hall, bp
from esign.codes import DocumentKind, display
from esign.documents import DocumentError
from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import gate
from gateway.access.urls import verify_url
from gateway.appointments import service as appointments
from gateway.appointments.models import BookingStatus
from gateway.backoffice.interface import BackOfficeUnavailable
from gateway.catalog import Channel
from gateway.certificates import service as certificates
from gateway.channel_policy import Operation, policy_for
from gateway.clients import get_backoffice, get_clients
from gateway.identity.documents import person_document
from gateway.identity.models import Person
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import mask_card_number, mask_id_number
from notify import inbox

PROOF = certificates.Wanted(DocumentKind.PERSON_PROOF.value)
INBOX_PAGE_SIZE = 8  # one screen of the 1920 px tall kiosk
#: The fetch destinations the sealed PDF is served to: the print page's frame (a browser says so in
#: Sec-Fetch-Dest); a top-level navigation ("document") would open the viewer with its download button.
FRAME_DESTINATIONS = frozenset({"iframe", "frame", "embed", "object"})


def kiosk_person(operation: Operation):
    """A page for the person logged in at this hall's kiosk (the gate sends anyone else to the kiosk's start
    screen); the view gets the hall and the person."""

    def decorate(view):
        @wraps(view)
        def wrapped(hall_code: str, **kwargs):
            hall = _hall(hall_code)
            # Every page shown restarts the server's idle clock with the page's countdown (a small write per
            # view, fine at kiosk traffic), so the countdown's logout still finds the session and is logged.
            session["kiosk_seen_at"] = int(time.time())
            return view(hall, current_identity(), **kwargs)

        return gate(operation, level=3)(wrapped)

    return decorate


@bp.get("/<hall_code>/me/")
@kiosk_person(Operation.QUERY)
def me_home(hall, who):
    db = get_session()
    unread = inbox.unread_count(db, who.person_id)
    # LD/T 01 6.2.3 b–d, as the web's 我的 shows them: the document registered with (type and masked number),
    # the social security number and the card number, each masked (Regulation Art. 49).
    document = person_document(db, current_app.extensions["shebao_vault"], db.get(Person, who.person_id),
                               who.id_number)  # fmt: skip
    try:
        record = get_backoffice().find_person(who.id_number)
    except BackOfficeUnavailable:
        record = None
    return render_template("kiosk/me_home.html", hall=hall, who=who, document=document,
                           masked_id=mask_id_number(who.id_number),
                           card_number=mask_card_number(record.card_number) if record else None,
                           unread=unread)  # fmt: skip


@bp.post("/<hall_code>/me/touch")
@kiosk_person(Operation.QUERY)
def me_touch(hall, who):
    """The page was touched: keep the server-side session as alive as the on-screen countdown."""
    return {"ok": True}


@bp.get("/<hall_code>/me/inbox/")
@kiosk_person(Operation.QUERY)
def me_inbox(hall, who):
    page = request.args.get("page", "1")
    result = inbox.list_messages(get_session(), who.person_id, int(page) if page.isdigit() else 1, INBOX_PAGE_SIZE)
    return render_template("kiosk/me_inbox.html", hall=hall, who=who, result=result)


@bp.get("/<hall_code>/me/inbox/<int:message_id>")
@kiosk_person(Operation.QUERY)
def me_message(hall, who, message_id: int):
    db = get_session()
    found = inbox.open_message(db, who.person_id, message_id)
    if found is None:
        abort(404)  # another person's message looks exactly like a missing one
    return render_template("kiosk/me_message.html", hall=hall, who=who, message=found)


def _upcoming(who) -> list:
    """All the person's bookings from today on, soonest first (the web's list, with those they made as a
    proxy), cancelled ones left out; today's at this hall can be checked in from the page."""
    today = clock.today()
    views = appointments.bookings_of(get_session(), who.person_id, made_by_me=True)
    upcoming = [v for v in views if v.slot.day >= today and v.booking.status != BookingStatus.CANCELLED]
    return sorted(upcoming, key=lambda v: (v.slot.day, v.slot.start))


def _appointments_page(hall, who, error: str | None = None) -> str:
    return render_template("kiosk/me_appointments.html", hall=hall, who=who, views=_upcoming(who),
                           today=clock.today(), BOOKED=BookingStatus.BOOKED, error=error)  # fmt: skip


@bp.get("/<hall_code>/me/appointments")
@kiosk_person(Operation.QUERY)
def me_appointments(hall, who):
    return _appointments_page(hall, who)


@bp.post("/<hall_code>/me/appointments/<code>/check-in")
@kiosk_person(Operation.BOOK)
def me_check_in(hall, who, code: str):
    """Check in for one of today's bookings here (the use case checks it is this person's)."""
    db = get_session()
    try:
        view = appointments.check_in(db, code=code, hall_id=hall.id, now=clock.now(), actor=current_actor())
    except appointments.BookingRefused as refused:
        db.rollback()
        return _appointments_page(hall, who, refused.message), refused.status
    return redirect(url_for("kiosk.ticket", hall_code=hall.code, code=view.booking.code))


# ---------------------------------------------------------------- proof of insurance (参保证明)


def _prints_dir() -> Path:
    return Path(current_app.config["SETTINGS"].var_dir) / "kiosk_prints"


def _sweep(folder: Path) -> None:
    # A printout is needed only while its session lives: anything older than the absolute timeout goes.
    cutoff = time.time() - policy_for(Channel.KIOSK).absolute_timeout_s
    for old in folder.glob("*.pdf"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def forget_prints() -> None:
    """Delete the session's printouts at logout, and any left by sessions that expired instead."""
    folder = _prints_dir()
    for token in session.get("kiosk_prints", []):
        (folder / f"{token}.pdf").unlink(missing_ok=True)
    if folder.is_dir():
        _sweep(folder)


@bp.get("/<hall_code>/me/proof")
@kiosk_person(Operation.PRINT)
def me_proof(hall, who):
    """Step 1: what the proof will say."""
    try:
        doc = certificates.document_for(get_backoffice(), current_actor(), PROOF)
    except DocumentError as exc:
        return render_template("kiosk/me_proof.html", hall=hall, who=who, doc=None, error=exc.message), 400
    return render_template("kiosk/me_proof.html", hall=hall, who=who, doc=doc, error=None)


@bp.post("/<hall_code>/me/proof")
@kiosk_person(Operation.PRINT)
@limiter.limit("10 per minute")
def me_proof_issue(hall, who):
    """Step 2: seal it (the certificates use case), keep the PDF for this session, show the print page."""
    try:
        issued = certificates.issue(
            get_session(),
            current_actor(),
            PROOF,
            backoffice=get_backoffice(),
            sealer=get_clients().sealer,
            verify_url=verify_url(),
        )
    except DocumentError as exc:
        return render_template("kiosk/me_proof.html", hall=hall, who=who, doc=None, error=exc.message), 400
    except certificates.SealUnavailable:
        doc = certificates.document_for(get_backoffice(), current_actor(), PROOF)
        message = "电子印章服务暂时不可用，请稍后再试或到服务窗口办理。"
        return render_template("kiosk/me_proof.html", hall=hall, who=who, doc=doc, error=message), 503
    folder = _prints_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    token = secrets.token_urlsafe(16)
    (folder / f"{token}.pdf").write_bytes(issued.pdf)
    session["kiosk_prints"] = [*session.get("kiosk_prints", []), token]
    session["kiosk_print_codes"] = {**session.get("kiosk_print_codes", {}), token: display(issued.code)}
    return redirect(url_for("kiosk.me_print", hall_code=hall.code, token=token))


def _own_print(token: str) -> Path:
    path = _prints_dir() / f"{token}.pdf"
    if token not in session.get("kiosk_prints", []) or not path.is_file():
        abort(404)
    return path


@bp.get("/<hall_code>/me/proof/<token>")
@kiosk_person(Operation.PRINT)
def me_print(hall, who, token: str):
    """Step 3: the print page — the sealed PDF, its anti-forgery code and where to verify it."""
    _own_print(token)
    code = session.get("kiosk_print_codes", {}).get(token, "")
    return render_template("kiosk/me_print.html", hall=hall, who=who, token=token, code=code, verify_url=verify_url())


@bp.get("/<hall_code>/me/proof/<token>/pdf")
@kiosk_person(Operation.PRINT)
def me_print_pdf(hall, who, token: str):
    """The sealed PDF, for the print page's frame only: the kiosk shows and prints it, it never saves it.
    Opened as a page of its own (where the browser's viewer offers a download) it is refused; the frame hides
    the viewer's toolbar (download button included) and the 打印 button prints it."""
    if request.headers.get("Sec-Fetch-Dest", "iframe") not in FRAME_DESTINATIONS:
        abort(404)
    path = _own_print(token)
    response: Response = send_file(path, mimetype="application/pdf", max_age=0)
    # Inline and without a file name: nothing that suggests or names a download.
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "no-store"
    # Shown inside the print page's frame: same-origin framing only.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response
