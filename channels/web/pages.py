"""Home, the section pages and the service guides (办事指南, LD/T 01 3.2)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from gateway.access.edge import current_actor

# The web templates live beside this package; Flask looks in every blueprint's folder.
from gateway.access.needs import public
from gateway.catalog import ServiceItem, load_catalog
from gateway.catalog.flows import load_flows
from gateway.catalog.life_events import LifeEvents, citizen_items, is_unit_only, load_life_events
from gateway.catalog.model import Channel, Section
from gateway.channel_policy import Operation
from gateway.consult import find as finder
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


#: The home page's top tasks (常用服务): what most people come for, each one tap from home.
TOP_TASKS = (
    ("/appointments/", "网上预约", "预约服务大厅窗口办理"),
    ("/certificates/", "打印参保证明", "带电子印章，可验真"),
    ("/rights/contributions", "查缴费记录", "按年份查看每月缴费"),
    ("/progress/", "查办理进度", "申请办到哪一步了"),
    ("/services/retirement-pension-claim", "办理退休", "基本养老金申领"),
    ("/services/unemployment-benefit-claim", "申领失业金", "失业保险金申领"),
)

#: 长辈版 (MIIT 2021 elder-friendly rules): the handful of things older people do most, big and few.
ELDER_TASKS = (
    ("/rights/benefits", "养老金到账", "查养老金每月发放"),
    ("/services/eligibility-certification/apply", "资格认证", "每年一次，刷脸认证"),
    ("/certificates/", "参保证明", "下载打印参保证明"),
    ("/appointments/", "预约办理", "预约去大厅窗口办理"),
    ("/account/proxies/", "找人帮忙", "授权子女等亲友代办"),
    ("tel:12333", "拨打12333", "人工电话咨询"),
)

#: Words people often search for, offered under the search box.
POPULAR_SEARCHES = ("退休", "失业金", "参保证明", "社保卡", "换城市工作", "生孩子")

#: Where an item that is not applied for is done on the web, when its section page is not the place.
_SECTION_VERBS = {
    Section.APPOINTMENTS: "去预约",
    Section.PROGRESS: "去查询",
    Section.CERTIFICATES: "去打印",
    Section.RIGHTS: "去查询",
}


def _web_items(section: Section | None = None):
    catalog = load_catalog()
    items = citizen_items(catalog)
    return [i for i in items if section is None or i.section == section]


def item_page(item: ServiceItem) -> str:
    """Where ``item`` is done on the web (flows.yaml), or its guide; employer items go to the unit area."""
    if item.section is Section.APPOINTMENTS:
        return item.section.path
    flow = load_flows().find(Channel.WEB, item.id)
    if flow is None or flow.page is None:
        return url_for("pages.guide", item_id=item.id)
    return flow.page


def item_action(item: ServiceItem) -> tuple[str, str] | None:
    """The search result's "do it" link: the application for an item applied for, the page for a query or a
    print; ``None`` when the guide is the only page."""
    if is_unit_only(item):
        return None
    if item.section in _SECTION_VERBS:
        return item_page(item), _SECTION_VERBS[item.section]
    page = item_page(item)
    if page.endswith("/apply"):
        return page, "在线办理"
    return (page, "去办理") if page != url_for("pages.guide", item_id=item.id) else None


@bp.get("/")
@public(Operation.QUERY)
def home():
    if request.cookies.get(ELDER_COOKIE) == "1":
        return render_template("web/elder/home.html", tasks=ELDER_TASKS)
    sections = [(s, _web_items(s)[:4]) for s in Section]
    return render_template(
        "web/home.html",
        sections=sections,
        tasks=TOP_TASKS,
        events=load_life_events(),
        popular=POPULAR_SEARCHES,
    )


def _section_page(section: Section, intro: str):
    return render_template("web/section.html", section=section, intro=intro, items=_web_items(section))


# /progress/ is served by channels.web.progress (LD/T 01 5.2.1).


@bp.get("/services/")
@public(Operation.QUERY)
@limiter.limit(HELP_SEARCH_LIMIT, exempt_when=lambda: "q" not in request.args)
def services():
    """The catalog by life events (citizens' items only), or with ?q=… the site search: the knowledge base's
    answer and the items that fit, each with its guide and the page to do it (issue 15)."""
    events = load_life_events()
    page = {
        "events": events,
        "event_lists": _event_lists(events),
        "open_event": request.args.get("event"),
        "popular": POPULAR_SEARCHES,
    }
    if "q" not in request.args:
        return render_template("web/services.html", found=None, q="", errors=[], **page)
    q = request.args.get("q", "")
    try:
        found = finder.find(get_session(), q, for_unit=current_actor().unit is not None)
    except UserError as exc:
        return render_template("web/services.html", found=None, q=q, errors=[("site-q", exc.message)], **page), 400
    return render_template("web/services.html", found=found, q=found.query, errors=[], **page)


def _event_lists(events: LifeEvents) -> dict[str, Markup]:
    """Each life event's list of items, rendered once per process and app: the same for every visitor, and its
    47 items were most of the page's cost (4 ms of 4.2; issue 18)."""
    cached = current_app.extensions.get("shebao_event_lists")
    if cached is None or cached[0] is not events or cached[1] != request.script_root:
        # Jinja has escaped every value in the rendered list already (autoescape), so it goes in as markup.
        lists = {e.id: Markup(render_template("web/_event_items.html", items=e.items)) for e in events}  # noqa: S704
        cached = current_app.extensions["shebao_event_lists"] = (events, request.script_root, lists)
    return cached[2]


@bp.get("/unit/services")
@public(Operation.QUERY)
def unit_services():
    """The employer items' guides, in the unit area only (never in a citizen's lists)."""
    items = [i for i in load_catalog().for_channel(Channel.WEB) if is_unit_only(i)]
    return render_template("web/unit/services.html", items=items)


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
    app.add_template_global(item_page, "item_page")
    app.add_template_global(item_action, "item_action")

    @app.context_processor
    def _layout():
        return {
            "nav": NAV,
            "elder": request.cookies.get(ELDER_COOKIE) == "1",
            "agency_name": app.config["SETTINGS"].agency_name,
        }
