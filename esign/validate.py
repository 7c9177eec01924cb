"""Check an uploaded certificate PDF (LD/T 01 5.4.2.4): the agency's seal, intact, unchanged since sealing."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from esign._loop import outside_event_loop

log = logging.getLogger("shebao.esign")


class PdfVerdict(StrEnum):
    """What the seal check says about an uploaded file, before the code look-up."""

    SEALED = "sealed"  # the agency's seal, intact, nothing changed after sealing
    MODIFIED = "modified"  # a valid seal, but the file was changed afterwards (pages added, …)
    BROKEN = "broken"  # the sealed bytes were altered: the signature no longer matches
    UNTRUSTED = "untrusted"  # a seal, but not by a key our agency roots vouch for
    UNSEALED = "unsealed"  # no seal at all
    UNREADABLE = "unreadable"  # not a PDF we can read


MESSAGES = {
    PdfVerdict.SEALED: "电子印章有效，文件盖章后未被修改。",
    PdfVerdict.MODIFIED: "电子印章本身有效，但文件在盖章后被修改过（例如增加了页面），不能作为有效证明。",
    PdfVerdict.BROKEN: "电子印章校验失败：文件内容在盖章后被篡改。",
    PdfVerdict.UNTRUSTED: "文件上的电子签章不是本机构的电子印章，不能作为本机构出具的证明。",
    PdfVerdict.UNSEALED: "文件上没有电子印章。",
    PdfVerdict.UNREADABLE: "无法读取该文件，请上传本机构出具的 PDF 证明原件。",
}


@dataclass(frozen=True)
class PdfCheck:
    verdict: PdfVerdict
    fingerprint: str  # SHA-256 of the uploaded bytes
    signer: str = ""
    signed_at: str = ""
    timestamp_trusted: bool = False

    @property
    def message(self) -> str:
        return MESSAGES[self.verdict]


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _context(roots: tuple[x509.Certificate, ...], moment: datetime | None = None) -> ValidationContext:
    # No network and no revocation data (the embedded CA publishes none): like `--no-revocation-check`.
    return ValidationContext(
        trust_roots=[_asn1(c) for c in roots], allow_fetching=False, revocation_mode="soft-fail", moment=moment
    )


def check_pdf(data: bytes, roots: tuple[x509.Certificate, ...], tsa_roots: tuple[x509.Certificate, ...]) -> PdfCheck:
    """Validate the last seal of ``data`` against the agency ``roots`` (timestamps against ``tsa_roots``)."""
    fingerprint = hashlib.sha256(data).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.info("unreadable upload: %s", exc)
        return PdfCheck(PdfVerdict.UNREADABLE, fingerprint)
    if not sigs:
        return PdfCheck(PdfVerdict.UNSEALED, fingerprint)
    sig = sigs[0]  # the seal is the document's first (and only) signature
    try:
        status: PdfSignatureStatus = outside_event_loop(
            lambda: validate_pdf_signature(
                sig, signer_validation_context=_context(roots), ts_validation_context=_context(tsa_roots)
            )
        )
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        log.info("seal validation error: %s", exc)
        return PdfCheck(PdfVerdict.BROKEN, fingerprint)
    ts = status.timestamp_validity
    if status.intact and status.valid and not status.trusted and ts is not None and ts.valid and ts.trusted:
        # PAdES B-T: a seal certificate that has expired since (LD/T 01 6.2.7, rotation) is judged at the
        # trusted timestamp's time, when it was in force.
        at_signing = outside_event_loop(
            lambda: validate_pdf_signature(
                sig,
                signer_validation_context=_context(roots, ts.timestamp),
                ts_validation_context=_context(tsa_roots),
            )
        )
        if at_signing.trusted:
            status = at_signing
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    signed_at = ts.timestamp.isoformat() if ts is not None else ""
    common = {
        "fingerprint": fingerprint,
        "signer": signer,
        "signed_at": signed_at,
        "timestamp_trusted": bool(ts and ts.valid and ts.trusted),
    }
    if not (status.intact and status.valid):
        return PdfCheck(PdfVerdict.BROKEN, **common)
    if not status.trusted:
        return PdfCheck(PdfVerdict.UNTRUSTED, **common)
    # PAdES B-LT adds its validation data (DSS) in a revision after the seal; nothing else may follow.
    dss_only = status.coverage.name == "ENTIRE_REVISION" and status.modification_level is ModificationLevel.LTA_UPDATES
    if not status.docmdp_ok or not (status.coverage.name == "ENTIRE_FILE" or dss_only):
        return PdfCheck(PdfVerdict.MODIFIED, **common)
    return PdfCheck(PdfVerdict.SEALED, **common)
