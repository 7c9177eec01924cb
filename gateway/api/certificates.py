"""``/api/v1/certificates``: the documents a person can get, and the sealed PDF itself (mini-program; LD/T 01
5.4.2). The PDF is issued by a GET because ``wx.downloadFile`` only sends GETs; the bearer token (never sent by a
browser on its own) is what authorises it, so no CSRF token is involved.

Issuing is the one use case ``gateway.certificates.service.issue`` (the web, kiosk and hotline call it too):
sealed by esign, an anti-forgery code recorded for every download (LD/T 01 5.4.2.4), the use traced (6.3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from apiflask import APIBlueprint, FileSchema
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import Response

from esign import documents
from esign.codes import DocumentKind
from esign.documents import DocumentError
from esign.models import CodeStatus, IssuedDocument
from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.access.urls import verify_url
from gateway.api.schemas import Checked, Input, Output, one_of
from gateway.backoffice.interface import BackOffice
from gateway.catalog import load_catalog
from gateway.certificates import service as certificates
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice, get_clients
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("certificates", __name__, url_prefix="/certificates", tag="证明")

#: The catalogue's certificate items need level 2 (a bound WeChat login is level 2).
LEVEL = 2


@dataclass(frozen=True)
class Offer:
    """One kind of document a person may download, and the catalogue item it fulfils."""

    kind: DocumentKind
    item_id: str
    hint: str
    needs_period: bool


# What a person can download (LD/T 01 5.4.2.3 a–c); the unit proof needs a unit login.
OFFERS = (
    Offer(
        DocumentKind.PERSON_PROOF,
        "cert-insurance-proof",
        "参加了哪些险种、参保状态和累计缴费月数，办理入学、购房、落户等常用",
        False,
    ),
    Offer(
        DocumentKind.CONTRIBUTION_RECORD,
        "cert-contribution-record",
        "所选期间每月的缴费基数和缴费金额，需选择起止月份",
        True,
    ),
    Offer(
        DocumentKind.BENEFIT_PAYMENTS,
        "cert-benefit-details",
        "所选期间养老金、失业保险金等待遇的发放明细，需选择起止月份",
        True,
    ),
)
_BY_KIND = {o.kind.value: o for o in OFFERS}


def _period(raw: str | None) -> int | None:
    """A month as ``YYYY-MM`` (or ``YYYYMM``), refused with esign's own message."""
    if raw is None:
        return None
    try:
        return documents.parse_period(raw)
    except DocumentError as exc:
        raise UserError(exc.code, exc.message, 400) from None


_PERIOD = {"pattern": "^[0-9]{4}-?[0-9]{2}$", "examples": ["2025-01"]}


class Period(Input):
    start = Checked(_period, keep_raw=True, metadata={**_PERIOD, "description": "起始月份"})
    end = Checked(_period, keep_raw=True, metadata={**_PERIOD, "description": "截止月份"})


class OfferedItem(Output):
    id = String(required=True)
    name = String(required=True)


class DefaultPeriod(Output):
    start = String(required=True, metadata={"examples": ["2025-01"]})
    end = String(required=True, metadata={"examples": ["2025-12"]})


class CertificateOffer(Output):
    kind = String(required=True, validate=one_of(o.kind for o in OFFERS))
    label = String(required=True, metadata={"examples": ["个人参保证明"]})
    hint = String(required=True)
    item = Nested(OfferedItem, required=True)
    needs_period = Boolean(required=True, metadata={"description": "需选择起止月份（start、end）"})
    default_period = Nested(DefaultPeriod, allow_none=True)
    available = Boolean(required=True, metadata={"description": "后台是否有可出具的数据"})
    unavailable_reason = String(allow_none=True)
    download_url = String(required=True, metadata={"examples": ["/api/v1/certificates/person_proof/pdf"]})


class Offers(Output):
    documents = List(Nested(CertificateOffer), required=True)


def default_period(today: date | None = None) -> tuple[str, str]:
    """Last calendar year, the period most often asked for."""
    year = (today or clock.today()).year - 1
    return f"{year}-01", f"{year}-12"


def _unavailable_reason(bo: BackOffice, kind: DocumentKind, id_number: str) -> str | None:
    """Why the back office has nothing to put on this document for the person, or None."""
    if bo.find_person(id_number) is None:
        return "没有查到您的参保信息，无法出具证明。请拨打 12333 咨询。"
    if kind is DocumentKind.PERSON_PROOF and not bo.registrations(id_number):
        return "没有查到您的参保登记。"
    if kind is DocumentKind.CONTRIBUTION_RECORD and bo.contributions(id_number, 1, 1).total == 0:
        return "没有查到您的缴费记录。"
    if kind is DocumentKind.BENEFIT_PAYMENTS and bo.benefit_payments(id_number, 1, 1).total == 0:
        return "您目前没有待遇发放记录。"
    return None


def _offer(offer: Offer, id_number: str) -> dict[str, Any]:
    item = load_catalog().get(offer.item_id)
    reason = _unavailable_reason(get_backoffice(), offer.kind, id_number)
    start, end = default_period()
    return {
        "kind": offer.kind,
        "label": offer.kind.label,
        "hint": offer.hint,
        "item": item,
        "needs_period": offer.needs_period,
        "default_period": {"start": start, "end": end} if offer.needs_period else None,
        "available": reason is None,
        "unavailable_reason": reason,
        "download_url": f"/api/v1/certificates/{offer.kind.value}/pdf",
    }


