"""Rights-record queries (LD/T 01 5.2.2): registrations, account, contributions, benefits, transfers."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from channels.web.pages import ELDER_COOKIE
from gateway.access.edge import current_identity
from gateway.access.needs import gate
from gateway.backoffice.records import contribution_years, contributions_in_year
from gateway.backoffice.resilient import gather, recent_answers
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.validation import parse_page, parse_year

bp = Blueprint("rights", __name__, url_prefix="/rights")


@bp.get("/")
@gate(Operation.QUERY, item="rights-registration")
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def index():
    who = current_identity()
    bo = get_backoffice()
    # Four answers for one page: what the core system gave is shown, what it did not is named (LD/T 01 6.4.5).
    got, missing = gather(
        {
            "person": ("个人基本信息", lambda: bo.find_person(who.id_number)),
            "registrations": ("参保登记", lambda: bo.registrations(who.id_number)),
            "account": ("养老保险个人账户", lambda: bo.account(who.id_number)),
            "transfers": ("转移接续", lambda: bo.transfers(who.id_number)),
        }
    )
    return render_template(
        "web/rights.html",
        person=got.get("person"),
        registrations=got.get("registrations", []),
        account=got.get("account"),
        transfers=got.get("transfers", []),
        missing={m.part: m for m in missing},
    )


@bp.get("/contributions")
@gate(Operation.QUERY, item="rights-contributions")
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def contributions():
    page = parse_page(request.args.get("page"))  # "-1", "abc" → a Chinese 400 (gateway.errors)
    year = parse_year(request.args.get("year"))  # a decade of months is hundreds of rows: people look by year
    who = current_identity()
    bo = get_backoffice()
    years = contribution_years(bo, who.id_number)
    if year is not None:
        rows = contributions_in_year(bo, who.id_number, year)
        return render_template("web/contributions.html", rows=rows, year=year, years=years, result=None)
    size = current_app.config["SETTINGS"].page_size
    result = bo.contributions(who.id_number, page, size)
    if page > result.pages:
        page = result.pages
        result = bo.contributions(who.id_number, page, size)
    return render_template("web/contributions.html", rows=result.items, year=None, years=years, result=result)


@bp.get("/benefits")
@gate(Operation.QUERY, item="rights-benefits")
@recent_answers()  # records only shown: an answer of moments ago will do (issue 18)
def benefits():
    page = parse_page(request.args.get("page"))
    who = current_identity()
    size = current_app.config["SETTINGS"].page_size
    result = get_backoffice().benefit_payments(who.id_number, page, size)
    if request.cookies.get(ELDER_COOKIE) == "1" and not request.args.get("all") and "page" not in request.args:
        # 长辈版 "养老金到账": the answer first — the latest payment (newest first from the core system) in big
        # type; the whole record one tap away.
        return render_template("web/elder/benefits.html", latest=result.items[0] if result.items else None)
    return render_template("web/benefits.html", result=result)
