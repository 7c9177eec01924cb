"""Applying online in three steps — fill in, upload, confirm (LD/T 01 5.3, 6.1.3) — and the pension estimate.

Views parse input, call one service function, render. The rules are in :mod:`gateway.applications`.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for

from gateway import clock
from gateway.access.edge import current_actor, current_identity
from gateway.access.needs import gate
from gateway.applications import face_check, pension, service, uploads
from gateway.applications.models import Application
from gateway.catalog import ServiceItem, load_catalog
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.problems import UserError
from gateway.request_db import get_session

bp = Blueprint("applications", __name__)

STEPS = ("填写申请", "上传材料", "确认提交")
#: An item with a face check (LD/T 01 5.4.3 a) has no uploads: the check is its step 2 (channels.web.services_extra).
FACE_STEPS = ("填写申请", "人脸识别", "确认提交")


def _steps(item: ServiceItem) -> tuple[str, ...]:
    return FACE_STEPS if item.id in face_check.REQUIRED_FOR else STEPS


def _step_2(item: ServiceItem) -> str:
    if item.id in face_check.REQUIRED_FOR:
        return url_for("services_extra.face", item_id=item.id)
    return url_for("applications.materials", item_id=item.id)


def _vault():
    return current_app.extensions["shebao_vault"]


def _var_dir():
    return current_app.config["SETTINGS"].var_dir


def _scanner() -> uploads.VirusScanner:
    # The operator's scanner when one is plugged in; the default scans nothing (see uploads.NoScanner).
    return current_app.extensions.get("shebao_scanner") or uploads.NoScanner()


def _incoming(item: ServiceItem) -> list[uploads.IncomingFile]:
    """The files of the form: one input per uploadable material, named ``file-<n>``."""
    files = []
    for n, material in enumerate(service.uploadable_materials(item)):
        for storage in request.files.getlist(f"file-{n}"):
            if storage.filename or storage.content_length:
                files.append(uploads.IncomingFile(material.name, storage.filename or "", storage.read()))
    return files


def _draft_or_restart(item: ServiceItem) -> Application | None:
    return service.get_draft(get_session(), current_identity().person_id, item.id)


@bp.route("/services/<item_id>/apply", methods=["GET", "POST"])
@gate(Operation.APPLY, item_arg="item_id")
def fill(item_id: str):
    """Step 1: first whether the person can apply at all (the back office's check), then the item's own questions,
    prefilled from the back office (Regulation Art. 31)."""
    item = service.applicable_item(item_id)
    who = current_identity()
    known = service.prefill(get_backoffice(), who.id_number, who.name)
    verdict = service.eligibility(get_backoffice(), item, who.id_number, clock.today())
    if verdict is not None and not verdict.eligible:
        return render_template("web/applications/refused.html", item=item, known=known, reason=verdict.reason), (
            409 if request.method == "POST" else 200
        )
    draft = _draft_or_restart(item)
    values = service.form_values(draft, _vault()) if draft else {"phone": known.phone}
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        raw = {f.name: request.form.get(f.name, "") for f in service.fields_for(item)}
        app, errors = service.fill_in(
            get_session(),
            get_backoffice(),
            _vault(),
            who.person_id,
            who.id_number,
            item,
            raw,
            channel=current_actor().channel.value,
            now=clock.now(),
        )
        if app is not None:
            return redirect(_step_2(item))
        values = raw
    return render_template(
        "web/applications/fill.html",
        item=item,
        known=known,
        fields=service.fields_for(item),
        values=values,
        errors=errors,
        steps=_steps(item),
        step=1,
        today=clock.today(),
    ), (400 if errors else 200)


@bp.route("/services/<item_id>/apply/materials", methods=["GET", "POST"])
@gate(Operation.APPLY, item_arg="item_id")
def materials(item_id: str):
    """Step 2: upload copies of the materials (checked by content; stored outside the web root)."""
    item = service.applicable_item(item_id)
    draft = _draft_or_restart(item)
    if draft is None:
        return redirect(url_for("applications.fill", item_id=item.id))
    if item.id in face_check.REQUIRED_FOR:
        return redirect(_step_2(item))
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        files = _incoming(item)
        try:
            if files:
                service.add_materials(get_session(), draft, files, _var_dir(), now=clock.now(), scanner=_scanner())
        except UserError as exc:
            errors.append(("file-0", exc.message))
        else:
            if request.form.get("next"):
                return redirect(url_for("applications.confirm", item_id=item.id))
            return redirect(url_for("applications.materials", item_id=item.id))
    return render_template(
        "web/applications/materials.html",
        item=item,
        draft=draft,
        wanted=service.uploadable_materials(item),
        have=service.current_materials(draft),
        accept=uploads.ACCEPT,
        max_mb=uploads.MAX_FILE_BYTES // 1024 // 1024,
        max_files=uploads.MAX_FILES,
        errors=errors,
        steps=STEPS,
        step=2,
    ), (400 if errors else 200)


@bp.post("/services/<item_id>/apply/materials/<int:material_id>/delete")
@gate(Operation.APPLY, item_arg="item_id")
def delete_material(item_id: str, material_id: int):
    """Remove a file uploaded by mistake (only before submission)."""
    item = service.applicable_item(item_id)
    draft = _draft_or_restart(item)
    if draft is None:
        raise UserError("not_found", "没有找到该文件。", 404)
    service.remove_material(get_session(), draft, material_id, _var_dir())
    return redirect(url_for("applications.materials", item_id=item.id))


@bp.route("/services/<item_id>/apply/confirm", methods=["GET", "POST"])
@gate(Operation.APPLY, item_arg="item_id")
def confirm(item_id: str):
    """Step 3: check everything, confirm the risk warning if there is one (LD/T 01 5.3.2), submit."""
    item = service.applicable_item(item_id)
    who = current_identity()
    draft = _draft_or_restart(item)
    if draft is None:
        return redirect(url_for("applications.fill", item_id=item.id))
    if item.id in face_check.REQUIRED_FOR and face_check.usable(get_session(), draft, clock.now()) is None:
        return redirect(_step_2(item))  # only a passed face check lets it be submitted (LD/T 01 5.4.3 a)
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        try:
            app = service.hand_in(
                get_session(),
                draft,
                backoffice=get_backoffice(),
                id_number=who.id_number,
                risk_confirmed=request.form.get("confirm_risk") == "y",
                now=clock.now(),
            )
        except UserError as exc:
            get_session().rollback()
            if exc.code == "not_eligible":
                # Asked again at submission (a situation can change between the steps): the refusal of step 1.
                known = service.prefill(get_backoffice(), who.id_number, who.name)
                return render_template(
                    "web/applications/refused.html", item=item, known=known, reason=exc.message
                ), exc.status
            errors.append(("confirm_risk", exc.message))
            status = exc.status
        else:
            return redirect(url_for("progress.detail", number=app.number, new=1))
    return render_template(
        "web/applications/confirm.html",
        item=item,
        known=service.prefill(get_backoffice(), who.id_number, who.name),
        answers=service.form_display(item, draft, vault=_vault()),
        have=service.current_materials(draft),
        errors=errors,
        steps=_steps(item),
        step=3,
    ), status


# ---------------------------------------------------------------- 5.4.3 d: pension estimate


@bp.get("/services/pension-estimate")
@gate(Operation.QUERY, item="pension-estimate")
def pension_estimate():
    """The calculator, prefilled with the person's own balance and months (queries are free, Art. 32)."""
    item = load_catalog().get("pension-estimate")
    who = current_identity()
    settings = current_app.config["SETTINGS"]
    account = get_backoffice().account(who.id_number)
    defaults = pension.defaults_for(get_backoffice(), who.id_number, settings.pension_base)
    asked = "age" in request.args
    values = {k: request.args.get(k, v) for k, v in defaults.items()} if asked else defaults
    result, errors = None, []
    if asked:
        inputs, errors = pension.parse_inputs(values)
        result = pension.estimate(inputs) if inputs else None
    return render_template(
        "web/applications/pension.html",
        item=item,
        account=account,
        values=values,
        errors=errors,
        result=result,
        min_years=pension.MIN_MONTHS // 12,
        divisors=pension.MONTHS_DIVISOR,
        zero=Decimal(0),
    ), (400 if errors else 200)


def init_app(app: Flask) -> None:
    @app.template_global()
    def can_apply_online(item_id: str) -> bool:
        """True when the guide page should offer "在线办理" for ``item_id``."""
        return any(i.id == item_id for i in service.applicable_items())