@bp.get("")
@gate(Operation.QUERY, level=LEVEL)
@bp.output(Offers, description="证明种类")
@bp.doc(summary="本人可下载的证明（LD/T 01 5.4.2.3）；需登录（安全级别 2）", operation_id="listCertificates")
def list_certificates():
    """The documents the caller can download, each with whether the back office has data for it."""
    id_number = current_actor().subject.id_number
    return {"documents": [_offer(o, id_number) for o in OFFERS]}


@bp.get("/<kind>/pdf")
@gate(Operation.DOWNLOAD, level=LEVEL)
@limiter.limit("20 per minute; 200 per day")
@bp.input(Period, location="query")
@bp.output(FileSchema(type="string", format="binary"), content_type="application/pdf", description="已盖章的 PDF")
@bp.doc(
    summary="出具并下载加盖电子印章、带防伪码的 PDF 证明（LD/T 01 5.4.2.4）",
    operation_id="downloadCertificate",
    responses={
        400: "月份不正确或所选期间没有记录",
        404: "没有这种证明",
        429: "下载过于频繁",
        503: "电子印章服务暂时不可用",
    },
)
def download(kind: str, query_data: dict):
    """Seal, record the anti-forgery code and hand over the PDF (``start``/``end`` as YYYY-MM where needed)."""
    if kind not in _BY_KIND:
        raise UserError("unknown_document", "没有这种证明，请从证明列表中选择。", 404)
    try:
        issued = certificates.issue(
            get_session(),
            current_actor(),
            certificates.Wanted(kind, query_data.get("start"), query_data.get("end")),
            backoffice=get_backoffice(),
            sealer=get_clients().sealer,
            verify_url=verify_url(),
        )
    except DocumentError as exc:
        raise UserError(exc.code, exc.message, 400) from None
    return Response(
        issued.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.filename}"',
            "Cache-Control": "no-store",
        },
    )


# ---------------------------------------------------------------- certificates issued to the person, withdrawal


class IssuedCertificate(Output):
    id = Integer(required=True)
    kind = String(required=True, validate=one_of(o.kind for o in OFFERS))
    label = String(required=True, metadata={"examples": ["个人参保证明"]})
    issued_on = String(required=True, metadata={"format": "date"})
    valid_until = String(required=True, metadata={"format": "date"})
    as_of = String(required=True, metadata={"format": "date", "description": "证明所反映记录的截止日期"})
    status = String(required=True, validate=one_of(CodeStatus))
    status_label = String(required=True, metadata={"examples": ["有效"]})
    withdrawable = Boolean(required=True, metadata={"description": "仍可撤回（有效期内且未撤回）"})


class IssuedCertificates(Output):
    certificates = List(Nested(IssuedCertificate), required=True)


class CertificateWithdrawBody(Input):
    reason = String(load_default="", metadata={"description": "撤回原因，例如“证明遗失”（必填，不超过 200 字）"})


_ISSUED_EXAMPLE = {
    "id": 42,
    "kind": "person_proof",
    "label": "个人参保证明",
    "issued_on": "2026-11-23",
    "valid_until": "2027-02-21",
    "as_of": "2026-11-23",
    "status": "valid",
    "status_label": "有效",
    "withdrawable": True,
}


def _issued_json(record: IssuedDocument) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind.value,
        "label": record.kind.label,
        "issued_on": record.issued_on.isoformat(),
        "valid_until": record.expires_on.isoformat(),
        "as_of": (record.record_as_of or record.issued_on).isoformat(),
        "status": record.status.value,
        "status_label": record.status.label,
        "withdrawable": record.status is CodeStatus.VALID and record.expires_on >= clock.today(),
    }


@bp.get("/issued")
@gate(Operation.QUERY, level=LEVEL)
@bp.output(IssuedCertificates, description="出具给本人的证明", example={"certificates": [_ISSUED_EXAMPLE]})
@bp.doc(summary="出具给本人的证明（每次下载一份，均在有效期内有效）", operation_id="listIssuedCertificates")
def issued():
    records = certificates.issued_to(get_session(), current_actor(), sealer=get_clients().sealer)
    return {"certificates": [_issued_json(r) for r in records]}


@bp.post("/issued/<int:document_id>/withdraw")
@gate(Operation.DOWNLOAD, level=LEVEL)
@bp.input(CertificateWithdrawBody, example={"reason": "证明遗失"})
@bp.output(
    IssuedCertificate,
    description="已撤回：核验时该份证明显示“已撤回”，其他证明不受影响",
    example={**_ISSUED_EXAMPLE, "status": "withdrawn", "status_label": "已撤回", "withdrawable": False},
)
@bp.doc(
    summary="撤回一份出具给本人的证明（须写明原因；其他证明不受影响）",
    operation_id="withdrawCertificate",
    responses={400: "未填写撤回原因或原因过长", 404: "证明不存在、不属于本人，或已失效、已撤回"},
)
def withdraw(document_id: int, json_data: dict):
    record = certificates.withdraw(
        get_session(), current_actor(), document_id, json_data["reason"], sealer=get_clients().sealer
    )
    return _issued_json(record)
