"""More services of LD/T 01 5.4.3: the face check step of the eligibility certification (a), transfer progress
(b, 7.1.2) and the social security card status (e). Views parse input, call one function, render."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for

from channels.web.applications import FACE_STEPS
from gateway import clock
from gateway.access.edge import current_identity
from gateway.access.needs import gate
from gateway.access.urls import public_base_url
from gateway.applications import card_loss, card_status, face_check, service, transfers
from gateway.applications.models import Application
from gateway.catalog import load_catalog
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.problems import UserError
from gateway.request_db import get_session, keep_on_refusal

bp = Blueprint("services_extra", __name__)


def _face_item(item_id: str):
    item = service.applicable_item(item_id)
    if item.id not in face_check.REQUIRED_FOR:
        raise UserError("not_found", "该事项不需要人脸识别。", 404)
    return item


def _client() -> face_check.FaceCheckClient:
    return face_check.client_for(current_app.config["SETTINGS"])


def _face_page(item, draft: Application, errors: list[tuple[str, str]], status: int = 200):
    session = get_session()
    who = current_identity()
    return render_template(
        "web/applications/svc_face.html",
        item=item,
        known=service.prefill(get_backoffice(), who.id_number, who.name),
        latest=face_check.latest(session, draft),
        usable=face_check.usable(session, draft, clock.now()) is not None,
        errors=errors,
        steps=FACE_STEPS,
        step=2,
    ), status


@bp.get("/services/<item_id>/apply/face")
@gate(Operation.APPLY, item_arg="item_id")
def face(item_id: str):
    """Step 2: the face check, explained, with the way to the provider's page."""
    item = _face_item(item_id)
    draft = service.get_draft(get_session(), current_identity().person_id, item.id)
    if draft is None:
        return redirect(url_for("applications.fill", item_id=item.id))
    return _face_page(item, draft, [])


@bp.get("/services/<item_id>/apply/face/start")
@gate(Operation.APPLY, item_arg="item_id")
def face_start(item_id: str):
    """Open a session at the provider and send the person there.

    A link, not a form: the page's CSP (form-action 'self') rightly stops a form from landing on another
    origin, and like the e-SSC login start this only opens a session that the person must then complete.
    """
    item = _face_item(item_id)
    who = current_identity()
    draft = service.get_draft(get_session(), who.person_id, item.id)
    if draft is None:
        return redirect(url_for("applications.fill", item_id=item.id))
    back = url_for("services_extra.face_return", item_id=item.id)
    try:
        capture = face_check.start(
            get_session(),
            _client(),
            draft,
            id_number=who.id_number,
            name=who.name,
            return_url=public_base_url() + back,
            now=clock.now(),
        )
    except UserError as exc:
        get_session().rollback()
        return _face_page(item, draft, [("start-face", exc.message)], exc.status)
    return redirect(capture)


@bp.get("/services/<item_id>/apply/face/return")
@gate(Operation.APPLY, item_arg="item_id")
def face_return(item_id: str):
    """Back from the provider: the verdict is fetched and verified server to server, never taken from the URL."""
    item = _face_item(item_id)
    who = current_identity()
    session = get_session()
    draft = service.get_draft(session, who.person_id, item.id)
    if draft is None:
        return redirect(url_for("applications.fill", item_id=item.id))
    try:
        check = face_check.finish(
            session,
            _client(),
            person_id=who.person_id,
            id_number=who.id_number,
            session_id=request.args.get("session_id", ""),
            now=clock.now(),
            now_ts=time.time(),
        )
    except UserError as exc:
        session.rollback()
        return _face_page(item, draft, [("start-face", exc.message)], exc.status)
    face_check.trace(session, check, item_name=item.name, channel="web", ip=request.remote_addr)
    keep_on_refusal()  # a failed face check is traced like a passed one
    if check.status is face_check.FaceCheckStatus.PASSED:
        return redirect(url_for("applications.confirm", item_id=item.id))
    failed = "人脸识别未通过，请在光线充足处正对摄像头重新识别；多次未通过可到社区（村）服务站或经办窗口认证。"
    return _face_page(item, draft, [("start-face", failed)], 400)


# ---------------------------------------------------------------- 5.4.3 e: card status


@bp.get("/services/card-status")
@gate(Operation.QUERY, item="card-status")
def card():
    """The social security card's status and, while a card is made, its steps. Nothing changes state."""
    item = load_catalog().get("card-status")
    record = get_backoffice().find_person(current_identity().id_number)
    view = card_status.view_of(record) if record is not None else None
    return _card_page(item, view, [], done=request.args.get("lost") == "1")


def _card_page(item, view, errors: list[tuple[str, str]], *, done: bool = False):
    return render_template(
        "web/applications/svc_card.html", item=item, card=view, errors=errors, warning=card_loss.WARNING, done=done
    )


@bp.post("/services/card-status/report-loss")
@gate(Operation.APPLY, item="card-status")
def card_report_loss():
    """Report the card lost after confirming the warning: the use case the API's ``reportCardLost`` calls too."""
    who = current_identity()
    try:
        card_loss.report_lost(
            get_session(),
            get_backoffice(),
            person_id=who.person_id,
            id_number=who.id_number,
            confirmed=request.form.get("confirm") == "yes",
            channel="web",
            ip=request.remote_addr,
            now=clock.now(),
        )
    except UserError as exc:
        get_session().rollback()
        record = get_backoffice().find_person(who.id_number)
        view = card_status.view_of(record) if record is not None else None
        return _card_page(load_catalog().get("card-status"), view, [("confirm", exc.message)]), exc.status
    return redirect(url_for("services_extra.card", lost=1))


# ---------------------------------------------------------------- 5.4.3 b, 7.1.2: transfer progress


@bp.get("/rights/transfers")
@gate(Operation.QUERY, item="rights-transfers")
def rights_transfers():
    """The person's transfers, each with its stages and their dates (LD/T 01 5.2.2 d)."""
    item = load_catalog().get("rights-transfers")
    progress = transfers.for_person(get_backoffice(), current_identity().id_number)
    return render_template("web/rights/svc_transfers.html", item=item, transfers=progress)


def transfer_of(app: Application) -> transfers.TransferProgress | None:
    """The transfer stages for a transfer item's application (for the progress page)."""
    if app.item_id not in transfers.ITEM_TRANSFERS or app.submitted_at is None:
        return None
    person = get_session().get(Person, app.person_id)
    id_number = identity_of(current_app.extensions["shebao_vault"], person).id_number
    return transfers.for_application(get_backoffice(), id_number, app)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.template_global()
    def transfer_current(record) -> str:
        """The stage a back-office transfer record is at, for the rights page."""
        progress = transfers.progress_of(record)
        return progress.current.label if progress.current else "已办结"
