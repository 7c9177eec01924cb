"""Checking a certificate anyone was handed (LD/T 01 5.4.2.4): by its anti-forgery code, or by the PDF itself.
One use case for the public /verify/ page and the /api/v1/verify operations; no login."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from esign.codes import CodeFormatError
from esign.pki import SealError
from esign.service import CertificateService, Lookup, Outcome
from esign.validate import PdfCheck, PdfVerdict, check_pdf
from gateway import clock
from gateway.problems import UserError

log = logging.getLogger("shebao.certificates")

FORMAT_MESSAGE = "防伪码由 18 位字母和数字组成（可带短横线），请对照证明核对后重新输入。"
OUTCOME_TEXT = {
    Outcome.GENUINE: "真实有效",
    Outcome.EXPIRED: "证明真实，但已超过有效期",
    Outcome.REVOKED: "证明已作废（本机构已更正或撤销该证明）",
    Outcome.WITHDRAWN: "证明已撤回（持证人已声明该份证明作废）",
    Outcome.NOT_FOUND: "未查到该防伪码",
}
# Per address: a steady allowance for honest checks, and a much smaller one for misses, so a burst of guessed
# codes from one address is slowed down without touching anyone else.
LOOKUP_LIMIT = "60 per minute; 600 per hour"
MISS_LIMIT = "10 per minute; 50 per hour"
UPLOAD_LIMIT = "10 per minute; 100 per hour"
MAX_PDF = 10 * 1024 * 1024


def is_miss(response) -> bool:
    """A lookup that found nothing or could not be read: counted against the smaller allowance."""
    return response.status_code in (400, 404)


def by_code(db: Session, sealer: CertificateService, raw: str) -> Lookup:
    """What the anti-forgery code ``raw`` names; a clear 400 when it cannot be a code at all."""
    try:
        return sealer.lookup(db, raw)
    except CodeFormatError:
        raise UserError("bad_code", FORMAT_MESSAGE, 400) from None


def document_facts(lookup: Lookup) -> dict | None:
    """What the public may see of a found document (the holder masked), or None."""
    record = lookup.record
    if record is None or lookup.outcome is Outcome.NOT_FOUND:
        return None
    return {
        "type": record.kind.value,
        "type_label": record.kind.label,
        "issuer": record.issuer,
        "issued_on": record.issued_on.isoformat(),
        "valid_until": record.expires_on.isoformat(),
        "holder": record.holder_masked,
        "facts": [{"label": k, "value": v} for k, v in lookup.facts],
        "fingerprint": record.fingerprint,
        "withdrawn_on": clock.format_beijing(record.withdrawn_at, "%Y-%m-%d") or None,
    }


def checked_upload(data: bytes | None) -> bytes:
    """The uploaded PDF's bytes, refused when missing or too large."""
    if not data:
        raise UserError("no_file", "请选择要核验的 PDF 证明文件。", 400)
    if len(data) > MAX_PDF:
        raise UserError("too_large", "文件过大：证明文件不超过 10 MB。", 413)
    return data


def by_pdf(db: Session, sealer: CertificateService, data: bytes) -> tuple[PdfCheck, Lookup | None]:
    """Check the PDF's seal and whether it was changed; a sealed one is also looked up by its fingerprint."""
    try:
        roots = sealer.trust_roots()
    except SealError as exc:
        log.error("no seal to verify against: %s", exc)
        raise UserError("seal_unavailable", "证明核验服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    check = check_pdf(data, roots, sealer.tsa_roots())
    if check.verdict in (PdfVerdict.SEALED, PdfVerdict.MODIFIED):
        return check, sealer.by_fingerprint(db, check.fingerprint)
    return check, None
