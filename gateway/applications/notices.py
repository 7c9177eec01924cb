"""Receipts for an application (办理凭证类, LD/T 01 5.3.1 d, 5.4.2.2 a–c): the acceptance notice (受理通知单),
the result notice (结果告知单) and, for a transfer, the contribution voucher (参保缴费凭证).

Each is issued once per application and kind: the sealed PDF is kept (``esign_files``) and every later
download hands out the same file with the same anti-forgery code. No Flask here.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from esign.codes import DocumentKind
from esign.documents import Document, DocumentError
from esign.fonts import FontMissing
from esign.models import CodeStatus, IssuedDocument, Receipt, StoredPdf
from esign.pki import SealError
from esign.service import CertificateService
from esign.signer import SealingError
from gateway import clock
from gateway.actor import Actor, audit
from gateway.applications import service as applications
from gateway.applications.models import Application, ApplicationStatus
from gateway.backoffice.interface import BackOffice, ContributionRecord
from gateway.backoffice.models import Scheme as BoScheme
from gateway.catalog import load_catalog
from gateway.identity.models import EventKind, Person
from gateway.identity.service import identity_of, record_event
from gateway.problems import UserError
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, StaffRole

log = logging.getLogger("shebao.esign")

RECEIPT_KINDS = (DocumentKind.ACCEPTANCE_NOTICE, DocumentKind.RESULT_NOTICE, DocumentKind.TRANSFER_VOUCHER)
#: Transfers whose voucher this agency (the transfer-out side) issues, and the scheme it covers
#: (GB/T 31621 7.2.2: the transfer-out agency checks the contribution record and produces the forms).
TRANSFER_ITEMS = {
    "pension-transfer-out": BoScheme.PENSION,
    "unemployment-transfer": BoScheme.UNEMPLOYMENT,
    "medical-transfer": BoScheme.MEDICAL,
}
ID_LABEL = "公民身份号码"
NOT_YET = {
    DocumentKind.ACCEPTANCE_NOTICE: "该申请尚未受理，受理后才能下载受理通知单。",
    DocumentKind.RESULT_NOTICE: "该申请尚未办结，办结后才能下载结果告知单。",
    DocumentKind.TRANSFER_VOUCHER: "参保缴费凭证在转移申请受理后提供；不予办理的申请没有缴费凭证。",
}


@dataclass(frozen=True)
class ReceiptFile:
    """A receipt ready to hand out: the kept PDF and its record."""

    kind: DocumentKind
    document_id: int
    filename: str
    pdf: bytes


def _rejected(app: Application) -> bool:
    # An archived application keeps its decision only in the timeline.
    return app.status is ApplicationStatus.REJECTED or any(e.status is ApplicationStatus.REJECTED for e in app.events)


def available(app: Application) -> tuple[DocumentKind, ...]:
    """The receipts ``app`` has at its present stage, in the order it reached them."""
    out: list[DocumentKind] = []
    if app.number is None:
        return ()
    if app.accepted_at is not None:
        out.append(DocumentKind.ACCEPTANCE_NOTICE)
    if app.status.closed and app.decided_at is not None:
        out.append(DocumentKind.RESULT_NOTICE)
    if app.item_id in TRANSFER_ITEMS and app.accepted_at is not None and not _rejected(app):
        out.append(DocumentKind.TRANSFER_VOUCHER)
    return tuple(out)


def applicant_id_number(vault: PiiVault, person: Person) -> str:
    """The applicant's whole ID number: the holder digest needs it (printed only masked)."""
    return identity_of(vault, person).id_number


def _day(value: datetime | date | None) -> str:
    """A date, or the Beijing date of an instant."""
    return clock.format_beijing(value, "%Y年%m月%d日", "—")


def _minute(value: datetime | None) -> str:
    """An instant in Beijing time."""
    return clock.format_beijing(value, "%Y-%m-%d %H:%M", "—")


def _due(data: dict) -> str:
    if not data["due_date"]:
        return "—"
    return _day(data["due_date"]) + ("前（暂定：该年度节假日安排尚未公布）" if data["due_provisional"] else "前")


