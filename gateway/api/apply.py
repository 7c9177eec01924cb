"""``/api/v1/apply``: applying online in the same three steps as the web (LD/T 01 5.3, 6.1.3) — fill in, upload
materials (or the face check, LD/T 01 5.4.3 a), confirm the risks and submit — for the mini-program and any other
channel the catalog names. Each operation calls the same use case as the web page
(``channels/web/applications.py``, ``channels/web/services_extra.py``): ``gateway.applications.service`` and
``gateway.applications.face_check``; nothing is decided here.

Files are uploaded one per request (``multipart/form-data``: ``material`` names the catalog material, ``file``
carries it) — as ``wx.uploadFile`` sends them — and get the same content checks as on the web
(``gateway.applications.uploads``: type by content, size, count, no scripts in PDFs, the scanner hook).
"""

from __future__ import annotations

import time

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Dict, File, Integer, List, Nested, String
from flask import current_app, request

from gateway import clock
from gateway.access.edge import current_actor, request_channel
from gateway.access.needs import gate, public
from gateway.access.urls import public_base_url
from gateway.api.applications import APPLICATION_EXAMPLE, Application, application_answer
from gateway.api.conventions import cacheable
from gateway.api.schemas import Input, Output, Text, one_of
from gateway.applications import face_check, service, uploads
from gateway.applications.models import Application as ApplicationRow
from gateway.catalog import ServiceItem
from gateway.catalog.model import HandlingKind
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.identity.service import Identity
from gateway.problems import UserError
from gateway.request_db import get_session, keep_on_refusal
from gateway.validation import mask_phone

bp = APIBlueprint("apply", __name__, url_prefix="/apply", tag="网上申请")

_REFUSALS = {
    400: "填写或上传的内容不符合要求，message 说明原因",
    404: "该事项不能在网上申请，或还没有填写申请（草稿）",
    409: "申请已提交、尚未通过人脸识别等，message 说明原因",
}
NO_DRAFT = "请先填写申请表（第一步），再上传材料或提交。"


def _refusals(*codes: int) -> dict[int, str]:
    return {code: _REFUSALS[code] for code in codes}


# ---------------------------------------------------------------- declarations


class ApplicableItem(Output):
    id = String(required=True, metadata={"examples": ["pension-transfer-out"]})
    name = String(required=True)
    handling_kind = String(required=True, validate=one_of(HandlingKind))
    assurance_level = Integer(required=True)
    face_check = Boolean(required=True, metadata={"description": "第二步为人脸识别（不上传材料）"})
    risky = Boolean(required=True, metadata={"description": "提交前须确认风险提示（LD/T 01 5.3.2）"})


class ApplicableItems(Output):
    items = List(Nested(ApplicableItem), required=True)


class Choice(Output):
    value = String(required=True)
    label = String(required=True)


class FormFieldOut(Output):
    name = String(required=True, metadata={"examples": ["destination"]})
    label = String(required=True, metadata={"examples": ["转入地"]})
    kind = String(required=True, validate=one_of(service.FieldKind))
    required = Boolean(required=True)
    help = String(required=True)
    choices = List(Nested(Choice), required=True)
    max_length = Integer(required=True)
    required_when = Dict(
        keys=String(),
        values=String(),
        required=True,
        allow_none=True,
        metadata={"description": "仅当另一字段为该值时必填（字段名 → 值）"},
    )
    personal = Boolean(required=True, metadata={"description": "个人信息：加密保存，工作人员看到的是脱敏值"})


class WantedMaterial(Output):
    name = String(required=True, metadata={"examples": ["转移接续申请表"]})
    note = String(required=True)
    original_required = Boolean(required=True)


class Known(Output):
    name = String(required=True)
    id_number = String(required=True, metadata={"description": "身份证号码（已脱敏）"})
    phone = String(required=True, metadata={"description": "登记的手机号码（已脱敏）"})
    unit_name = String(required=True, allow_none=True)
    region = String(required=True)


class DraftMaterial(Output):
    id = Integer(required=True)
    material = String(required=True)
    filename = String(required=True)
    size = Integer(required=True)
    uploaded_at = String(required=True, metadata={"description": "北京时间"})


