"""``/api/v1/applications`` and ``/api/v1/progress/lookup`` (LD/T 01 5.2.1): one's own applications and their
progress, withdrawing one (the same use case as the web's progress page, :mod:`gateway.applications.withdrawal`),
and the anonymous look-up by application number + the applicant's ID number."""

from __future__ import annotations

from apiflask import APIBlueprint, FileSchema
from apiflask.fields import Boolean, File, Integer, List, Nested, String
from flask import current_app

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.conventions import Paged, PageQuery, paged
from gateway.api.schemas import Input, Output, Text, one_of
from gateway.applications import notices, service, uploads, withdrawal
from gateway.applications.models import Application as ApplicationRow
from gateway.applications.models import ApplicationStatus
from gateway.catalog import load_catalog
from gateway.catalog.model import HandlingKind
from gateway.channel_policy import Operation
from gateway.downloads import receipt_download
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
    receipts = List(
        String(validate=one_of(notices.RECEIPT_KINDS)),
        required=True,
        metadata={"description": "本人可下载的办理凭证（受理通知单、结果告知单、参保缴费凭证）；凭编号查询时为空"},
    )
    withdrawable = Boolean(
        required=True,
        metadata={"description": "本人现在可以撤回（已提交未受理、预审通过、待补正）；凭编号查询时为 false"},
    )
    withdraw_warning = String(
        required=True, allow_none=True, metadata={"description": "撤回前须确认的风险提示（LD/T 01 5.3.2）"}
    )
    supplement_materials = List(
        String(),
        required=True,
        metadata={
            "description": "待补正时本人可上传的材料名称（supplementApplication 的 material 取其一）；"
            "其他状态或凭编号查询时为空"
        },
    )


class ApplicationWithdrawBody(Input):
    reason = Text(
        required=False, min_length=0, max_length=withdrawal.REASON_MAX, message="撤回原因最多200个字。", load_default=""
    )
    confirm_risk = Boolean(
        load_default=False, metadata={"description": "已阅读撤回提示并确认撤回（必须为 true，LD/T 01 5.3.2）"}
    )


class Applications(Paged):
    applications = List(Nested(Application), required=True)


class SupplementBody(Input):
    note = Text(required=False, min_length=0, max_length=300, message="补正说明最多300个字。", load_default="")
    material = Text(required=False, max_length=80, message="请选择要上传的材料名称。")
    file = File(required=False, metadata={"description": "补正的材料（PDF、JPG 或 PNG，一次一个文件）"})
    final = Boolean(
        load_default=True,
        metadata={
            "description": "补正内容已全部提交（默认）。分多次上传文件时，前几次为 false：文件先保存，申请仍为待补正；"
            "最后一次为 true，补正才完成并告知经办人员"
        },
    )


APPLICATION_EXAMPLE = {
    "number": "SQ20261123000042",
    "item": {"id": "pension-transfer-out", "name": "城镇职工基本养老保险关系转出", "handling_kind": "promised"},
    "status": "submitted",
    "status_label": "已提交",
    "applicant": "张*",
    "submitted_at": "2026-11-23T10:06:12",
    "accepted_at": None,
    "department": "养老保险科",
    "due_date": {"date": "2026-12-21", "provisional": False},
    "overdue": False,
    "result": None,
    "notice": [],
    "materials": [
        {"material": "转移接续申请表", "filename": "申请表.pdf", "size": 48213, "uploaded_at": "2026-11-23T10:05"}
    ],
    "timeline": [
        {
            "at": "2026-11-23T10:06:12",
            "status": "submitted",
            "status_label": "已提交",
            "actor": "申请人",
            "note": "网上提交申请",
        }
    ],
    "appointment_link": None,
    "receipts": [],
    "withdrawable": True,
    "withdraw_warning": withdrawal.WARNING,
    "supplement_materials": [],
}


class Lookup(Input):
    number = Text(required=True, message="请输入申请编号。", metadata={"description": "申请编号"})
    id_number = Text(required=True, message="请输入申请人身份证号码。", metadata={"description": "申请人身份证号码"})


def _json(app: ApplicationRow, *, own: bool = True) -> dict:
    vault = current_app.extensions["shebao_vault"]
    person = get_session().get(Person, app.person_id)
    answer = service.application_json(service.view_of(app, vault, person, clock.today()))
    # The receipts are the applicant's own (the anonymous look-up never hands them out, as on the web).
    answer["receipts"] = [k.value for k in notices.available(app)] if own else []
    answer["withdrawable"] = own and withdrawal.withdrawable(app)
    answer["withdraw_warning"] = withdrawal.WARNING if answer["withdrawable"] else None
    waiting = own and app.status is ApplicationStatus.SUPPLEMENT_REQUESTED
    item = load_catalog().get(app.item_id) if waiting else None
    answer["supplement_materials"] = [m.name for m in service.uploadable_materials(item)] if item else []
    return answer


def application_answer(app: ApplicationRow) -> dict:
    """An application as every operation answers it to its applicant."""
    return _json(app)


def _mine(number: str) -> ApplicationRow:
    """The caller's application ``number``; anyone else's is "not found" (no hint that it exists)."""
    app = service.by_number(get_session(), number)
    if app is None or app.person_id != current_actor().subject_id:
        raise UserError("not_found", "没有找到该申请。", 404)
    return app


