"""Checking a certificate anyone was handed (LD/T 01 5.4.2.4): by its anti-forgery code, or by the PDF itself.
One use case for the public /verify/ page and the /api/v1/verify operations; no login."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from esign.codes import CodeFormatError
from esign.contained import CheckRefused, Limits, Refusal, check_pdf_contained
from esign.models import CodeStatus
from esign.pki import SealError
from esign.render import as_of_sentence
from esign.service import CertificateService, Lookup, Outcome
from esign.validate import PdfCheck, PdfVerdict
from gateway import clock
from gateway.applications import notices
from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable
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
AGENCY_WITHDRAWN = "证明已撤回（本机构已撤回该份证明）"
RECORD_CHANGED = (
    "证明真实有效。出具之后，持证人的参保记录已有变化，证明上的内容可能与目前的记录不同；"
    "如需最新情况，请持证人重新打印证明。"
)
APPLICATION_CHANGED = (
    "凭证真实有效。出具之后，该申请的办理情况已有变化（例如已受理、已办结或补正了材料），"
    "凭证上的内容可能与目前的情况不同；如需最新情况，请申请人查看办理进度或出示最新的凭证。"
)
# Per address: a steady allowance for honest checks, and a much smaller one for misses, so a burst of guessed
# codes from one address is slowed down without touching anyone else.
LOOKUP_LIMIT = "60 per minute; 600 per hour"
MISS_LIMIT = "10 per minute; 50 per hour"
UPLOAD_LIMIT = "10 per minute; 100 per hour"
MAX_PDF = 10 * 1024 * 1024
CLIENT_BUCKETS = 4096  # lock files per client address hash: bounded, a rare collision only shares a turn
PDF_LIMITS = Limits()
REFUSED = {
    Refusal.TOO_COMPLEX: "文件结构过于复杂（嵌套过深或对象过多），无法核验。请上传本机构出具的 PDF 证明原件。",
    Refusal.TOO_SLOW: "文件未能在规定时间内完成核验，请确认上传的是本机构出具的 PDF 证明原件。",
}
CLIENT_BUSY = "您上传的上一个文件还在核验中，请稍候再试。"
ALL_BUSY = "证明核验服务繁忙，请稍后再试。"


def is_miss(response) -> bool:
    """A lookup that found nothing or could not be read: counted against the smaller allowance."""
    return response.status_code in (400, 404)


def by_code(db: Session, sealer: CertificateService, raw: str) -> Lookup:
    """What the anti-forgery code ``raw`` names; a clear 400 when it cannot be a code at all."""
    try:
        return sealer.lookup(db, raw)
    except CodeFormatError:
        raise UserError("bad_code", FORMAT_MESSAGE, 400) from None


def outcome_text(lookup: Lookup) -> str:
    """The verdict in words; a withdrawal says who withdrew it."""
    record = lookup.record
    if lookup.outcome is Outcome.WITHDRAWN and record is not None and record.withdrawn_by == "agency":
        return AGENCY_WITHDRAWN
    return OUTCOME_TEXT[lookup.outcome]


def as_of_text(day: date) -> str:
    """The date a certificate speaks for, as the verification answer says it."""
    return as_of_sentence(day)  # the words the certificate itself prints


def record_changed(
    backoffice: BackOffice, sealer: CertificateService, lookup: Lookup, session: Session | None = None
) -> bool | None:
    """Whether the record the document speaks for has changed since it was issued (None: cannot say — no version
    kept, or the core system does not answer): the holder's record in the core system for a certificate, the
    application for a receipt (with ``session``). Asked only of a genuine document."""
    record = lookup.record
    if lookup.outcome is not Outcome.GENUINE or record is None or not record.record_version:
        return None
    if record.kind in notices.RECEIPT_KINDS:
        return notices.receipt_changed(session, record.id, record.record_version) if session is not None else None
    holder = sealer.holder_of(record)
    if holder is None:
        return None
    try:
        now = backoffice.record_version(holder)
    except BackOfficeUnavailable as exc:
        log.warning("record version not known at verification: %s", exc)
        return None
    return now is None or now.version != record.record_version


def document_facts(
    lookup: Lookup,
    *,
    backoffice: BackOffice | None = None,
    sealer: CertificateService | None = None,
    session: Session | None = None,
) -> dict | None:
    """What the public may see of a found document (the holder masked), or None. With the back office and the
    sealer, also whether the record it speaks for has changed since issue (a receipt's application: ``session``)."""
    record = lookup.record
    if record is None or lookup.outcome is Outcome.NOT_FOUND:
        return None
    as_of = record.record_as_of or record.issued_on
    changed = (
        record_changed(backoffice, sealer, lookup, session) if backoffice is not None and sealer is not None else None
    )
    receipt = record.kind in notices.RECEIPT_KINDS
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
        "withdrawn_by": record.withdrawn_by if record.status is CodeStatus.WITHDRAWN else None,
        "as_of": as_of.isoformat(),
        "as_of_text": as_of_sentence(as_of, "凭证" if receipt else "证明"),
        "record_changed": changed,
        "record_changed_text": (APPLICATION_CHANGED if receipt else RECORD_CHANGED) if changed else None,
    }