def acceptance_notice(data: dict, id_number: str) -> Document:
    """受理通知单 (LD/T 01 5.4.2.2 a; GB/T 31621 5.2.1 受理) from :func:`applications.receipt_data`."""
    if not data["accepted_at"]:
        raise DocumentError("not_available", NOT_YET[DocumentKind.ACCEPTANCE_NOTICE])
    due = _due(data)
    limit = f"本机构将于{due}办结" if data["due_date"] else "本机构将依法及时办结"
    rows = [
        ("申请编号", data["number"]),
        ("申请事项", data["item_name"]),
        ("申请时间", _minute(data["submitted_at"])),
        ("受理时间", _minute(data["accepted_at"])),
        ("受理部门", f"{data['agency']}{data['department']}"),
        ("办结时限", due),
    ]
    rows += [("申请材料", m) for m in data["materials"]] or [("申请材料", "无需另行提交（已通过实名认证核验身份）")]
    return Document(
        kind=DocumentKind.ACCEPTANCE_NOTICE,
        holder_name=data["applicant_name"],
        holder_id=id_number,
        id_label=ID_LABEL,
        intro=(
            f"{data['applicant_name']}：您于{_day(data['submitted_at'])}通过网上服务系统提交的“{data['item_name']}”"
            f"申请（申请编号 {data['number']}），经审查符合受理条件，本机构已于{_day(data['accepted_at'])}受理。"
            f"{limit}，办理进度可凭申请编号查询。特此通知。"
        ),
        columns=("项目", "内容"),
        rows=tuple(rows),
        facts=(
            ("申请编号", data["number"]),
            ("申请事项", data["item_name"]),
            ("受理日期", _day(data["accepted_at"])),
            ("办结时限", due),
        ),
        scope=data["number"],
        widths=(0.28, 0.72),
        noun="凭证",
    )


def result_notice(data: dict, id_number: str, *, approved: bool) -> Document:
    """结果告知单 (LD/T 01 5.4.2.2 b): the decision, and for a refusal its reason and the way to appeal."""
    if not data["decided_at"]:
        raise DocumentError("not_available", NOT_YET[DocumentKind.RESULT_NOTICE])
    outcome = "准予办理" if approved else "不予办理"
    result = (data["result"] or "").strip()
    if result and result[-1] not in "。！？.!?":
        result += "。"
    if approved:
        verdict = f"经审核，准予办理。{result}"
    else:
        verdict = f"经审核，不予办理，理由：{result}如对本决定有异议，可以依法申请行政复议或者提起行政诉讼。"
    return Document(
        kind=DocumentKind.RESULT_NOTICE,
        holder_name=data["applicant_name"],
        holder_id=id_number,
        id_label=ID_LABEL,
        intro=(
            f"{data['applicant_name']}：您提交的“{data['item_name']}”申请（申请编号 {data['number']}）"
            f"已于{_day(data['decided_at'])}办结。{verdict}特此告知。"
        ),
        columns=("项目", "内容"),
        rows=(
            ("申请编号", data["number"]),
            ("申请事项", data["item_name"]),
            ("申请时间", _minute(data["submitted_at"])),
            ("受理时间", _minute(data["accepted_at"]) if data["accepted_at"] else "提交即受理（即时办理）"),
            ("办结时间", _minute(data["decided_at"])),
            ("办理结果", outcome),
            ("结果说明" if approved else "不予办理理由", result or "—"),
            ("办理部门", f"{data['agency']}{data['department']}"),
        ),
        facts=(
            ("申请编号", data["number"]),
            ("申请事项", data["item_name"]),
            ("办结日期", _day(data["decided_at"])),
            ("办理结果", outcome),
        ),
        scope=data["number"],
        widths=(0.28, 0.72),
        noun="凭证",
    )