@bp.get("/applications")
@gate(Operation.QUERY, level=1)
@bp.input(PageQuery, location="query")
@bp.output(
    Applications,
    description="申请列表，最新的在前（分页）",
    example={"page": 1, "page_size": 20, "pages": 1, "total": 1, "applications": [APPLICATION_EXAMPLE]},
)
@bp.doc(
    summary="我的申请（LD/T 01 5.2.1 a）；需登录",
    operation_id="listApplications",
    responses={400: "页码不正确"},
)
def list_applications(query_data: dict):
    """The logged-in person's submitted applications, newest first, one page."""
    mine = [
        a
        for a in service.my_applications(get_session(), current_actor().subject_id)
        if a.status != ApplicationStatus.DRAFT
    ]
    page, size = query_data["page"], query_data["page_size"]
    shown = mine[(page - 1) * size : page * size]
    return {**paged(page, size, len(mine)), "applications": [_json(a) for a in shown]}


@bp.get("/applications/<number>")
@gate(Operation.QUERY, level=1)
@bp.output(Application, description="申请详情和办理过程", example=APPLICATION_EXAMPLE)
@bp.doc(
    summary="申请的办理进度（LD/T 01 5.2.1 b）；需登录，仅限本人",
    operation_id="getApplication",
    responses={404: "没有该申请"},
)
def get_application(number: str):
    """One of the logged-in person's applications, with its timeline."""
    return _json(_mine(number))


@bp.post("/applications/<number>/supplement")
@gate(Operation.APPLY, item="progress-applications")
@bp.input(SupplementBody, location="form_and_files")
@bp.output(
    Application,
    description="已补正，申请回到办理中",
    example={**APPLICATION_EXAMPLE, "status": "supplemented", "status_label": "已补正"},
)
@bp.doc(
    summary="按一次性告知补正：上传所缺材料和/或填写说明，不必重新申请（GB/T 31621 6.2.1.3）",
    operation_id="supplementApplication",
    responses={400: "没有补正内容或文件不符合要求", 404: "没有该申请", 409: "该申请当前不需要补正"},
)
def supplement(number: str, form_and_files_data: dict):
    """Answer the one-time notice: one file per request (as ``wx.uploadFile`` sends it) and/or a note; the same
    use case as the web's progress page. Several files go as parts (``final`` false) and a final request."""
    app = _mine(number)
    files = []
    storage = form_and_files_data.get("file")
    if storage is not None:
        material = form_and_files_data.get("material") or ""
        files.append(uploads.IncomingFile(material, storage.filename or "", storage.read()))
    service.supplement(
        get_session(),
        app,
        current_actor().person.person_id,
        note=form_and_files_data.get("note") or "",
        files=files,
        var_dir=current_app.config["SETTINGS"].var_dir,
        now=clock.now(),
        scanner=current_app.extensions.get("shebao_scanner") or uploads.NoScanner(),
        final=form_and_files_data["final"] is not False,
    )
    return _json(app)


@bp.post("/applications/<number>/withdraw")
@gate(Operation.APPLY, item="progress-applications")
@bp.input(ApplicationWithdrawBody, example={"reason": "已在窗口办理", "confirm_risk": True})
@bp.output(
    Application,
    description="已撤回，申请终止办理",
    example={
        **APPLICATION_EXAMPLE,
        "status": "withdrawn",
        "status_label": "已撤回",
        "result": "申请人撤回申请：已在窗口办理",
        "withdrawable": False,
        "withdraw_warning": None,
    },
)
@bp.doc(
    summary="撤回申请：确认撤回提示后终止办理（仅已提交未受理、预审通过或待补正的申请，LD/T 01 5.3.2）",
    operation_id="withdrawApplication",
    responses={400: "未确认撤回提示或原因过长", 404: "没有该申请", 409: "该申请当前不能撤回"},
)
def withdraw(number: str, json_data: dict):
    """Withdraw one's own application, through the use case the web's progress page calls."""
    app = _mine(number)
    withdrawal.withdraw(
        get_session(),
        app,
        current_actor().subject_id,
        reason=json_data.get("reason") or "",
        confirmed=json_data["confirm_risk"] is True,
        now=clock.now(),
    )
    return _json(app)


@bp.get("/applications/<number>/receipts/<kind>")
@gate(Operation.DOWNLOAD, item="progress-applications")
@limiter.limit("20 per minute; 200 per day")
@bp.output(
    FileSchema(type="string", format="binary"),
    content_type="application/pdf",
    description="加盖电子印章、带防伪码的 PDF（同一申请同一种凭证始终是同一份文件）",
)
@bp.doc(
    summary="下载受理通知单（acceptance_notice）、结果告知单（result_notice）或参保缴费凭证（transfer_voucher）"
    "（LD/T 01 5.3.1 d、5.4.2.2）",
    operation_id="downloadReceipt",
    responses={
        404: "没有该申请或没有这种凭证",
        409: "申请尚未到可出具该凭证的阶段",
        429: "下载过于频繁",
        503: "电子印章服务暂时不可用",
    },
)
def receipt(number: str, kind: str):
    """The applicant's receipt, through the one receipts use case the web and the console call."""
    return receipt_download(number, kind)


@bp.post("/progress/lookup")
@public(Operation.QUERY)
@limiter.limit("10 per minute; 60 per hour")
@bp.input(Lookup, example={"number": "SQ20261123000042", "id_number": "610302199001010012"})
@bp.output(Application, description="申请详情（姓名、证件号已脱敏）", example=APPLICATION_EXAMPLE)
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
    return _json(app, own=False)
