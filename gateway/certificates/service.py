"""证明打印 (LD/T 01 5.4.2) as one use case: build the document from the back office, seal it with an
anti-forgery code (5.4.2.4), trace the use of personal data (6.3.2) — for the web, the mini-program, the kiosk
and the 12333 console alike. Channels only choose the kind and period and render the answer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from esign import documents, links, stored
from esign.codes import DocumentKind
from esign.documents import Document, DocumentError
from esign.fonts import FontMissing
from esign.models import CodeStatus, IssuedDocument
from esign.pki import SealError
from esign.service import CertificateService, IssuedPdf
from esign.signer import SealingError
from gateway import clock
from gateway.actor import Actor, audit
from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable, RecordVersion
from gateway.catalog.model import Channel
from gateway.config import Settings
from gateway.identity.service import record_operation
from gateway.problems import UserError
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import mask_phone
from notify import MessageKind, TemplateError, enqueue

log = logging.getLogger("shebao.certificates")

#: What a person can have issued for themselves; the unit proof needs a unit login.
PERSON_KINDS = (DocumentKind.PERSON_PROOF, DocumentKind.CONTRIBUTION_RECORD, DocumentKind.BENEFIT_PAYMENTS)
PERIOD_KINDS = frozenset({DocumentKind.CONTRIBUTION_RECORD, DocumentKind.BENEFIT_PAYMENTS})
CHOOSE = "请选择要打印的证明。"
REASON_MAX = 200
REASON_MISSING = "请填写撤回原因，例如“证明遗失”或“已不再需要”。"
REASON_TOO_LONG = f"撤回原因不超过 {REASON_MAX} 个字。"
NOT_WITHDRAWABLE = "该证明不存在、不属于您，或已失效、已撤回，无法撤回。"


class SealUnavailable(UserError):
    """The seal (or the CJK font it renders with) cannot be used right now: nothing was issued."""

    def __init__(self) -> None:
        super().__init__("seal_unavailable", "电子印章服务暂时不可用，请稍后再试或拨打 12333。", 503)


@dataclass(frozen=True)
class Wanted:
    """The document asked for: its kind and, for the kinds that have one, the period (``YYYY-MM``)."""

    kind: str
    start: str | None = None
    end: str | None = None


def kind_of(raw: str) -> DocumentKind:
    """The person document kind named by ``raw``; DocumentError("kind") otherwise."""
    try:
        kind = DocumentKind(raw)
    except ValueError:
        raise DocumentError("kind", CHOOSE) from None
    if kind not in PERSON_KINDS:
        raise DocumentError("kind", CHOOSE)
    return kind


def document_for(backoffice: BackOffice, actor: Actor, wanted: Wanted) -> Document:
    """What the document will say, for the person the actor acts for (the preview). DocumentError for bad
    choices or a period without records."""
    subject = actor.subject
    if subject is None:
        raise UserError("login_required", "请先登录。", 401)
    kind = kind_of(wanted.kind)
    if kind is DocumentKind.PERSON_PROOF:
        return documents.person_proof(backoffice, subject.id_number)
    start, end = documents.parse_period(wanted.start), documents.parse_period(wanted.end)
    if kind is DocumentKind.CONTRIBUTION_RECORD:
        return documents.contribution_record(backoffice, subject.id_number, start, end)
    return documents.benefit_payments(backoffice, subject.id_number, start, end)


def _verb(channel: Channel) -> str:
    return "打印" if channel is Channel.KIOSK else "下载"


def issue(
    db: Session,
    actor: Actor,
    wanted: Wanted,
    *,
    backoffice: BackOffice,
    sealer: CertificateService,
    verify_url: str,
    keep: bool = False,
) -> IssuedPdf:
    """Build, seal and record the document, and trace its use in the person's operation trail — all in the
    request's transaction (flushed, not committed). ``keep`` also stores the PDF for a download link."""
    doc = document_for(backoffice, actor, wanted)
    version = _record_version(backoffice, doc)
    as_of = version.as_of if version is not None else clock.today()
    try:
        # The page prints the date it speaks for, the same date verification later names.
        issued = sealer.issue(db, doc, verify_url, record_as_of=as_of)
    except (SealError, SealingError, FontMissing) as exc:
        log.error("certificate not sealed: %s", exc)
        raise SealUnavailable from exc
    sealer.remember_record(issued.record, doc.holder_id, version.version if version else None, as_of)
    if keep:
        stored.keep(db, issued)
    # LD/T 01 6.3.2: every use of personal data is traced; the anti-forgery code itself stays out of the trail.
    record_operation(db, actor.subject_id, f"{_verb(actor.channel)}{doc.title}", channel=actor.channel.value)
    return issued


def _record_version(backoffice: BackOffice, doc: Document) -> RecordVersion | None:
    """The holder's record version and the date it speaks for, asked before sealing, so the page can print the
    date and verification can later say whether the record has changed. A core system that cannot say now leaves
    the version out (the certificate is still issued, speaking for today; verification then only gives the date)."""
    try:
        return backoffice.record_version(doc.holder_id)
    except BackOfficeUnavailable as exc:
        log.warning("record version not known at issue: %s", exc)
        return None


@dataclass(frozen=True)
class LinkSent:
    hours: int
    masked_phone: str