def _contributions(bo: BackOffice, id_number: str, scheme: BoScheme) -> list[ContributionRecord]:
    records: list[ContributionRecord] = []
    page = 1
    while True:
        result = bo.contributions(id_number, page, 200)
        records.extend(r for r in result.items if r.scheme is scheme)
        if not result.has_next:
            return records
        page += 1


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def transfer_voucher(bo: BackOffice, data: dict, id_number: str, destination: str) -> Document:
    """参保缴费凭证 (LD/T 01 5.4.2.2 c): the contributions of the transferred scheme, year by year, with the
    registration and (pension) the personal account, as the transfer-out side confirms them (GB/T 31621 7.2.2)."""
    scheme = TRANSFER_ITEMS.get(data["item_id"])
    if scheme is None:
        raise DocumentError("not_transfer", "只有社会保险关系转移申请才有参保缴费凭证。")
    if not data["accepted_at"] or data["status"] == ApplicationStatus.REJECTED.value:
        raise DocumentError("not_available", NOT_YET[DocumentKind.TRANSFER_VOUCHER])
    records = _contributions(bo, id_number, scheme)
    if not records:
        message = f"没有查到您的{scheme.label}缴费记录，无法出具参保缴费凭证。请拨打 12333 咨询。"
        raise DocumentError("no_records", message)
    years: dict[int, list[ContributionRecord]] = defaultdict(list)
    for r in records:
        years[r.period // 100].append(r)
    rows = []
    for year in sorted(years):
        rs = years[year]
        rows.append(
            (
                f"{year}年",
                f"{min(r.period for r in rs) % 100:02d}—{max(r.period for r in rs) % 100:02d}月",
                str(len({r.period for r in rs})),
                _money(sum((r.base for r in rs), Decimal(0)) / len(rs)),
                _money(sum((r.unit_amount for r in rs), Decimal(0))),
                _money(sum((r.person_amount for r in rs), Decimal(0))),
            )
        )
    months = len({r.period for r in records})
    first, last = min(r.period for r in records), max(r.period for r in records)
    regs = [r for r in bo.registrations(id_number) if r.scheme is scheme]
    since = min((r.start_date for r in regs), default=None)
    facts = [
        ("申请编号", data["number"]),
        ("转移险种", scheme.label),
        ("转入地", destination or "—"),
        ("缴费期间", f"{first // 100}年{first % 100:02d}月至{last // 100}年{last % 100:02d}月"),
        ("实际缴费月数", f"{months} 个月"),
    ]
    account = bo.account(id_number) if scheme is BoScheme.PENSION else None
    if account is not None:
        facts.append(("个人账户储存额", f"{_money(account.balance)} 元（截至{_day(account.as_of)}）"))
    return Document(
        kind=DocumentKind.TRANSFER_VOUCHER,
        holder_name=data["applicant_name"],
        holder_id=id_number,
        id_label=ID_LABEL,
        intro=(
            f"{data['applicant_name']}{f'自{_day(since)}起' if since else ''}在本机构参加{scheme.label}。"
            f"其“{data['item_name']}”申请（申请编号 {data['number']}）已受理，转入地：{destination or '—'}。"
            f"经核对，缴费情况如下，实际缴费 {months} 个月。"
            + (f"个人账户储存额 {_money(account.balance)} 元。" if account is not None else "")
        ),
        columns=("年度", "缴费月份", "缴费月数", "月均缴费基数", "单位缴纳", "个人缴纳"),
        rows=tuple(rows),
        facts=tuple(facts),
        scope=data["number"],
        widths=(0.14, 0.18, 0.14, 0.2, 0.17, 0.17),
        noun="凭证",
    )


def build(
    kind: DocumentKind, app: Application, *, vault: PiiVault, person: Person, backoffice: BackOffice, agency: str
) -> Document:
    """The receipt ``kind`` of ``app`` (DocumentError if it has none at this stage)."""
    if kind not in available(app):
        raise DocumentError("not_available", NOT_YET.get(kind, "该申请没有这种凭证。"))
    data = applications.receipt_data(app, vault, person, agency)
    id_number = applicant_id_number(vault, person)
    if kind is DocumentKind.ACCEPTANCE_NOTICE:
        return acceptance_notice(data, id_number)
    if kind is DocumentKind.RESULT_NOTICE:
        return result_notice(data, id_number, approved=not _rejected(app))
    destination = applications.form_values(app).get("destination", "")
    return transfer_voucher(backoffice, data, id_number, destination)


def _existing(session: Session, app: Application, kind: DocumentKind) -> ReceiptFile | None:
    row = session.execute(
        select(Receipt.document_id, StoredPdf.filename, StoredPdf.pdf)
        .join(StoredPdf, StoredPdf.document_id == Receipt.document_id)
        .where(Receipt.application_id == app.id, Receipt.kind == kind)
    ).first()
    return ReceiptFile(kind, row.document_id, row.filename, row.pdf) if row else None


def withdraw_voucher(session: Session, app: Application) -> bool:
    """A transfer refused after its contribution voucher was issued: the voucher no longer stands, so its code
    answers "revoked" on /verify/ from now on. True if there was one. Flushes; the caller's transaction commits
    (with the refusal it belongs to)."""
    document_id = session.scalar(
        select(Receipt.document_id).where(
            Receipt.application_id == app.id, Receipt.kind == DocumentKind.TRANSFER_VOUCHER
        )
    )
    if document_id is None:
        return False
    session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.id == document_id, IssuedDocument.status == CodeStatus.VALID)
        .values(status=CodeStatus.REVOKED_SUPERSEDED)
    )
    session.flush()
    return True


def _filename(app: Application, kind: DocumentKind) -> str:
    return f"{kind.value}-{app.number}.pdf"


def application_version(app: Application) -> str:
    """Where ``app`` stands: changes with every step of its handling (a status, a supplement, a decision), as a
    person's record version changes with every change to the record. A receipt keeps the version it spoke for."""
    steps = sorted(e.id for e in app.events)
    state = f"{app.id}|{app.status.value}|{len(steps)}|{steps[-1] if steps else 0}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def receipt_changed(session: Session, document_id: int, version: str | None) -> bool | None:
    """Whether the application a receipt was issued for has moved on since (None: not a receipt, or no version
    kept). Verification says so, as it does for a certificate whose holder's record has changed."""
    if not version:
        return None
    app = session.scalar(
        select(Application)
        .join(Receipt, Receipt.application_id == Application.id)
        .where(Receipt.document_id == document_id)
    )
    return None if app is None else application_version(app) != version


