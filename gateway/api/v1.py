"""``/api/v1/``: JSON in and out; errors as ``{"error": {"code", "message"}}`` (DESIGN "Public contracts")."""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify

from gateway.api.openapi import openapi_document
from gateway.catalog import load_catalog
from gateway.catalog.model import ServiceItem

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def item_summary(item: ServiceItem) -> dict:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "summary": item.summary,
        "section": item.section.value,
        "handling_kind": item.handling_kind.value,
        "legal_limit_days": item.legal_limit_days,
        "assurance_level": int(item.assurance_level),
    }


def item_detail(item: ServiceItem) -> dict:
    data = item_summary(item)
    data.update(
        legal_basis=item.legal_basis,
        required_materials=[
            {"name": m.name, "note": m.note, "original_required": m.original_required} for m in item.required_materials
        ],
        result_delivery=list(item.result_delivery),
        fee=item.fee,
        fee_basis=item.fee_basis,
        hours=item.hours,
        consult={"phone": item.consult.phone, "online": item.consult.online},
        complain=list(item.complain),
        channels=[c.value for c in item.channels],
        risky=item.risky,
        risk_warning=item.risk_warning,
    )
    return data


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/catalog")
def catalog():
    """The items the calling channel offers (channel from the X-Shebao-Channel header)."""
    items = load_catalog().for_channel(g.channel)
    return jsonify({"items": [item_summary(i) for i in items]})


@bp.get("/catalog/<item_id>")
def catalog_item(item_id: str):
    return jsonify(item_detail(load_catalog().get(item_id)))


def init_app(app: Flask) -> None:
    from gateway import csrf

    # Read-only JSON endpoints; token-authenticated writes arrive with the identity issue.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    from gateway.api import appointments

    appointments.init_app(app)
    # Identity: token login for the mini-program; JSON with bearer tokens, no cookies, so no CSRF.
    from gateway.api import auth

    csrf.exempt(auth.bp)
    app.register_blueprint(auth.bp)
    # Sealed documents by bearer token, for the mini-program's document viewer.
    from gateway.api import certificates

    certificates.init_app(app)
    from gateway.api import services_extra  # card status and transfer progress (LD/T 01 5.4.3 b, e)

    services_extra.init_app(app)