def send_link(
    db: Session,
    actor: Actor,
    wanted: Wanted,
    *,
    backoffice: BackOffice,
    sealer: CertificateService,
    settings: Settings,
    base_url: str,
    phone: str,
) -> LinkSent:
    """A 12333 agent has the caller's document sealed and its expiring download link texted to the caller's
    registered ``phone``; the agent never sees the link or the full number. Audited, naming agent and caller."""
    issued = issue(db, actor, wanted, backoffice=backoffice, sealer=sealer, verify_url=f"{base_url}/verify/", keep=True)
    hours = max(1, round(settings.download_link_ttl_s / 3600))
    link = links.download_link(settings, issued.record.id, base_url=base_url)
    try:
        enqueue(
            db,
            person_id=actor.subject_id,
            kind=MessageKind.DOCUMENT_LINK,
            template="certificate_link",
            params={"document": DocumentKind(wanted.kind).label, "link": link, "hours": str(hours)},
            idempotency_key=f"hotline-link:{issued.record.id}",
        )
    except TemplateError as exc:  # e.g. a public URL too long for one text
        log.error("download link not queued: %s", exc)
        raise UserError("link_too_long", "下载链接过长，无法用短信发送，请联系系统管理员。", 500) from exc
    masked = mask_phone(phone)
    audit(
        db,
        actor,
        AuditAction.LINK_SENT,
        detail=f"代来电人开具{DocumentKind(wanted.kind).label}，下载链接（{hours} 小时内有效）短信发往 {masked}",
    )
    return LinkSent(hours, masked)


def _subject_id_number(actor: Actor) -> str:
    subject = actor.subject
    if subject is None:
        raise UserError("login_required", "请先登录。", 401)
    return subject.id_number


def issued_to(db: Session, actor: Actor, *, sealer: CertificateService) -> list[IssuedDocument]:
    """The certificates issued to the person the actor acts for, newest first."""
    return sealer.issued_to(db, _subject_id_number(actor), PERSON_KINDS)


def withdrawable(db: Session, actor: Actor, document_id: int, *, sealer: CertificateService) -> IssuedDocument:
    """The actor's own certificate ``document_id`` if it can still be withdrawn; UserError(404) otherwise."""
    for record in issued_to(db, actor, sealer=sealer):
        if record.id == document_id and record.status is CodeStatus.VALID:
            return record
    raise UserError("not_withdrawable", NOT_WITHDRAWABLE, 404)


def checked_reason(raw: str) -> str:
    """The withdrawal reason, trimmed; UserError when empty or too long."""
    reason = " ".join(raw.split())
    if not reason:
        raise UserError("reason_missing", REASON_MISSING, 400)
    if len(reason) > REASON_MAX:
        raise UserError("reason_too_long", REASON_TOO_LONG, 400)
    return reason


def withdraw(db: Session, actor: Actor, document_id: int, reason: str, *, sealer: CertificateService) -> IssuedDocument:
    """The person withdraws one certificate issued to them, for a reason: from now on /verify/ answers
    "withdrawn" for that one only. Traced in the person's operation trail; flushed, not committed."""
    reason = checked_reason(reason)
    record = sealer.withdraw(db, _subject_id_number(actor), document_id, reason)
    if record is None:
        raise UserError("not_withdrawable", NOT_WITHDRAWABLE, 404)
    record_operation(
        db,
        actor.subject_id,
        f"撤回{record.kind.label}（{record.issued_on:%Y-%m-%d} 出具）",
        channel=actor.channel.value,
    )
    return record


NOT_SUPERVISOR = "只有复核主管岗位可以代经办机构撤回证明。"


def withdraw_by_agency(
    db: Session, actor: Actor, document_id: int, reason: str, *, sealer: CertificateService
) -> IssuedDocument:
    """A supervisor withdraws, for the agency, one certificate issued to the verified caller, for a reason (a copy
    misused, issued in error): /verify/ then answers "withdrawn by the agency" for that one only. Audited naming the
    staff member and the person, traced in the person's trail, and the person told (notify); flushed, not committed."""
    if not actor.holds(StaffRole.SUPERVISOR):
        raise UserError("not_supervisor", NOT_SUPERVISOR, 403)
    reason = checked_reason(reason)
    record = sealer.withdraw(db, _subject_id_number(actor), document_id, reason, by="agency")
    if record is None:
        raise UserError("not_withdrawable", NOT_WITHDRAWABLE, 404)
    issued = f"{record.issued_on.year}年{record.issued_on.month}月{record.issued_on.day}日"
    audit(
        db, actor, AuditAction.CERTIFICATE_WITHDRAWN, detail=f"撤回{record.kind.label}（{issued}出具），原因：{reason}"
    )
    record_operation(
        db, actor.subject_id, f"经办机构撤回{record.kind.label}（{issued}出具）", channel=actor.channel.value
    )
    enqueue(
        db,
        person_id=actor.subject_id,
        kind=MessageKind.ACCOUNT_CHANGE,
        template="certificate_withdrawn",
        params={"document": record.kind.label[:10], "issued": issued, "reason": reason[:40]},
        idempotency_key=f"certificate-withdrawn:{record.id}",
        link="/certificates/",
    )
    return record