class Draft(Output):
    values = Dict(
        keys=String(), values=String(), required=True, metadata={"description": "第一步已填写的内容（字段名 → 值）"}
    )
    materials = List(Nested(DraftMaterial), required=True)
    face_check_passed = Boolean(required=True, metadata={"description": "有可用于提交的人脸识别结果"})
    ready = Boolean(required=True, metadata={"description": "可以提交（第三步）"})


class ApplyForm(Output):
    item = Nested(ApplicableItem, required=True)
    steps = List(String(), required=True, metadata={"examples": [["填写申请", "上传材料", "确认提交"]]})
    known = Nested(Known, required=True, metadata={"description": "经办系统已有的信息，不再重复填写（条例第三十一条）"})
    fields = List(Nested(FormFieldOut), required=True)
    materials = List(Nested(WantedMaterial), required=True, metadata={"description": "需上传的材料"})
    accept = List(String(), required=True, metadata={"description": "可上传的文件类型（按内容检查）"})
    max_file_bytes = Integer(required=True)
    max_files = Integer(required=True)
    risk_warning = String(required=True, allow_none=True)
    draft = Nested(Draft, required=True, allow_none=True, metadata={"description": "尚未提交的申请（草稿）"})


class FormBody(Input):
    fields = Dict(
        keys=String(),
        load_default=None,
        metadata={"description": "字段名 → 值（见申请表的 fields）；按事项的声明逐项检查，问题一次告知"},
    )
    values = Dict(keys=String(), load_default=None, metadata={"description": "同 fields（旧名称，仍可使用）"})


class UploadBody(Input):
    material = Text(required=True, max_length=80, message="请选择要上传的材料名称。")
    file = File(required=True, metadata={"description": "PDF、JPG 或 PNG，单个文件不超过 5MB"})


class SubmitBody(Input):
    confirm_risk = Boolean(
        load_default=False, metadata={"description": "已阅读风险提示并确认办理（有风险提示的事项必须为 true）"}
    )
    fields = Dict(
        keys=String(),
        load_default=None,
        metadata={"description": "可选：提交前一并更新第一步的填写内容（与 saveApplication 的检查相同）"},
    )


class FaceStart(Output):
    capture_url = String(required=True, metadata={"description": "人脸识别服务的采集页（在 web-view 中打开）"})
    return_url = String(required=True, metadata={"description": "识别结束后返回的地址，带 session_id 参数"})


class FaceResultBody(Input):
    session_id = Text(required=True, max_length=64, message="请提供人脸识别会话编号 session_id。")


class FaceResult(Output):
    status = String(required=True, validate=one_of(face_check.FaceCheckStatus))
    status_label = String(required=True)
    passed = Boolean(required=True)
    message = String(required=True)


class FaceReturned(Output):
    session_id = String(required=True)
    message = String(required=True)


class ReturnedQuery(Input):
    session_id = Text(required=True, max_length=64, message="缺少人脸识别会话编号。")


_ITEM_EXAMPLE = {
    "id": "pension-transfer-out",
    "name": "城镇职工基本养老保险关系转出",
    "handling_kind": "promised",
    "assurance_level": 2,
    "face_check": False,
    "risky": False,
}
_DRAFT_EXAMPLE = {
    "values": {"destination": "四川省成都市", "phone": "13800000000", "note": ""},
    "materials": [
        {
            "id": 7,
            "material": "转移接续申请表",
            "filename": "申请表.pdf",
            "size": 48213,
            "uploaded_at": "2026-11-23T10:05",
        }
    ],
    "face_check_passed": False,
    "ready": True,
}
_FORM_EXAMPLE = {
    "item": _ITEM_EXAMPLE,
    "steps": ["填写申请", "上传材料", "确认提交"],
    "known": {
        "name": "张三",
        "id_number": "6103**********0012",
        "phone": "138****0000",
        "unit_name": "示例科技有限公司",
        "region": "宝鸡市",
    },
    "fields": [
        {
            "name": "destination",
            "label": "转入地",
            "kind": "text",
            "required": True,
            "help": "新参保地的省、市，例如：四川省成都市。",
            "choices": [],
            "max_length": 60,
            "required_when": None,
            "personal": False,
        }
    ],
    "materials": [{"name": "转移接续申请表", "note": "", "original_required": False}],
    "accept": ["application/pdf", "image/jpeg", "image/png"],
    "max_file_bytes": uploads.MAX_FILE_BYTES,
    "max_files": uploads.MAX_FILES,
    "risk_warning": None,
    "draft": _DRAFT_EXAMPLE,
}


