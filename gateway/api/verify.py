"""``/api/v1/verify``: public verification of certificates (LD/T 01 5.4.2.4) by anti-forgery code or by the PDF
itself; no login, rate-limited per address (a much smaller allowance for misses, so guessing codes is slow).
The page for people is ``/verify/`` (``channels/web/verify.py``); both ask esign's one look-up."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, File, List, Nested, String
from apiflask.validators import Length
from flask import current_app, request

from esign.codes import CodeFormatError, DocumentKind
from esign.pki import SealError
from esign.service import CertificateService, Lookup, Outcome, service_for
from esign.validate import PdfCheck, PdfVerdict, check_pdf
from gateway.access.needs import public
from gateway.api.openapi import raw_body
from gateway.api.schemas import Checked, Input, Output, one_of
from gateway.channel_policy import Operation
from gateway.db import get_session
from gateway.problems import UserError
from gateway.security.limits import limiter

bp = APIBlueprint("verify", __name__, url_prefix="/verify", tag="证明核验")

FORMAT_MESSAGE = "防伪码由 18 位字母和数字组成（可带短横线），请对照证明核对后重新输入。"
OUTCOME_TEXT = {
    Outcome.GENUINE: "真实有效",
    Outcome.EXPIRED: "证明真实，但已超过有效期",
    Outcome.REVOKED: "证明已作废（已被新出具的证明替代）",
    Outcome.NOT_FOUND: "未查到该防伪码",
}
LOOKUP_LIMIT = "60 per minute; 600 per hour"
MISS_LIMIT = "10 per minute; 50 per hour"
UPLOAD_LIMIT = "10 per minute; 100 per hour"
MAX_CODE = 40
MAX_PDF = 10 * 1024 * 1024


def _is_miss(response) -> bool:
    return response.status_code in (400, 404)


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
    return service_for(current_app.config["SETTINGS"])


def _document_facts(lookup: Lookup) -> dict | None:
    record = lookup.record
    if record is None or lookup.outcome is Outcome.NOT_FOUND:
        return None
    return {
        "type": record.kind,
        "type_label": record.kind.label,
        "issuer": record.issuer,
        "issued_on": record.issued_on.isoformat(),
        "valid_until": record.expires_on.isoformat(),
        "holder": record.holder_masked,
        "facts": [{"label": k, "value": v} for k, v in lookup.facts],
        "fingerprint": record.fingerprint,
    }


def _check_upload(data: bytes) -> tuple[PdfCheck, Lookup | None]:
    service = _service()
    try:
        roots = service.trust_roots()
    except SealError as exc:
        current_app.logger.error("no seal to verify against: %s", exc)
        raise UserError("seal_unavailable", "证明核验服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    check = check_pdf(data, roots, service.tsa_roots())
    if check.verdict in (PdfVerdict.SEALED, PdfVerdict.MODIFIED):
        return check, service.by_fingerprint(get_session(), check.fingerprint)
    return check, None


@bp.get("")
@public(Operation.QUERY)
@limiter.limit(LOOKUP_LIMIT)
@limiter.limit(MISS_LIMIT, deduct_when=_is_miss)
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
    try:
        found = _service().lookup(get_session(), query_data["code"])
    except CodeFormatError:
        raise UserError("bad_code", FORMAT_MESSAGE, 400) from None
    body = {"result": found.outcome, "message": OUTCOME_TEXT[found.outcome]}
    if found.outcome is Outcome.NOT_FOUND:
        return body, 404
    return {**body, "document": _document_facts(found)}


@bp.post("/pdf")
@public(Operation.QUERY)
@limiter.limit(UPLOAD_LIMIT)
@raw_body("application/pdf", "PDF 证明文件本身")
@bp.input(PdfUpload, location="files")
@bp.output(VerifyPdf, description="核验结果")
@bp.doc(
    summary="上传 PDF 证明，核验电子印章和是否被修改",
    operation_id="verifyPdf",
    responses={400: "没有文件", 413: "文件过大", 429: "上传过于频繁", 503: "核验服务暂时不可用"},
)
def pdf(files_data: dict):
    """The PDF as the ``pdf`` field of a form, or as the raw body."""
    upload = files_data.get("pdf")
    data = upload.read(MAX_PDF + 1) if upload is not None else request.get_data()
    if not data:
        raise UserError("no_file", "请选择要核验的 PDF 证明文件。", 400)
    if len(data) > MAX_PDF:
        raise UserError("too_large", "文件过大：证明文件不超过 10 MB。", 413)
    check, found = _check_upload(data)
    return {
        "seal": check.verdict,
        "message": check.message,
        "fingerprint": check.fingerprint,
        "signed_at": check.signed_at or None,
        "timestamp_trusted": check.timestamp_trusted,
        "result": found.outcome if found else None,
        "document": _document_facts(found) if found else None,
    }
