"""``/api/v1/verify``: public verification of certificates (LD/T 01 5.4.2.4) by anti-forgery code or by the PDF
itself; no login, rate-limited per address (a much smaller allowance for misses, so guessing codes is slow).
The page for people is ``/verify/`` (``channels/web/verify.py``); both ask esign's one look-up."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, File, List, Nested, String
from apiflask.validators import Length
from flask import current_app, request

from esign.codes import DocumentKind
from esign.service import CertificateService, Outcome
from esign.validate import PdfVerdict
from gateway.access.needs import public
from gateway.api.declare import raw_body
from gateway.api.schemas import Checked, Input, Output, one_of
from gateway.certificates import verification
from gateway.certificates.verification import (
    FORMAT_MESSAGE,
    LOOKUP_LIMIT,
    MAX_PDF,
    MISS_LIMIT,
    UPLOAD_LIMIT,
    is_miss,
)
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice, get_clients
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("verify", __name__, url_prefix="/verify", tag="证明核验")

MAX_CODE = 40


def _code(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text:
        raise UserError("no_code", "请提供防伪码（参数 code）。", 400)
    if len(raw or "") > MAX_CODE:
        raise UserError("bad_code", FORMAT_MESSAGE, 400)
    return text


class CodeQuery(Input):
    code = Checked(
        _code,
        required=True,
        validate=Length(max=MAX_CODE),
        metadata={"description": "18 位防伪码，可带短横线"},
    )


class Fact(Output):
    label = String(required=True)
    value = String(required=True)


class VerifyDocument(Output):
    type = String(validate=one_of(DocumentKind), required=True)
    type_label = String(required=True, metadata={"examples": ["个人参保证明"]})
    issuer = String(required=True)
    issued_on = String(required=True, metadata={"format": "date"})
    valid_until = String(required=True, metadata={"format": "date"})
    holder = String(
        required=True, metadata={"description": "脱敏后的证明对象", "examples": ["李**（610***********0210）"]}
    )
    facts = List(Nested(Fact), required=True)
    fingerprint = String(required=True, metadata={"description": "盖章后 PDF 的 SHA-256"})
    withdrawn_on = String(allow_none=True, metadata={"format": "date", "description": "持证人撤回该证明的日期"})
    withdrawn_by = String(
        allow_none=True,
        metadata={"description": "撤回者：holder 持证人本人，agency 经办机构；未撤回时为 null"},
    )
    as_of = String(required=True, metadata={"format": "date", "description": "证明所反映记录的截止日期"})
    as_of_text = String(required=True, metadata={"examples": ["本证明反映截至 2026年11月23日 的记录"]})
    record_changed = Boolean(
        allow_none=True, metadata={"description": "出具后持证人的参保记录是否已有变化（null：无法判断）"}
    )
    record_changed_text = String(allow_none=True, metadata={"description": "记录已变化时的说明"})


class VerifyCode(Output):
    result = String(validate=one_of(Outcome), required=True)
    message = String(required=True)
    document = Nested(VerifyDocument, allow_none=True)


class PdfUpload(Input):
    pdf = File(metadata={"description": "PDF 证明文件"})


class VerifyPdf(Output):
    seal = String(validate=one_of(PdfVerdict), required=True)
    message = String(required=True)
    fingerprint = String(required=True)
    signed_at = String(allow_none=True, metadata={"format": "date-time"})
    timestamp_trusted = Boolean()
    result = String(validate=one_of(Outcome), allow_none=True)
    document = Nested(VerifyDocument, allow_none=True)


def _service() -> CertificateService:
    return get_clients().sealer


@bp.get("")
@public(Operation.QUERY)
@limiter.limit(LOOKUP_LIMIT)
@limiter.limit(MISS_LIMIT, deduct_when=is_miss)
@bp.input(CodeQuery, location="query")
@bp.output(VerifyCode, description="真实有效、已过期或已作废")
@bp.doc(
    summary="按防伪码核验证明（无需登录）",
    operation_id="verifyCode",
    responses={
        400: "防伪码格式不正确",
        404: {
            "description": "未查到（校验位错误时回答相同）",
            "content": {"application/json": {"schema": VerifyCode}},
        },
        429: "查询过于频繁",
    },
)
def lookup(query_data: dict):
    found = verification.by_code(get_session(), _service(), query_data["code"])
    body = {"result": found.outcome, "message": verification.outcome_text(found)}
    if found.outcome is Outcome.NOT_FOUND:
        return body, 404
    return {
        **body,
        "document": verification.document_facts(
            found, backoffice=get_backoffice(), sealer=_service(), session=get_session()
        ),
    }


@bp.post("/pdf")
@public(Operation.QUERY)
@limiter.limit(UPLOAD_LIMIT)
@raw_body("application/pdf", "PDF 证明文件本身")
@bp.input(PdfUpload, location="files")
@bp.output(VerifyPdf, description="核验结果")
@bp.doc(
    summary="上传 PDF 证明，核验电子印章和是否被修改",
    operation_id="verifyPdf",
    responses={
        400: "没有文件，或文件结构过于复杂、未能在规定时间内核验",
        413: "文件过大",
        429: "上传过于频繁，或上一个文件还在核验中",
        503: "核验服务暂时不可用或繁忙",
    },
)
def pdf(files_data: dict):
    """The PDF as the ``pdf`` field of a form, or as the raw body."""
    upload = files_data.get("pdf")
    data = upload.read(MAX_PDF + 1) if upload is not None else request.get_data()
    data = verification.checked_upload(data)
    check, found = verification.by_pdf(
        get_session(),
        _service(),
        data,
        client=request.remote_addr or "-",
        work_dir=current_app.config["SETTINGS"].var_dir,
        turns=verification.machine_turns(current_app.config["SETTINGS"].workers),
    )
    return {
        "seal": check.verdict,
        "message": check.message,
        "fingerprint": check.fingerprint,
        "signed_at": check.signed_at or None,
        "timestamp_trusted": check.timestamp_trusted,
        "result": found.outcome if found else None,
        "document": (
            verification.document_facts(found, backoffice=get_backoffice(), sealer=_service(), session=get_session())
            if found
            else None
        ),
    }