# ---------------------------------------------------------------- answers


def _who() -> Identity:
    person = current_actor().person
    if person is None:  # the gate lets only a logged-in person through; this keeps the type honest
        raise UserError("login_required", "请先登录。", 401)
    return person


def _item_json(item: ServiceItem) -> dict:
    return {
        "id": item.id,
        "name": item.name,
        "handling_kind": item.handling_kind.value,
        "assurance_level": int(item.assurance_level),
        "face_check": item.id in face_check.REQUIRED_FOR,
        "risky": bool(item.risky),
    }


def _draft_json(draft: ApplicationRow) -> dict:
    session = get_session()
    checked = draft.item_id in face_check.REQUIRED_FOR
    passed = checked and face_check.usable(session, draft, clock.now()) is not None
    return {
        "values": service.form_values(draft, current_app.extensions["shebao_vault"]),
        "materials": [
            {
                "id": m.id,
                "material": m.material,
                "filename": m.filename,
                "size": m.size,
                "uploaded_at": clock.api_local(m.uploaded_at),
            }
            for m in service.current_materials(draft)
        ],
        "face_check_passed": passed,
        "ready": passed if checked else True,
    }


def _form_json(item: ServiceItem, draft: ApplicationRow | None) -> dict:
    who = _who()
    known = service.prefill(get_backoffice(), who.id_number, who.name)
    checked = item.id in face_check.REQUIRED_FOR
    return {
        "item": _item_json(item),
        "steps": ["填写申请", "人脸识别" if checked else "上传材料", "确认提交"],
        "known": {
            "name": known.name,
            "id_number": known.id_number_masked,
            "phone": mask_phone(known.phone) if known.phone else "",
            "unit_name": known.unit_name,
            "region": known.region,
        },
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "kind": f.kind.value,
                "required": f.required,
                "help": f.help,
                "choices": [{"value": v, "label": label} for v, label in f.choices],
                "max_length": f.max_length,
                "required_when": dict([f.required_when]) if f.required_when else None,
                "personal": f.personal,
            }
            for f in service.fields_for(item)
        ],
        "materials": [
            {"name": m.name, "note": m.note, "original_required": m.original_required}
            for m in ([] if checked else service.uploadable_materials(item))
        ],
        "accept": [k.value for k in uploads.FileKind],
        "max_file_bytes": uploads.MAX_FILE_BYTES,
        "max_files": uploads.MAX_FILES,
        "risk_warning": item.risk_warning if item.risky else None,
        "draft": _draft_json(draft) if draft is not None else None,
    }


def _draft(item: ServiceItem) -> ApplicationRow:
    draft = service.get_draft(get_session(), _who().person_id, item.id)
    if draft is None:
        raise UserError("no_draft", NO_DRAFT, 404)
    return draft


def _var_dir():
    return current_app.config["SETTINGS"].var_dir


def _scanner() -> uploads.VirusScanner:
    # The operator's scanner when one is plugged in, as on the web (see uploads.NoScanner).
    return current_app.extensions.get("shebao_scanner") or uploads.NoScanner()


# ---------------------------------------------------------------- operations


@bp.get("/items")
@public(Operation.QUERY)
@cacheable
@bp.output(ApplicableItems, description="可以网上申请的事项", example={"items": [_ITEM_EXAMPLE]})
@bp.doc(
    summary="可以在网上申请的事项（LD/T 01 5.3）：调用方渠道（X-Shebao-Channel）能办理的",
    operation_id="listApplicableItems",
    responses={304: "未改变"},
)
def items():
    # Only what the calling channel carries through (flows.yaml, LD/T 01 5.6.1): the mini-program is not offered
    # an item it cannot finish.
    channel = request_channel()
    return {"items": [_item_json(i) for i in service.applicable_items() if channel in i.channels]}


@bp.get("/<item_id>")
@gate(Operation.APPLY, item_arg="item_id")
@bp.output(ApplyForm, description="申请表、需上传的材料和已保存的草稿", example=_FORM_EXAMPLE)
@bp.doc(
    summary="第一步：先核对能否申请，再给出申请表（经办系统已有信息预先带出，条例第三十一条）和草稿",
    operation_id="getApplyForm",
    responses={**_refusals(404), 409: "不符合申请条件，message 用中文说明原因"},
)
def form(item_id: str):
    item = service.applicable_item(item_id)
    service.require_eligible(get_backoffice(), item, _who().id_number, clock.today())
    return _form_json(item, service.get_draft(get_session(), _who().person_id, item.id))


