"""``GET /api/v1/help/search?q=…``: the knowledge base for the mini-program, kiosk and hotline (LD/T 01 5.5.2 a).

Answers ``{"query", "results": [{"id", "title", "answer", "source", "link"}, …]}`` best first, at most 10
(DESIGN "Public contracts"). No login: consultation is free and open to everyone (Regulation Art. 32).

``GET /api/v1/help/find?q=…`` is the site search of every page's header (``/services/?q=``, issue 15) for the
other channels: the knowledge base and the catalog together, through the one function the web page calls.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Float, List, Nested, String
from apiflask.validators import Length

from gateway.access.edge import current_actor, request_channel
from gateway.access.needs import public
from gateway.api.catalog import ItemSummary
from gateway.api.conventions import cacheable
from gateway.api.schemas import Checked, Input, Output, one_of
from gateway.channel_policy import Operation
from gateway.consult import find as finder
from gateway.consult import ledger
from gateway.help.api import SEARCH_LIMIT
from gateway.help.knowledge import MAX_QUERY_LENGTH, MAX_RESULTS, ReplyStatus, clean_query, knowledge_base
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("help", __name__, url_prefix="/help", tag="咨询")


class Question(Input):
    # The knowledge base's own check: empty → 400 empty_query, too long → 400 query_too_long (Chinese messages).
    q = Checked(
        clean_query,
        required=True,
        validate=Length(min=1, max=MAX_QUERY_LENGTH),
        metadata={"description": "问题或关键词，例如“怎么预约”“退休金怎么算”"},
    )


class HelpAnswer(Output):
    id = String(required=True, metadata={"examples": ["appointment-how"]})
    title = String(required=True, metadata={"description": "问题", "examples": ["怎么网上预约服务大厅窗口办理？"]})
    answer = String(required=True, metadata={"description": "解答"})
    source = String(
        required=True,
        metadata={"description": "依据（文件及条款）", "examples": ["LD/T 01—2020 5.1 a、b；本机构网上预约规则"]},
    )
    link = String(allow_none=True, metadata={"description": "可办理或查看的页面路径", "examples": ["/appointments/"]})


class HelpSearchResult(Output):
    query = String(required=True)
    results = List(
        Nested(HelpAnswer),
        required=True,
        validate=Length(max=MAX_RESULTS),
        metadata={"description": "按相关程度排序，最相关的在前；没有结果时为空数组"},
    )


@bp.get("/search")
@public(Operation.QUERY)
@limiter.limit(SEARCH_LIMIT)
@bp.input(Question, location="query")
@bp.output(HelpSearchResult, description="检索结果，最相关的在前，最多 10 条")
@bp.doc(
    summary="业务知识库检索（LD/T 01 5.5.2 a、5.5.4）；无需登录，按地址限流",
    operation_id="searchHelp",
    responses={400: "未输入问题，或问题过长", 429: "查询过于频繁"},
)
def search_api(query_data: dict):
    query = query_data["q"]
    return {"query": query, "results": ledger.search(get_session(), query)}


class FoundEvent(Output):
    id = String(required=True, metadata={"examples": ["retirement"]})
    name = String(required=True, metadata={"description": "人生事件", "examples": ["退休与养老金"]})
    summary = String(required=True, metadata={"examples": ["办理退休、领养老金、每年资格认证"]})
    items = List(String(), required=True, metadata={"description": "该事件下的事项（catalog 的 id），按清单顺序"})


class FindResult(Output):
    query = String(required=True, metadata={"description": "检索的问题（去掉多余空白）"})
    status = String(
        required=True,
        validate=one_of(ReplyStatus),
        metadata={"description": "answered：知识库给出一条解答；not_sure：没有把握，answer 为 null"},
    )
    answer = Nested(HelpAnswer, allow_none=True, required=True, metadata={"description": "最佳解答；没有把握时为 null"})
    items = List(
        Nested(ItemSummary),
        required=True,
        validate=Length(max=finder.MAX_ITEMS),
        metadata={"description": "相关的个人服务事项，最相关的在前；单位事项不在其中"},
    )
    events = List(Nested(FoundEvent), required=True, metadata={"description": "问题提到的人生事件"})
    unit_items = List(
        Nested(ItemSummary),
        required=True,
        validate=Length(max=finder.MAX_ITEMS),
        metadata={"description": "相关的单位事项：只在以单位经办人身份查找时给出，否则为空数组"},
    )


_FOUND_ITEM = {
    "id": "retirement-pension-claim",
    "code": "SB-YL-0007",
    "name": "基本养老金申领",
    "summary": "已办理退休审核（批）手续或符合城乡居民养老保险待遇领取条件的，申请按月领取基本养老金。",
    "section": "services",
    "handling_kind": "promised",
    "legal_limit_days": 20,
    "assurance_level": 3,
}
FIND_EXAMPLE = {
    "query": "退休",
    "status": "answered",
    "answer": {
        "id": "guide-retirement-pension-claim",
        "title": "基本养老金申领",
        "answer": "已办理退休审核（批）手续的，在网上申请按月领取基本养老金，待遇发放至本人社会保障卡银行账户。",
        "source": "《社会保险法》第十六条",
        "link": "/services/retirement-pension-claim",
    },
    "items": [_FOUND_ITEM],
    "events": [
        {
            "id": "retirement",
            "name": "退休与养老金",
            "summary": "办理退休、领养老金、每年资格认证",
            "items": ["retirement-pension-claim", "pension-estimate", "eligibility-certification"],
        }
    ],
    "unit_items": [],
}


@bp.get("/find")
@public(Operation.QUERY)
@cacheable
@limiter.limit(SEARCH_LIMIT)
@bp.input(Question, location="query")
@bp.output(FindResult, description="最佳解答、相关事项和人生事件", example=FIND_EXAMPLE)
@bp.doc(
    summary="全站查找（知识库和服务事项一起查，与网页顶部的查找框相同）；无需登录，按地址限流",
    description="没有把握的问题记入问题台账（LD/T 01 5.5.4）。以单位经办人身份查找时，另给出单位事项。",
    operation_id="findServices",
    responses={400: "未输入问题，或问题过长", 429: "查询过于频繁"},
)
def find_api(query_data: dict):
    # The one search the web header's box runs (gateway.consult.find), so every channel finds the same things.
    found = finder.find(
        get_session(), query_data["q"], for_unit=current_actor().unit is not None, channel=request_channel().value
    )
    return {
        "query": found.query,
        "status": found.reply.status.value,
        "answer": found.answer,
        "items": list(found.items),
        "events": [
            {"id": e.id, "name": e.name, "summary": e.summary, "items": [i.id for i in e.items]} for e in found.events
        ],
        "unit_items": list(found.unit_items),
    }


def warm_up() -> None:
    """Index the knowledge base at startup, not in the first person's request."""
    knowledge_base()


