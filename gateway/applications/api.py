"""``/api/v1/applications`` and ``/api/v1/progress/lookup`` (LD/T 01 5.2.1) for the other channels.

Session-cookie identity for now (bearer tokens for the mini-program and kiosk come with the identity layer).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from gateway.applications import service
from gateway.applications.models import Application, ApplicationStatus
from gateway.clock import local_now
from gateway.db import get_session
from gateway.identity.models import Person
from gateway.problems import UserError
from gateway.security.limits import limiter

bp = Blueprint("api_applications", __name__, url_prefix="/api/v1")

#: The same answer whichever half is wrong (no way to probe which numbers exist).
NOT_FOUND = "没有找到与该申请编号和身份证号码相符的申请，请核对后重新输入。"


def _identity():
    from gateway.api.auth import api_identity

    who = api_identity()
    if who is None:
        raise UserError("login_required", "请先登录。", 401)
    return who


def _json(app: Application) -> dict:
    vault = current_app.extensions["shebao_vault"]
    person = get_session().get(Person, app.person_id)
    return service.application_json(service.view_of(app, vault, person, local_now().date()))


@bp.get("/applications")
def list_applications():
    """The logged-in person's submitted applications, newest first."""
    who = _identity()
    apps = [a for a in service.my_applications(get_session(), who.person_id) if a.status != ApplicationStatus.DRAFT]
    return jsonify({"applications": [_json(a) for a in apps]})


@bp.get("/applications/<number>")
def get_application(number: str):
    """One of the logged-in person's applications, with its timeline."""
    who = _identity()
    app = service.by_number(get_session(), number)
    if app is None or app.person_id != who.person_id:
        raise UserError("not_found", "没有找到该申请。", 404)
    return jsonify(_json(app))


@bp.post("/progress/lookup")
@limiter.limit("10 per minute; 60 per hour")
def lookup():
    """Anonymous lookup by application number + the applicant's ID number."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError("bad_request", "请求内容应为 JSON 对象。", 400)
    number, id_number = data.get("number"), data.get("id_number")
    if not isinstance(number, str) or not number.strip():
        raise UserError("invalid_parameter", "请输入申请编号。", 400)
    if not isinstance(id_number, str) or not id_number.strip():
        raise UserError("invalid_parameter", "请输入申请人身份证号码。", 400)
    app = service.lookup(get_session(), current_app.extensions["shebao_vault"], number, id_number)
    if app is None:
        raise UserError("not_found", NOT_FOUND, 404)
    return jsonify(_json(app))


def init_app(app: Flask) -> None:
    from gateway import csrf

    # The lookup carries no session and changes nothing; the reads are GETs.
    csrf.exempt(lookup)
    app.register_blueprint(bp)