_UNEMPLOYMENT_EXAMPLE = {
    "fields": {
        "end_reason": "contract_expired",
        "end_date": "2026-10-31",
        "bank_account": "6222020200112233446",
        "bank_name": "中国工商银行宝鸡分行",
        "phone": "13800000000",
        "note": "",
    }
}


def _fill_in(item: ServiceItem, given: dict) -> ApplicationRow:
    """Step 1 through the one use case the web page calls: the eligibility check, then every field checked."""
    who = _who()
    draft, errors = service.fill_in(
        get_session(),
        get_backoffice(),
        current_app.extensions["shebao_vault"],
        who.person_id,
        who.id_number,
        item,
        {f.name: given.get(f.name) for f in service.fields_for(item)},
        channel=current_actor().channel.value,
        now=clock.now(),
    )
    if draft is None:
        raise UserError("invalid_form", "；".join(message for _, message in errors), 400)
    return draft


@bp.post("/<item_id>")
@gate(Operation.APPLY, item_arg="item_id")
@bp.input(FormBody, example=_UNEMPLOYMENT_EXAMPLE)
@bp.output(ApplyForm, description="已保存为草稿", example=_FORM_EXAMPLE)
@bp.doc(
    summary="第一步：先核对能否申请（经办系统的申请条件），再填写并保存申请（创建或更新草稿）；所有问题一次告知",
    operation_id="saveApplication",
    responses={**_refusals(400, 404), 409: "不符合申请条件，message 说明原因（例如仍在就业时申领失业保险金）"},
)
def save(item_id: str, json_data: dict):
    item = service.applicable_item(item_id)
    given = json_data.get("fields")
    if given is None:
        given = json_data.get("values")
    if given is None:
        raise UserError("invalid_form", "请在 fields 中提供申请表的填写内容。", 400)
    return _form_json(item, _fill_in(item, given))


@bp.post("/<item_id>/materials")
@gate(Operation.APPLY, item_arg="item_id")
@bp.input(UploadBody, location="form_and_files")
@bp.output(Draft, status_code=201, description="已上传，附草稿的全部材料", example=_DRAFT_EXAMPLE)
@bp.doc(
    summary="第二步：上传一份材料（按内容检查类型、大小和数量）",
    operation_id="uploadMaterial",
    responses=_refusals(400, 404, 409),
)
def upload(item_id: str, form_and_files_data: dict):
    item = service.applicable_item(item_id)
    if item.id in face_check.REQUIRED_FOR:
        raise UserError("face_check_item", "该事项不需要上传材料，请进行人脸识别。", 409)
    draft = _draft(item)
    storage = form_and_files_data["file"]
    incoming = uploads.IncomingFile(form_and_files_data["material"], storage.filename or "", storage.read())
    service.add_materials(get_session(), draft, [incoming], _var_dir(), now=clock.now(), scanner=_scanner())
    return _draft_json(draft)


@bp.delete("/<item_id>/materials/<int:material_id>")
@gate(Operation.APPLY, item_arg="item_id")
@bp.output(Draft, description="已删除，附草稿的其余材料", example={**_DRAFT_EXAMPLE, "materials": []})
@bp.doc(summary="第二步：删除误传的材料（仅限提交前）", operation_id="deleteMaterial", responses=_refusals(404, 409))
def delete_material(item_id: str, material_id: int):
    item = service.applicable_item(item_id)
    draft = _draft(item)
    service.remove_material(get_session(), draft, material_id, _var_dir())
    return _draft_json(draft)


