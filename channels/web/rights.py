"""Rights-record queries (LD/T 01 5.2.2): registrations, account, contributions, benefits, transfers."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway.access.edge import current_identity
from gateway.access.needs import gate
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.validation import parse_page

bp = Blueprint("rights", __name__, url_prefix="/rights")


@bp.get("/")
@gate(Operation.QUERY, item="rights-registration")
def index():
    who = current_identity()
    bo = get_backoffice()
    return render_template(
        "web/rights.html",
        person=bo.find_person(who.id_number),
        registrations=bo.registrations(who.id_number),
        account=bo.account(who.id_number),
        transfers=bo.transfers(who.id_number),
    )


@bp.get("/contributions")
@gate(Operation.QUERY, item="rights-contributions")
def contributions():
    page = parse_page(request.args.get("page"))  # "-1", "abc" → a Chinese 400 (gateway.errors)
    who = current_identity()
    size = current_app.config["SETTINGS"].page_size
    result = get_backoffice().contributions(who.id_number, page, size)
    if page > result.pages:
        page = result.pages
        result = get_backoffice().contributions(who.id_number, page, size)
    return render_template("web/contributions.html", result=result)


@bp.get("/benefits")
@gate(Operation.QUERY, item="rights-benefits")
def benefits():
    page = parse_page(request.args.get("page"))
    who = current_identity()
    size = current_app.config["SETTINGS"].page_size
    result = get_backoffice().benefit_payments(who.id_number, page, size)
    return render_template("web/benefits.html", result=result)
