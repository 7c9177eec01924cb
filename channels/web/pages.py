"""Home, the section pages and the service guides (办事指南, LD/T 01 3.2)."""

from __future__ import annotations

from flask import Blueprint, Flask, make_response, redirect, render_template, request, url_for

# The web templates live beside this package; Flask looks in every blueprint's folder.
from gateway.access.needs import public
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel, Section
from gateway.channel_policy import Operation
from gateway.consult import ledger
from gateway.help.api import SEARCH_LIMIT as HELP_SEARCH_LIMIT
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import mask_id_number, mask_name

bp = Blueprint("pages", __name__, template_folder="templates")

ELDER_COOKIE = "shebao_elder"

#: The top navigation, in the order of DESIGN "Public contracts".
NAV = (
    ("/", "首页"),
    ("/appointments/", "网上预约"),
    ("/progress/", "办理进度"),
    ("/certificates/", "证明打印"),
    ("/rights/", "权益查询"),
    ("/services/", "网上办事"),
    ("/help/", "帮助"),
    ("/info/", "政务公开"),
    ("/account/", "我的"),
)


def _web_items(section: Section | None = None):
    catalog = load_catalog()
    items = catalog.for_channel(Channel.WEB)
    return [i for i in items if section is None or i.section == section]


@bp.get("/")
@public(Operation.QUERY)
def home():
    catalog = load_catalog()
    sections = [(s, [i for i in catalog.for_channel(Channel.WEB) if i.section == s][:4]) for s in Section]
    return render_template("web/home.html", sections=sections)


def _section_page(section: Section, intro: str):
    return render_template("web/section.html", section=section, intro=intro, items=_web_items(section))


# /progress/ is served by channels.web.progress (LD/T 01 5.2.1).


@bp.get("/services/")
@public(Operation.QUERY)
def services():
    catalog = load_catalog()
    groups = [(s, [i for i in catalog.for_channel(Channel.WEB) if i.section == s]) for s in Section]
    return render_template("web/services.html", groups=[(s, items) for s, items in groups if items])


@bp.get("/services/<item_id>")
@public(Operation.QUERY)
def guide(item_id: str):
    item = load_catalog().get(item_id)  # UnknownItem → a Chinese 404 page (gateway.errors)
    return render_template("web/guide.html", item=item)


#: Suggested questions on the help page before anything is searched.
HELP_SUGGESTIONS = ("怎么预约", "怎么打印参保证明", "怎么验证证明真伪", "退休金怎么算", "养老保险转移接续", "忘记密码")


@bp.get("/help/")
@public(Operation.QUERY)
@limiter.limit(HELP_SEARCH_LIMIT, exempt_when=lambda: "q" not in request.args)
def help():
    """Help and consultation (LD/T 01 5.5): contacts, and the smart reply to ?q=… — one answer with its source,
    or an honest "not sure" with the next steps (5.5.2 a); a "not sure" goes to the ledger (5.5.4)."""
    page = {"suggestions": HELP_SUGGESTIONS, "rated": request.args.get("rated")}
    if "q" not in request.args:
        return render_template("web/help.html", q="", reply=None, errors=[], **page)
    q = request.args.get("q", "")
    try:
        reply = ledger.ask(get_session(), q)
    except UserError as exc:
        return render_template("web/help.html", q=q, reply=None, errors=[("q", exc.message)], **page), 400
    return render_template("web/help.html", q=reply.query, reply=reply, errors=[], **page)


@bp.post("/help/feedback")
@public(Operation.QUERY)
@limiter.limit(HELP_SEARCH_LIMIT)
def help_feedback():
    """ "这个回答有帮助吗": an unhelpful answer goes to the ledger staff work from (LD/T 01 5.5.4)."""
    q, entry = request.form.get("q", ""), request.form.get("entry", "")
    helpful = request.form.get("helpful") == "yes"
    ledger.rate(get_session(), q, entry, helpful)
    return redirect(url_for("pages.help", q=q, rated="yes" if helpful else "no"))


@bp.get("/elder")
@public(Operation.QUERY)
def elder_mode():
    """Switch the elder-friendly mode (长辈版) on or off and go back to the page the person was on."""
    on = request.args.get("on") == "1"
    back = request.args.get("back", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    resp = make_response(redirect(back))
    if on:
        resp.set_cookie(ELDER_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        resp.delete_cookie(ELDER_COOKIE)
    return resp


ASSURANCE_LABELS = {
    1: "账号密码登录即可",
    2: "需短信验证码或已绑定的微信、支付宝登录",
    3: "需电子社保卡、数字证书或人脸识别等实人认证",
}


def init_app(app: Flask) -> None:
    app.add_template_filter(mask_id_number, "mask_id")
    app.add_template_filter(mask_name, "mask_name")
    app.add_template_filter(lambda level: ASSURANCE_LABELS[int(level)], "assurance_label")

    @app.context_processor
    def _layout():
        return {
            "nav": NAV,
            "elder": request.cookies.get(ELDER_COOKIE) == "1",
            "agency_name": app.config["SETTINGS"].agency_name,
        }
