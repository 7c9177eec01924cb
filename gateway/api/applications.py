"""``/api/v1/applications`` and ``/api/v1/progress/lookup`` (LD/T 01 5.2.1): one's own applications and their
progress, and the anonymous look-up by application number + the applicant's ID number."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import current_app

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.schemas import Input, Output, Text, one_of
from gateway.applications import service
from gateway.applications.models import Application as ApplicationRow
from gateway.applications.models import ApplicationStatus
from gateway.catalog.model import HandlingKind
from gateway.channel_policy import Operation
from gateway.identity.models import Person
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("applications", __name__, url_prefix="", tag="办理进度")

#: The same answer whichever half is wrong (no way to probe which numbers exist).
NOT_FOUND = "没有找到与该申请编号和身份证号码相符的申请，请核对后重新输入。"
_BEIJING = "北京时间（ISO 8601，不带时区），例如 2026-11-23T10:00:00"


class AppliedItem(Output):
    id = String(required=True)
    name = String(required=True)
    handling_kind = String(required=True, validate=one_of(HandlingKind))


class DueDate(Output):
    date = String(required=True, metadata={"format": "date"})
    provisional = Boolean(required=True, metadata={"description": "节假日安排尚未公布，日期暂定"})


class UploadedMaterial(Output):
    material = String(required=True)
    filename = String(required=True)
    size = Integer(required=True)
    uploaded_at = String(required=True, metadata={"description": _BEIJING})


class Step(Output):
    at = String(required=True, metadata={"description": _BEIJING})
    status = String(required=True, validate=one_of(ApplicationStatus))
    status_label = String(required=True)
    actor = String(required=True)
    note = String(required=True)


class Application(Output):
    number = String(required=True, metadata={"examples": ["SQ20261123000042"]})
    item = Nested(AppliedItem, required=True)
    status = String(required=True, validate=one_of(ApplicationStatus))
    status_label = String(required=True, metadata={"examples": ["已受理"]})
    applicant = String(required=True, metadata={"description": "姓名（已脱敏）", "examples": ["张*"]})
    submitted_at = String(required=True, allow_none=True, metadata={"description": _BEIJING})
    accepted_at = String(required=True, allow_none=True, metadata={"description": _BEIJING})
    department = String(required=True)
    due_date = Nested(DueDate, required=True, allow_none=True, metadata={"description": "办结时限（工作日）"})
    overdue = Boolean(required=True)
    result = String(required=True, allow_none=True)
    notice = List(
        String(), required=True, metadata={"description": "补正材料一次性告知的全部问题（GB/T 31621 6.2.1.3）"}
    )
    materials = List(Nested(UploadedMaterial), required=True)
    timeline = List(Nested(Step), required=True)
    appointment_link = String(required=True, allow_none=True)


class Applications(Output):
    applications = List(Nested(Application), required=True)


class Lookup(Input):
    number = Text(required=True, message="请输入申请编号。", metadata={"description": "申请编号"})
    id_number = Text(required=True, message="请输入申请人身份证号码。", metadata={"description": "申请人身份证号码"})


def _json(app: ApplicationRow) -> dict:
    vault = current_app.extensions["shebao_vault"]
    person = get_session().get(Person, app.person_id)
    return service.application_json(service.view_of(app, vault, person, clock.today()))


@bp.get("/applications")
@gate(Operation.QUERY, level=1)
@bp.output(Applications, description="申请列表，最新的在前")
@bp.doc(summary="我的申请（LD/T 01 5.2.1 a）；需登录", operation_id="listApplications")
def list_applications():
    """The logged-in person's submitted applications, newest first."""
    mine = service.my_applications(get_session(), current_actor().subject_id)
    return {"applications": [_json(a) for a in mine if a.status != ApplicationStatus.DRAFT]}


@bp.get("/applications/<number>")
@gate(Operation.QUERY, level=1)
@bp.output(Application, description="申请详情和办理过程")
@bp.doc(
    summary="申请的办理进度（LD/T 01 5.2.1 b）；需登录，仅限本人",
    operation_id="getApplication",
    responses={404: "没有该申请"},
)
def get_application(number: str):
    """One of the logged-in person's applications, with its timeline."""
    app = service.by_number(get_session(), number)
    if app is None or app.person_id != current_actor().subject_id:
        raise UserError("not_found", "没有找到该申请。", 404)
    return _json(app)


@bp.post("/progress/lookup")
@public(Operation.QUERY)
@limiter.limit("10 per minute; 60 per hour")
@bp.input(Lookup)
@bp.output(Application, description="申请详情（姓名、证件号已脱敏）")
@bp.doc(
    summary="凭申请编号和申请人身份证号码查询办理进度（无需登录，限频）",
    operation_id="lookupProgress",
    responses={
        400: "请求格式不正确",
        404: "编号与证件号码不相符（不区分哪一项有误）",
        429: "查询过于频繁",
    },
)
def lookup(json_data: dict):
    """Anonymous lookup by application number + the applicant's ID number (no session, changes nothing)."""
    vault = current_app.extensions["shebao_vault"]
    app = service.lookup(get_session(), vault, json_data["number"], json_data["id_number"])
    if app is None:
        raise UserError("not_found", NOT_FOUND, 404)
    return _json(app)