def receipt(
    session: Session,
    certificates: CertificateService,
    app: Application,
    kind: DocumentKind,
    *,
    vault: PiiVault,
    person: Person,
    backoffice: BackOffice,
    verify_url: str,
    today: date | None = None,
) -> tuple[ReceiptFile, bool]:
    """The receipt ``kind`` of ``app``, issued and sealed on first request, the kept file afterwards.
    Returns the file and whether it was issued just now. DocumentError when the stage has not come (or is
    gone: a transfer refused after its voucher was issued no longer hands the voucher out)."""
    if kind not in available(app):
        raise DocumentError("not_available", NOT_YET.get(kind, "该申请没有这种凭证。"))
    found = _existing(session, app, kind)
    if found is not None:
        return found, False
    doc = build(kind, app, vault=vault, person=person, backoffice=backoffice, agency=certificates.config.agency)
    today = today or clock.today()
    # A receipt speaks for the application as it stands today: the page says so, and the version kept lets
    # verification tell a reader when the application has moved on (an acceptance notice after the decision).
    issued = certificates.issue(session, doc, verify_url, today, record_as_of=today)
    certificates.remember_record(issued.record, doc.holder_id, application_version(app), today)
    name = _filename(app, kind)
    session.add(StoredPdf(document_id=issued.record.id, filename=name, pdf=issued.pdf))
    session.add(Receipt(application_id=app.id, kind=kind, document_id=issued.record.id))
    try:
        session.flush()
    except IntegrityError:
        # Two first downloads at once: the other one won; ours (code and all) is rolled back unseen.
        session.rollback()
        found = _existing(session, app, kind)
        if found is None:
            raise
        return found, False
    log.info("receipt issued kind=%s application=%s", kind.value, app.number)
    return ReceiptFile(kind, issued.record.id, name, issued.pdf), True


__all__ = [
    "RECEIPT_KINDS",
    "TRANSFER_ITEMS",
    "ReceiptFile",
    "application_version",
    "available",
    "build",
    "receipt",
    "receipt_changed",
]


def receipt_kind(raw: str) -> DocumentKind:
    """The receipt kind named in a URL; "not found" for anything else."""
    try:
        kind = DocumentKind(raw)
    except ValueError:
        kind = None
    if kind not in RECEIPT_KINDS:
        raise UserError("not_found", "没有这种办理凭证。", 404)
    return kind


def _staff_may_see(actor: Actor, app: Application) -> bool:
    """A reviewer or supervisor of the department that handles ``app``."""
    if not actor.holds(StaffRole.REVIEWER, StaffRole.SUPERVISOR) or actor.staff_department is None:
        return False
    return actor.staff_department == applications.department_for(load_catalog().get(app.item_id))


def hand_out(
    session: Session,
    actor: Actor,
    number: str,
    kind: DocumentKind,
    *,
    certificates: CertificateService,
    vault: PiiVault,
    backoffice: BackOffice,
    verify_url: str,
    today: date,
) -> ReceiptFile:
    """The one use case behind every receipt download: the applicant's own, or a handling department's staff
    member's; anyone else is told the application does not exist. Issued on first request, traced to the
    applicant's operation log every time (LD/T 01 6.3.2), audited when staff take it."""
    app = applications.by_number(session, number)
    staff = app is not None and actor.is_staff and _staff_may_see(actor, app)
    if app is None or not (staff or (actor.person is not None and app.person_id == actor.person.person_id)):
        raise UserError("not_found", "没有找到该申请。", 404)
    try:
        file, fresh = receipt(
            session,
            certificates,
            app,
            kind,
            vault=vault,
            person=session.get(Person, app.person_id),
            backoffice=backoffice,
            verify_url=verify_url,
            today=today,
        )
    except DocumentError as exc:
        raise UserError(exc.code, exc.message, 404 if exc.code == "no_records" else 409) from exc
    except (SealError, SealingError, FontMissing) as exc:
        log.error("receipt not sealed: %s", exc)
        raise UserError("seal_unavailable", "电子印章服务暂时不可用，请稍后再试或拨打 12333。", 503) from exc
    by_staff = "，工作人员" if staff else ""
    record_event(
        session,
        EventKind.OPERATION,
        person_id=app.person_id,
        channel=actor.channel.value,
        ip=actor.ip,
        detail=f"{'出具' if fresh else '下载'}{kind.label}（{app.number}）{by_staff}",
    )
    if staff:
        audit(session, actor, AuditAction.VIEWED, person_id=app.person_id, detail=f"下载 {app.number} 的{kind.label}")
    return file
