"""``/api/v1/consult/cases``: the mailbox for the mini-program and other channels (LD/T 01 5.5.1, 5.5.3, 5.5.5).

Anyone may write (anonymously too); a bearer token's person is told of each step through ``notify``. A case is
followed with its tracking number and the query code given once at submission.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length
from flask import current_app

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import public
from gateway.api.schemas import Input, Output, one_of
from gateway.channel_policy import Operation
from gateway.consult import mailbox
from gateway.consult.models import CaseKind, CaseStatus, EventKind, Topic
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("consult", __name__, url_prefix="/consult", tag="咨询投诉")

SUBMIT_LIMIT = "5 per hour; 20 per day"
TRACK_LIMIT = "20 per minute; 200 per day"


def _vault():
    return current_app.extensions["shebao_vault"]


class CaseBody(Input):
    kind = String(required=True, validate=one_of(CaseKind), metadata={"description": "咨询、建议、投诉、举报"})
    topic = String(required=True, validate=one_of(Topic), metadata={"description": "涉及业务（决定承办科室）"})
    subject = String(required=True, metadata={"description": f"标题，不超过{mailbox.SUBJECT_MAX}字"})
    body = String(required=True, metadata={"description": f"内容，不超过{mailbox.BODY_MAX}字"})
    phone = String(load_default=None, allow_none=True, metadata={"description": "联系电话（选填）"})
    allow_public = Boolean(load_default=False, metadata={"description": "同意去除个人信息后公开答复"})


class Filed(Output):
    number = String(required=True, metadata={"examples": ["ZX20261204123456"]})
    code = String(required=True, metadata={"description": "查询码：只在此时给出一次"})
    kind = String(required=True, validate=one_of(CaseKind))
    status = String(required=True, validate=one_of(CaseStatus))
    limit_days = Integer(required=True, metadata={"description": "答复时限（工作日）"})
    due_date = Date(required=True, metadata={"description": "答复期限（北京时间日期）"})
    due_provisional = Boolean(required=True, metadata={"description": "期限所在年度节假日未公布，日期暂定"})


class CaseStep(Output):
    kind = String(required=True, validate=one_of(EventKind))
    label = String(required=True)
    at = DateTime(required=True)
    text = String(required=True)


class CaseOut(Output):
    number = String(required=True)
    kind = String(required=True, validate=one_of(CaseKind))
    status = String(required=True, validate=one_of(CaseStatus))
    status_label = String(required=True)
    subject = String(required=True)
    limit_days = Integer(required=True)
    due_date = Date(required=True)
    due_provisional = Boolean(required=True)
    outcome = String(required=True, metadata={"description": "办理结果（办结后）"})
    steps = List(Nested(CaseStep), required=True)


class Tracking(Input):
    code = String(required=True, validate=Length(min=1, max=12), metadata={"description": "查询码"})


@bp.post("/cases")
@public(Operation.QUERY)
@limiter.limit(SUBMIT_LIMIT)
@bp.input(CaseBody, example={"kind": "consultation", "topic": "pension", "subject": "转移接续", "body": "换城市工作……"})
@bp.output(Filed, status_code=201, description="已收到：留言编号、查询码和答复期限")
@bp.doc(
    summary="在线留言：咨询、建议、投诉、举报（LD/T 01 5.5.1），给出答复期限（5.5.3）",
    operation_id="fileCase",
    responses={400: "内容不完整或不正确", 429: "提交过于频繁"},
)
def file_case(json_data: dict):
    form = {k: ("yes" if v is True else "" if v is None or v is False else str(v)) for k, v in json_data.items()}
    submission, errors = mailbox.check_submission(form)
    if errors:
        field, message = errors[0]
        raise UserError(f"invalid_{field}", message, 400)
    actor = current_actor()
    person_id = actor.person.person_id if actor.person else None
    limits = mailbox.time_limits(current_app.config["SETTINGS"])
    case, code = mailbox.submit(
        get_session(), _vault(), submission, person_id=person_id, now=clock.now(), limits=limits
    )
    return {
        "number": case.number,
        "code": code,
        "kind": case.kind.value,
        "status": case.status.value,
        "limit_days": case.limit_days,
        "due_date": case.due_date,
        "due_provisional": case.due_provisional,
    }, 201


@bp.get("/cases/<number>")
@public(Operation.QUERY)
@limiter.limit(TRACK_LIMIT)
@bp.input(Tracking, location="query")
@bp.output(CaseOut, description="留言及其办理过程")
@bp.doc(
    summary="凭留言编号和查询码查询办理情况与答复（LD/T 01 5.5.3）",
    operation_id="trackCase",
    responses={404: "留言编号或查询码不正确", 429: "查询过于频繁"},
)
def track_case(number: str, query_data: dict):
    case = mailbox.find_by_tracking(get_session(), _vault(), number, query_data["code"])
    view = mailbox.view(_vault(), case)
    return {
        "number": case.number,
        "kind": case.kind.value,
        "status": case.status.value,
        "status_label": case.status.label,
        "subject": view.subject,
        "limit_days": case.limit_days,
        "due_date": case.due_date,
        "due_provisional": case.due_provisional,
        "outcome": view.outcome,
        "steps": [
            {"kind": e.kind.value, "label": e.kind.label, "at": clock.beijing(e.at), "text": e.text}
            for e in view.events
        ],
    }
