"""``/api/v1/``: every JSON operation of the gateway, one module per feature, each declared once with APIFlask
(input schema, output schema, error responses) and one need for the gate (``gateway.access.needs``); the
OpenAPI document at ``/api/v1/openapi.json`` is written from those declarations (:mod:`gateway.api.openapi`).

Rules shared by every operation, kept here once:

* errors are ``{"error": {"code", "message"}}`` with a Chinese message (``gateway.errors``); a body that is not a
  JSON object where one is declared is ``400 bad_request``; a field the schema refuses is ``400`` with the field's
  own code and message (:mod:`gateway.api.schemas`);
* the gate (``gateway.access.edge``) has already enforced each operation's need — channel policy, login, level —
  and built the Actor before the view runs;
* CSRF: a write carried by the session cookie needs the page's token (``X-CSRFToken``); a bearer token is never
  sent by a browser on its own, and public operations use no session, so those carry none;
* caching, idempotent POSTs and paging: :mod:`gateway.api.conventions`.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import Flask, current_app, jsonify, request

from gateway.access.needs import Audience, need_of, public
from gateway.api import (
    account,
    applications,
    apply,
    appointments,
    auth,
    catalog,
    certificates,
    chat,
    consult,
    conventions,
    inbox,
    public_info,
    rights,
    service_status,
    services_extra,
    step_up,
    subscriptions,
    verify,
)
from gateway.api import help as knowledge
from gateway.channel_policy import Operation
from gateway.errors import error_response
from gateway.problems import UserError
from gateway.security.csrf import csrf

#: The parent of every feature's blueprint: the shared rules below apply to all of them. Not itself documented.
bp = APIBlueprint("api_v1", __name__, url_prefix="/api/v1", enable_openapi=False)

#: Each feature's blueprint, in the order of the document's tags.
FEATURES: tuple[APIBlueprint, ...] = (
    auth.bp,
    step_up.bp,
    catalog.bp,
    appointments.bp,
    applications.bp,
    apply.bp,
    rights.bp,
    services_extra.bp,
    certificates.bp,
    inbox.bp,
    knowledge.bp,
    consult.bp,
    chat.bp,
    verify.bp,
    public_info.bp,
    subscriptions.bp,
    service_status.bp,
    account.bp,
)
for feature in FEATURES:
    bp.register_blueprint(feature)

NOT_AN_OBJECT = "请求内容应为 JSON 对象。"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _declared_body(view) -> bool:
    content = getattr(view, "_spec", {}).get("content_type") if view is not None else None
    return content == "application/json"


@bp.before_request
def _shared_rules():
    """After the gate: CSRF for cookie-carried writes, then a JSON object where a JSON body is declared."""
    view = current_app.view_functions.get(request.endpoint or "")
    need = need_of(view) if view is not None else None
    if (
        request.method not in _SAFE
        and need is not None
        and need.audience is not Audience.PUBLIC
        and not request.headers.get("Authorization", "").startswith("Bearer ")
    ):
        csrf.protect()  # a 400 "csrf" (gateway.errors) without the page's token
    if request.method not in _SAFE and _declared_body(view) and not isinstance(request.get_json(silent=True), dict):
        raise UserError("bad_request", NOT_AN_OBJECT, 400)
    return conventions.replay_or_claim()


@bp.after_request
def _shared_answers(response):
    return conventions.finish(response)


bp.teardown_request(conventions.release_unanswered)


@bp.errorhandler(HTTPError)
def _schema_refusal(exc: HTTPError):
    """What the fields did not refuse themselves with their own code and message: our shape, never a 422."""
    if exc.status_code in (400, 422):
        return error_response("invalid_parameter", "请求参数不正确。", 400)
    return error_response("error", "请求无法完成。", exc.status_code)


@bp.get("/openapi.json")
@public(Operation.QUERY)
def openapi():
    from gateway.api.openapi import openapi_document

    return jsonify(openapi_document(bp))


def init_app(app: Flask) -> None:
    from gateway.api.declare import RUNTIME_CONFIG

    for key, value in RUNTIME_CONFIG.items():  # what APIFlask's validation reads while a request runs
        app.config.setdefault(key, value)
    # Flask-WTF's blanket check is off for the API; the cookie-carried writes are checked in _shared_rules.
    csrf.exempt(bp)
    for feature in FEATURES:
        csrf.exempt(feature)
    app.register_blueprint(bp)
    knowledge.warm_up()
