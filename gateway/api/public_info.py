"""``/api/v1/info``: public information for the mini-program and the kiosk (LD/T 01 5.6.1: halls, policy
documents; clause 7: the published 好差评 figures), and a person's rating of a finished service (LD/T 01 7)."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Float, Integer, List, Nested, String

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.conventions import Paged, PageQuery, cacheable, page_of
from gateway.api.schemas import Input, Output, Text, one_of
from gateway.channel_policy import Operation
from gateway.clients import get_clients
from gateway.problems import UserError
from gateway.public_info import credit, evaluation, halls, policies
from gateway.public_info.models import CreditParty, EvaluationSubject, FollowUpStatus, PolicyStatus, Rating
from gateway.request_db import get_session

bp = APIBlueprint("public_info", __name__, url_prefix="/info", tag="政务公开")


class DayChange(Output):
    day = String(required=True, metadata={"format": "date"})
    kind = String(required=True, metadata={"enum": [k.value for k in halls.DayChangeKind]})
    label = String(required=True)
    note = String(required=True)


class Queue(Output):
    checked_in_today = Integer(required=True, metadata={"description": "今日已签到（预约）人数"})
    waiting_now = Integer(required=True, metadata={"description": "其中时段未结束、等候或正在办理的人数"})
    still_expected_today = Integer(required=True, metadata={"description": "今日后续时段的预约人数"})
    usual_this_hour = Float(required=True, metadata={"description": "近四周同一星期同一小时平均签到人数"})


class HallInfo(Output):
    code = String(required=True)
    name = String(required=True)
    address = String(required=True)
    phone = String(required=True)
    hours = String(required=True)
    map_url = String(required=True)
    latitude = Float(
        required=True,
        allow_none=True,
        metadata={"description": "纬度（GCJ-02，可直接用于 wx.openLocation）；未标注位置时为 null"},
    )
    longitude = Float(required=True, allow_none=True, metadata={"description": "经度（GCJ-02）；未标注位置时为 null"})
    open_today = Boolean(required=True)
    changes = List(Nested(DayChange), required=True, metadata={"description": "未来两周与常规办公时间不同的日期"})
    items = List(String(), required=True, metadata={"description": "可办理事项名称"})
    queue = Nested(Queue, required=True)


class HallList(Output):
    as_of = String(required=True, metadata={"description": "统计时刻（北京时间）"})
    halls = List(Nested(HallInfo), required=True)


class Policy(Output):
    id = Integer(required=True)
    title = String(required=True)
    issuer = String(required=True)
    number = String(required=True)
    published_on = String(required=True, metadata={"format": "date"})
    effective_on = String(required=True, metadata={"format": "date"})
    summary = String(required=True)
    status = String(required=True, validate=one_of(PolicyStatus))
    status_label = String(required=True)
    replaced_by = Integer(required=True, allow_none=True)


class PolicyList(Paged):
    policies = List(Nested(Policy), required=True)


class Figure(Output):
    key = String(required=True)
    label = String(required=True)
    submitted = Integer(required=True)
    median_minutes = Float(required=True, allow_none=True, metadata={"description": "填报用时中位数（分钟）"})
    median_steps = Float(
        required=True,
        allow_none=True,
        metadata={"description": "从开始填写到提交的操作步数中位数（填写表单、上传或删除材料、提交各计一步）"},
    )
    decided = Integer(required=True)
    on_time = Integer(required=True)
    timeliness = Float(required=True, allow_none=True, metadata={"description": "按时办结率（%）"})
    ratings = Integer(required=True)
    bad = Integer(required=True)
    satisfaction = Float(required=True, allow_none=True, metadata={"description": "满意率（%，基本满意及以上）"})


class ChannelCompleteness(Output):
    channel = String(required=True)
    label = String(required=True)
    online = Integer(required=True)
    total = Integer(required=True)
    percent = Float(required=True, allow_none=True)


class Figures(Output):
    month = String(required=True, metadata={"examples": ["2026-11"]})
    completeness = List(Nested(ChannelCompleteness), required=True)
    total = Nested(Figure, required=True)
    by_item = List(Nested(Figure), required=True)
    by_hall = List(Nested(Figure), required=True)
    by_channel = List(Nested(Figure), required=True)


class CreditEntry(Output):
    id = Integer(required=True)
    party = String(required=True, validate=one_of(CreditParty))
    name = String(required=True)
    code = String(required=True, metadata={"description": "单位为统一社会信用代码；个人身份证号码部分隐藏"})
    behaviour = String(required=True)
    legal_basis = String(required=True)
    document_number = String(required=True)
    document_date = String(required=True, metadata={"format": "date"})
    listed_on = String(required=True, metadata={"format": "date"})
    publish_until = String(required=True, metadata={"format": "date"})


class CreditList(Paged):
    entries = List(Nested(CreditEntry), required=True)


class MonthQuery(Input):
    month = String(load_default=None, metadata={"description": "统计月份 YYYY-MM，缺省为本月"})


def _score(question: str) -> Integer:
    return Integer(
        load_default=None, metadata={"description": f"{question}：1 非常不满意 … 5 非常满意", "enum": [1, 2, 3, 4, 5]}
    )


_QUESTIONS = dict(evaluation.DIMENSIONS)


class RateBody(Input):
    subject = String(required=True, validate=one_of(EvaluationSubject), metadata={"description": "评价对象类型"})
    ref = Text(
        required=True,
        max_length=20,
        message="请提供申请编号、预约码、证明编号、留言编号或会话编号 ref。",
        metadata={
            "description": "申请编号、预约码；已下载证明的编号（certificate）；已办结留言的编号（consultation）；"
            "已结束的在线人工咨询的会话编号（chat）"
        },
    )
    completeness = _score(_QUESTIONS["completeness"])
    ease = _score(_QUESTIONS["ease"])
    timeliness = _score(_QUESTIONS["timeliness"])
    satisfaction = _score(_QUESTIONS["satisfaction"])
    comment = String(load_default="", metadata={"description": "意见和建议（选填，300 字以内）"})


class GivenRating(Output):
    satisfaction = Integer(required=True, metadata={"enum": [1, 2, 3, 4, 5]})
    satisfaction_label = String(required=True)
    follow_up_due = String(required=True, allow_none=True, metadata={"description": "差评的回访期限", "format": "date"})
    follow_up_status = String(
        required=True, allow_none=True, validate=one_of(FollowUpStatus), metadata={"description": "回访状态"}
    )
    follow_up_outcome = String(required=True, allow_none=True, metadata={"description": "回访处理结果（办结后）"})


class FinishedConsultation(Output):
    subject = String(
        required=True, validate=one_of(EvaluationSubject), metadata={"description": "consultation 或 chat"}
    )
    ref = String(required=True, metadata={"description": "留言编号或会话编号：评价时的 ref"})
    title = String(required=True)
    finished_at = String(required=True, metadata={"description": "办结或结束时间（北京时间）", "format": "date-time"})
    rating = Nested(
        GivenRating, required=True, allow_none=True, metadata={"description": "已给出的评价；未评价为 null"}
    )


class FinishedConsultations(Output):
    consultations = List(Nested(FinishedConsultation), required=True)


class Rated(Output):
    id = Integer(required=True)
    satisfaction = Integer(required=True)
    satisfaction_label = String(required=True)
    follow_up_due = String(required=True, allow_none=True, metadata={"description": "差评的回访期限", "format": "date"})


def _figure(row: evaluation.Row) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "submitted": row.submitted,
        "median_minutes": row.median_minutes,
        "median_steps": row.median_steps,
        "decided": row.decided,
        "on_time": row.on_time,
        "timeliness": row.timeliness,
        "ratings": row.ratings,
        "bad": row.bad,
        "satisfaction": row.satisfaction,
    }


@bp.get("/halls")
@public(Operation.QUERY)
# Not @cacheable: it carries the live queue and its own time (as_of), so every answer differs.
@bp.output(HallList, description="服务网点")
@bp.doc(summary="服务网点：地址、时间及调整、电话、地图、事项、排队情况（LD/T 01 5.6.1）", operation_id="listHallInfo")
def hall_info():
    now = clock.now()
    return {
        "as_of": clock.api_local(now),
        "halls": [
            {
                "code": h.hall.code,
                "name": h.hall.name,
                "address": h.hall.address,
                "phone": h.hall.phone,
                "hours": h.hall.hours,
                "map_url": h.hall.map_url,
                "latitude": h.hall.latitude,
                "longitude": h.hall.longitude,
                "open_today": h.open_today,
                "changes": [
                    {"day": c.day.isoformat(), "kind": c.kind.value, "label": c.kind.label, "note": c.note}
                    for c in h.changes
                ],
                "items": list(h.item_names),
                "queue": h.queue.__dict__,
            }
            for h in halls.overview(get_session(), now)
        ],
    }


@bp.get("/policies")
@public(Operation.QUERY)
@cacheable
@bp.input(PageQuery, location="query")
@bp.output(PolicyList, description="政策文件（分页）")
@bp.doc(summary="政策文件：发文机关、文号、发布和施行日期、效力状态（LD/T 01 5.6.1）", operation_id="listPolicies")
def policy_list(query_data: dict):
    shown, paging = page_of(policies.listing(get_session()), query_data["page"], query_data["page_size"])
    return {
        **paging,
        "policies": [
            {
                "id": d.id,
                "title": d.title,
                "issuer": d.issuer,
                "number": d.number,
                "published_on": d.published_on.isoformat(),
                "effective_on": d.effective_on.isoformat(),
                "summary": d.summary,
                "status": d.status.value,
                "status_label": d.status.label,
                "replaced_by": d.replaced_by_id,
            }
            for d in shown
        ],
    }


@bp.get("/credit")
@public(Operation.QUERY)
@cacheable
@bp.input(PageQuery, location="query")
@bp.output(CreditList, description="公示中的严重失信主体（分页）")
@bp.doc(summary="严重失信主体名单（LD/T 01 5.6.3；GB/T 31621 第19章）", operation_id="listCreditEntries")
def credit_list(query_data: dict):
    shown, paging = page_of(credit.published(get_session(), clock.today()), query_data["page"], query_data["page_size"])
    return {
        **paging,
        "entries": [
            {
                "id": e.id,
                "party": e.party.value,
                "name": e.name,
                "code": e.code_shown,
                "behaviour": e.behaviour,
                "legal_basis": e.legal_basis,
                "document_number": e.document_number,
                "document_date": e.document_date.isoformat(),
                "listed_on": e.listed_on.isoformat(),
                "publish_until": e.publish_until.isoformat(),
            }
            for e in shown
        ],
    }


@bp.get("/evaluation")
@public(Operation.QUERY)
@bp.input(MonthQuery, location="query", arg_name="query_data")
@bp.output(Figures, description="该月的好差评统计")
@bp.doc(
    summary="好差评结果公开：完整性、便捷性、及时性、满意度（LD/T 01 第7章）",
    operation_id="getEvaluationFigures",
    responses={400: "月份格式不正确或晚于本月"},
)
def figures(query_data: dict):
    month = evaluation.parse_month(query_data.get("month"), clock.today())
    if month is None:
        raise UserError("invalid_month", "请按“年-月”提供不晚于本月的月份，例如 2026-11。", 400)
    data = evaluation.figures(get_session(), month)
    return {
        "month": f"{data.month:%Y-%m}",
        "completeness": [
            {
                "channel": c.channel.value,
                "label": c.channel.label,
                "online": c.online,
                "total": c.total,
                "percent": c.percent,
            }
            for c in data.completeness
        ],
        "total": _figure(data.total),
        "by_item": [_figure(r) for r in data.by_item],
        "by_hall": [_figure(r) for r in data.by_hall],
        "by_channel": [_figure(r) for r in data.by_channel],
    }


@bp.get("/evaluations/consultations")
@gate(Operation.EVALUATE, level=1)
@bp.output(FinishedConsultations, description="本人已办结的留言和已结束的在线人工咨询，及其评价")
@bp.doc(
    summary="本人可评价的咨询：已办结的留言、坐席接入后已结束的在线人工咨询（好差评，LD/T 01 第7章）",
    operation_id="listFinishedConsultations",
)
def finished_consultations():
    found = evaluation.finished_consultations(get_session(), current_actor())
    return {
        "consultations": [
            {
                "subject": f.subject.value,
                "ref": f.ref,
                "title": f.title,
                "finished_at": clock.api_local(f.finished_at),
                "rating": None
                if f.evaluation is None
                else {
                    "satisfaction": f.evaluation.satisfaction,
                    "satisfaction_label": Rating(f.evaluation.satisfaction).label,
                    "follow_up_due": f.follow_up.due_on.isoformat() if f.follow_up else None,
                    "follow_up_status": f.follow_up.status.value if f.follow_up else None,
                    "follow_up_outcome": (f.follow_up.outcome or None) if f.follow_up else None,
                },
            }
            for f in found
        ]
    }


@bp.post("/evaluations")
@gate(Operation.EVALUATE, level=1)
@bp.input(
    RateBody,
    example={
        "subject": "application",
        "ref": "A2026112300001",
        "completeness": 5,
        "ease": 4,
        "timeliness": 5,
        "satisfaction": 5,
        "comment": "",
    },
)
@bp.output(Rated, status_code=201, description="评价已记录")
@bp.doc(
    summary="评价一项已办结的服务（好差评，每项一次）；不满意及以下由工作人员回访",
    operation_id="rateService",
    responses={400: "评价不完整", 404: "没有找到本人的该项服务", 409: "尚未办结或已评价"},
)
def rate(json_data: dict):
    scores, problems = evaluation.parse_scores(json_data)
    if problems:
        raise UserError("invalid_rating", problems[0][1], 400)
    session = get_session()
    found = evaluation.rate(
        session,
        current_actor(),
        EvaluationSubject(json_data["subject"]),
        json_data["ref"],
        scores,
        json_data.get("comment") or "",
        certificates=get_clients().sealer,
    )
    follow_up = evaluation.follow_up_of(session, found.id)
    return {
        "id": found.id,
        "satisfaction": found.satisfaction,
        "satisfaction_label": scores["satisfaction"].label,
        "follow_up_due": follow_up.due_on.isoformat() if follow_up else None,
    }