def checked_upload(data: bytes | None) -> bytes:
    """The uploaded PDF's bytes, refused when missing or too large."""
    if not data:
        raise UserError("no_file", "请选择要核验的 PDF 证明文件。", 400)
    if len(data) > MAX_PDF:
        raise UserError("too_large", "文件过大：证明文件不超过 10 MB。", 413)
    return data


def _try_lock(path: Path, stack: ExitStack) -> bool:
    """Hold ``path``'s lock until ``stack`` closes (released by the kernel too if the process dies)."""
    handle: IO[bytes] = stack.enter_context(open(path, "a+b"))  # noqa: SIM115 - the stack closes it
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    stack.callback(fcntl.flock, handle.fileno(), fcntl.LOCK_UN)
    return True


def machine_turns(workers: int) -> int:
    """How many PDF checks may run at once on the machine: at most half the request workers wait on one (a
    ``shebao serve`` worker serves one request at a time), and no more than the CPUs."""
    return max(1, min(workers // 2, os.cpu_count() or 1))


@contextmanager
def check_turn(work_dir: Path, client: str, turns: int = 1) -> Iterator[None]:
    """One upload at a time per client address, and one of the machine's ``turns``, shared by every worker
    process (file locks under ``work_dir``); 429 when the client has a check running, 503 when every turn is
    taken. A burst of crafted files cannot hold every request worker."""
    folder = Path(work_dir) / "pdf-checks"
    folder.mkdir(parents=True, exist_ok=True)
    bucket = int.from_bytes(hashlib.sha256(client.encode()).digest()[:4], "big") % CLIENT_BUCKETS
    with ExitStack() as stack:
        if not _try_lock(folder / f"client-{bucket:04d}.lock", stack):
            raise UserError("check_in_progress", CLIENT_BUSY, 429)
        if not any(_try_lock(folder / f"slot-{n}.lock", stack) for n in range(turns)):
            raise UserError("checks_busy", ALL_BUSY, 503)
        yield


def by_pdf(
    db: Session, sealer: CertificateService, data: bytes, *, client: str, work_dir: Path, turns: int = 1
) -> tuple[PdfCheck, Lookup | None]:
    """Check the PDF's seal and whether it was changed, in a child process within limits and the client's turn;
    a sealed one is also looked up by its fingerprint."""
    try:
        roots = sealer.trust_roots()
    except SealError as exc:
        log.error("no seal to verify against: %s", exc)
        raise UserError("seal_unavailable", "证明核验服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    try:
        with check_turn(work_dir, client, turns):
            check = check_pdf_contained(data, roots, sealer.tsa_roots(), PDF_LIMITS)
    except CheckRefused as refused:
        log.info("upload refused: %s", refused.reason)
        raise UserError(f"pdf_{refused.reason.value}", REFUSED[refused.reason], 400) from None
    if check.verdict in (PdfVerdict.SEALED, PdfVerdict.MODIFIED):
        return check, sealer.by_fingerprint(db, check.fingerprint)
    return check, None