class NextStep(Output):
    label = String(required=True, metadata={"examples": ["在线留言咨询"]})
    link = String(required=True, metadata={"examples": ["/consult/"]})


class SmartReply(Output):
    query = String(required=True)
    status = String(
        required=True,
        validate=one_of(ReplyStatus),
        metadata={"description": "answered：给出一条解答；not_sure：不确定，请看 next_steps"},
    )
    confidence = Float(required=True, metadata={"description": "问题中的关键词被解答覆盖的比例（0–1）"})
    matched = List(String(), required=True, metadata={"description": "与解答相符的关键词（政策用语）"})
    answer = Nested(HelpAnswer, allow_none=True, required=True, metadata={"description": "解答；不确定时为 null"})
    related = List(Nested(HelpAnswer), required=True, metadata={"description": "其他可能相关的解答"})
    next_steps = List(Nested(NextStep), required=True, metadata={"description": "不确定时可以怎么办"})


#: Where a person goes when the assistant is not sure (LD/T 01 5.5.2: the mailbox, the 12333 hotline).
NEXT_STEPS = (
    {"label": "在线留言咨询", "link": "/consult/"},
    {"label": "拨打12333人工咨询", "link": "tel:12333"},
)


@bp.get("/answer")
@public(Operation.QUERY)
@limiter.limit(SEARCH_LIMIT)
@bp.input(Question, location="query")
@bp.output(SmartReply, description="一条解答及其依据，或“不确定”及下一步")
@bp.doc(
    summary="智能答复（LD/T 01 5.5.2 a）：一条解答及其依据，或如实回答“不确定”；不确定的问题记入问题台账（5.5.4）",
    operation_id="answerHelp",
    responses={400: "未输入问题，或问题过长", 429: "查询过于频繁"},
)
def answer_api(query_data: dict):
    reply = ledger.ask(get_session(), query_data["q"], channel=request_channel().value)
    return {
        "query": reply.query,
        "status": reply.status.value,
        "confidence": reply.confidence,
        "matched": list(reply.matched),
        "answer": reply.entry,
        "related": list(reply.related),
        "next_steps": [] if reply.answered else list(NEXT_STEPS),
    }


class Feedback(Input):
    q = Checked(clean_query, required=True, validate=Length(min=1, max=MAX_QUERY_LENGTH))
    entry = String(required=True, validate=Length(min=1, max=80), metadata={"examples": ["card-status"]})
    helpful = Boolean(required=True)


@bp.post("/feedback")
@public(Operation.QUERY)
@limiter.limit(SEARCH_LIMIT)
@bp.input(Feedback, example={"q": "社保卡丢了怎么办", "entry": "card-status", "helpful": False})
@bp.output({}, status_code=204, description="已记录")
@bp.doc(
    summary="对解答的评价：没有帮助的记入问题台账（LD/T 01 5.5.4）",
    operation_id="rateHelp",
    responses={400: "参数不正确", 404: "没有该解答", 429: "提交过于频繁"},
)
def feedback_api(json_data: dict):
    ledger.rate(
        get_session(), json_data["q"], json_data["entry"], json_data["helpful"], channel=request_channel().value
    )
    return ""