@bp.post("/<item_id>/face")
@gate(Operation.APPLY, item_arg="item_id")
@bp.output(
    FaceStart,
    status_code=201,
    description="人脸识别已开启",
    example={
        "capture_url": "https://face.example.cn/face/capture/8f3c…",
        "return_url": "https://shebao.example.cn/api/v1/apply/face/returned",
    },
)
@bp.doc(
    summary="第二步（资格认证）：开启人脸识别（LD/T 01 5.4.3 a）",
    operation_id="startFaceCheck",
    responses={**_refusals(404, 409), 503: "人脸识别服务暂时不可用"},
)
def face_start(item_id: str):
    item = service.applicable_item(item_id)
    if item.id not in face_check.REQUIRED_FOR:
        raise UserError("not_found", "该事项不需要人脸识别。", 404)
    draft = _draft(item)
    who = _who()
    back = public_base_url() + "/api/v1/apply/face/returned"
    capture = face_check.start(
        get_session(),
        face_check.client_for(current_app.config["SETTINGS"]),
        draft,
        id_number=who.id_number,
        name=who.name,
        return_url=back,
        now=clock.now(),
    )
    return {"capture_url": capture, "return_url": back}


@bp.get("/face/returned")
@public(Operation.QUERY)
@bp.input(ReturnedQuery, location="query")
@bp.output(
    FaceReturned,
    description="识别页结束后到达的地址：小程序从中取得 session_id",
    example={"session_id": "8f3c2a", "message": "人脸识别已完成，请返回继续办理。"},
)
@bp.doc(
    summary="人脸识别结束后的返回地址（不含个人信息）", operation_id="faceCheckReturned", responses={400: "缺少参数"}
)
def face_returned(query_data: dict):
    """Where the provider sends the person back: it only hands the session id to the app, which then asks
    for the verdict with its own login (``finishFaceCheck``); nothing is decided here."""
    return {"session_id": query_data["session_id"], "message": "人脸识别已完成，请返回继续办理。"}


@bp.post("/<item_id>/face/result")
@gate(Operation.APPLY, item_arg="item_id")
@bp.input(FaceResultBody, example={"session_id": "8f3c2a"})
@bp.output(
    FaceResult,
    description="识别结果（通过后 30 分钟内可提交）",
    example={"status": "passed", "status_label": "通过", "passed": True, "message": "人脸识别通过，请确认提交。"},
)
@bp.doc(
    summary="第二步（资格认证）：取回并核验人脸识别结果（服务端到服务端，验签）",
    operation_id="finishFaceCheck",
    responses={**_refusals(404, 409), 503: "人脸识别服务暂时不可用"},
)
def face_result(item_id: str, json_data: dict):
    item = service.applicable_item(item_id)
    if item.id not in face_check.REQUIRED_FOR:
        raise UserError("not_found", "该事项不需要人脸识别。", 404)
    _draft(item)
    who = _who()
    session = get_session()
    check = face_check.finish(
        session,
        face_check.client_for(current_app.config["SETTINGS"]),
        person_id=who.person_id,
        id_number=who.id_number,
        session_id=json_data["session_id"],
        now=clock.now(),
        now_ts=time.time(),
    )
    face_check.trace(session, check, item_name=item.name, channel=current_actor().channel.value, ip=request.remote_addr)
    passed = check.status is face_check.FaceCheckStatus.PASSED
    if not passed:
        keep_on_refusal()  # a failed face check is traced like a passed one
        raise UserError(
            "face_check_failed",
            "人脸识别未通过，请在光线充足处正对摄像头重新识别；多次未通过可到社区（村）服务站或经办窗口认证。",
            400,
        )
    return {
        "status": check.status.value,
        "status_label": check.status.label,
        "passed": True,
        "message": "人脸识别通过，请确认提交。",
    }


@bp.post("/<item_id>/submit")
@gate(Operation.APPLY, item_arg="item_id")
@bp.input(SubmitBody, example={"confirm_risk": True, **_UNEMPLOYMENT_EXAMPLE})
@bp.output(Application, status_code=201, description="已提交：申请编号和办理进度", example=APPLICATION_EXAMPLE)
@bp.doc(
    summary="第三步：确认风险提示并提交（即办件立即出结果，承诺件给出办结时限）",
    operation_id="submitApplication",
    responses=_refusals(400, 404, 409),
)
def submit(item_id: str, json_data: dict):
    item = service.applicable_item(item_id)
    draft = _fill_in(item, json_data["fields"]) if json_data.get("fields") is not None else _draft(item)
    who = _who()
    app = service.hand_in(
        get_session(),
        draft,
        backoffice=get_backoffice(),
        id_number=who.id_number,
        risk_confirmed=json_data["confirm_risk"] is True,
        now=clock.now(),
    )
    return application_answer(app)
