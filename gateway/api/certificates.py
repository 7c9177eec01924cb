"""``/api/v1/certificates``: the documents a person can get, and the sealed PDF itself, with a bearer token
(mini-program; LD/T 01 5.4.2). The PDF is issued by a GET because ``wx.downloadFile`` only sends GETs; the
bearer token (never sent by a browser on its own) is what authorises it, so no CSRF token is involved.

Same rules as the web's three steps (``channels/web/certificates.py``): sealed by ``esign.service_for``, an
anti-forgery code recorded for every download (LD/T 01 5.4.2.4), an earlier document of the same kind and
period superseded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from esign import documents
from esign.codes import DocumentKind
from esign.documents import Document, DocumentError
from esign.fonts import FontMissing
from esign.pki import SealError
from esign.service import service_for
from esign.signer import SealingError
from gateway.api.auth import bearer_identity, require_token
from gateway.backoffice import get_backoffice
from gateway.backoffice.interface import BackOffice
from gateway.catalog import load_catalog
from gateway.db import get_session
from gateway.identity.service import record_operation
from gateway.problems import UserError
from gateway.security.limits import limiter

bp = Blueprint("api_certificates", __name__, url_prefix="/api/v1/certificates")

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


def default_period(today: date | None = None) -> tuple[str, str]:
    """Last calendar year, the period most often asked for."""
    year = (today or date.today()).year - 1
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


def _offer_json(offer: Offer, id_number: str) -> dict[str, Any]:
    item = load_catalog().get(offer.item_id)
    reason = _unavailable_reason(get_backoffice(), offer.kind, id_number)
    start, end = default_period()
    return {
        "kind": offer.kind.value,
        "label": offer.kind.label,
        "hint": offer.hint,
        "item": {"id": item.id, "name": item.name},
        "needs_period": offer.needs_period,
        "default_period": {"start": start, "end": end} if offer.needs_period else None,
        "available": reason is None,
        "unavailable_reason": reason,
        "download_url": f"/api/v1/certificates/{offer.kind.value}/pdf",
    }


def _document(kind: str, id_number: str) -> Document:
    offer = _BY_KIND.get(kind)
    if offer is None:
        raise UserError("unknown_document", "没有这种证明，请从证明列表中选择。", 404)
    bo = get_backoffice()
    try:
        if offer.kind is DocumentKind.PERSON_PROOF:
            return documents.person_proof(bo, id_number)
        start = documents.parse_period(request.args.get("start"))
        end = documents.parse_period(request.args.get("end"))
        if offer.kind is DocumentKind.CONTRIBUTION_RECORD:
            return documents.contribution_record(bo, id_number, start, end)
        return documents.benefit_payments(bo, id_number, start, end)
    except DocumentError as exc:
        raise UserError(exc.code, exc.message, 400) from None


@bp.get("")
@require_token(LEVEL)
def list_certificates():
    """The documents the caller can download, each with whether the back office has data for it."""
    who, _ = bearer_identity()
    return jsonify({"documents": [_offer_json(o, who.id_number) for o in OFFERS]})


@bp.get("/<kind>/pdf")
@require_token(LEVEL)
@limiter.limit("20 per minute; 200 per day")
def download(kind: str):
    """Seal, record the anti-forgery code and hand over the PDF (``start``/``end`` as YYYY-MM where needed)."""
    who, _ = bearer_identity()
    doc = _document(kind, who.id_number)
    settings = current_app.config["SETTINGS"]
    base = (settings.public_url or request.url_root).rstrip("/")
    session = get_session()
    try:
        issued = service_for(settings).issue(session, doc, f"{base}/verify/")
    except (SealError, SealingError, FontMissing) as exc:
        current_app.logger.error("certificate not sealed: %s", exc)
        raise UserError("seal_unavailable", "电子印章服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    # LD/T 01 6.3.2: every use of personal data is traced; the code itself stays out of the trail.
    record_operation(session, who.person_id, f"下载{doc.title}", channel=g.channel.value)
    session.commit()
    return Response(
        issued.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.filename}"',
            "Cache-Control": "no-store",
        },
    )


_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_S = {"type": "string"}

CERTIFICATE_SCHEMAS: dict[str, Any] = {
    "CertificateOffer": {
        "type": "object",
        "required": ["kind", "label", "hint", "item", "needs_period", "available", "download_url"],
        "properties": {
            "kind": {"type": "string", "enum": [o.kind.value for o in OFFERS]},
            "label": {"type": "string", "examples": ["个人参保证明"]},
            "hint": _S,
            "item": {"type": "object", "properties": {"id": _S, "name": _S}},
            "needs_period": {"type": "boolean", "description": "需选择起止月份（start、end）"},
            "default_period": {
                "type": ["object", "null"],
                "properties": {"start": {"type": "string", "examples": ["2025-01"]}, "end": _S},
            },
            "available": {"type": "boolean", "description": "后台是否有可出具的数据"},
            "unavailable_reason": {"type": ["string", "null"]},
            "download_url": {"type": "string", "examples": ["/api/v1/certificates/person_proof/pdf"]},
        },
    }
}

_PERIOD = {"type": "string", "pattern": "^[0-9]{4}-?[0-9]{2}$", "examples": ["2025-01"]}
CERTIFICATE_PATHS: dict[str, Any] = {
    "/api/v1/certificates": {
        "get": {
            "operationId": "listCertificates",
            "summary": "本人可下载的证明（LD/T 01 5.4.2.3）；需登录（安全级别 2）",
            "security": [{"bearer": []}],
            "responses": {
                "200": {
                    "description": "证明种类",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["documents"],
                                "properties": {
                                    "documents": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/CertificateOffer"},
                                    }
                                },
                            }
                        }
                    },
                },
                "401": {"description": "未登录或凭证过期", "content": _ERR},
                "403": {"description": "安全级别不足", "content": _ERR},
            },
        }
    },
    "/api/v1/certificates/{kind}/pdf": {
        "get": {
            "operationId": "downloadCertificate",
            "summary": "出具并下载加盖电子印章、带防伪码的 PDF 证明（LD/T 01 5.4.2.4）",
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": [o.kind.value for o in OFFERS]},
                },
                {"name": "start", "in": "query", "required": False, "schema": _PERIOD, "description": "起始月份"},
                {"name": "end", "in": "query", "required": False, "schema": _PERIOD, "description": "截止月份"},
            ],
            "responses": {
                "200": {
                    "description": "已盖章的 PDF",
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
                "400": {"description": "月份不正确或所选期间没有记录", "content": _ERR},
                "401": {"description": "未登录或凭证过期", "content": _ERR},
                "403": {"description": "安全级别不足", "content": _ERR},
                "404": {"description": "没有这种证明", "content": _ERR},
                "429": {"description": "下载过于频繁", "content": _ERR},
                "503": {"description": "电子印章服务暂时不可用", "content": _ERR},
            },
        }
    },
}


def init_app(app: Flask) -> None:
    from gateway import csrf

    # Bearer tokens only (no cookie path), so CSRF does not apply.
    csrf.exempt(bp)
    app.register_blueprint(bp)
