"""The list of serious dishonesty (LD/T 01 5.6.3; GB/T 31621 clause 19; Regulation Art. 45): staff list a unit or a
person on the basis of a legal document (its number and date are required) for a publication period; the public
page shows only the name, the code as the rules allow (a person's ID number masked, Art. 49), the behaviour, the
legal basis and the dates; the listed party applies online for repair; a granted repair, like the end of the
period, takes the entry off the public page at once, and every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.actor import Actor, audit
from gateway.problems import UserError
from gateway.public_info.models import (
    CreditEntry,
    CreditParty,
    CreditRemoval,
    CreditRepair,
    CreditStatus,
    RepairStatus,
)
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction
from gateway.staff.service import audit as staff_audit
from gateway.validation import (
    ValidationError,
    mask_id_number,
    normalize_credit_code,
    normalize_id_number,
    parse_date,
)

STATEMENT_MAX = 500
#: GB/T 31621 19: a listing is published for a set period; the longest this gateway accepts.
MAX_PUBLICATION_DAYS = 5 * 366


class CreditRefused(UserError):
    """A listing or repair step that cannot be done, with the reason."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True)
class ListingInput:
    """What staff type to list a party (strings as typed; checked by :func:`check`)."""

    party: str
    name: str
    code: str
    behaviour: str
    legal_basis: str
    document_number: str
    document_date: str
    publish_until: str


@dataclass(frozen=True)
class CheckedListing:
    party: CreditParty
    code: str
    document_date: date
    publish_until: date


def check(value: ListingInput, today: date) -> tuple[list[tuple[str, str]], CheckedListing | None]:
    """Every problem with a listing, each tied to its form field (all at once), and the parsed values."""
    problems: list[tuple[str, str]] = []
    try:
        party = CreditParty(value.party)
    except ValueError:
        party = None
        problems.append(("party", "请选择列入对象是单位还是个人。"))
    for field, name, limit in (
        ("name", "单位名称或姓名", 80),
        ("behaviour", "失信行为", 1000),
        ("legal_basis", "法律依据", 200),
        ("document_number", "认定文书编号", 80),
    ):
        text = getattr(value, field).strip()
        if not text:
            problems.append((field, f"请填写{name}。"))
        elif len(text) > limit:
            problems.append((field, f"{name}不能超过 {limit} 个字。"))
    code = ""
    try:
        if party is CreditParty.UNIT:
            code = normalize_credit_code(value.code)
        elif party is CreditParty.PERSON:
            code = normalize_id_number(value.code)
    except ValidationError as exc:
        problems.append(("code", exc.message))
    dates: dict[str, date | None] = {}
    for field, name in (("document_date", "认定文书日期"), ("publish_until", "公示截止日期")):
        try:
            dates[field] = parse_date(getattr(value, field))
        except ValidationError as exc:
            dates[field] = None
            problems.append((field, f"{name}：{exc.message}"))
    made, until = dates["document_date"], dates["publish_until"]
    if made and made > today:
        problems.append(("document_date", "认定文书日期不能晚于今天。"))
    if until and until <= today:
        problems.append(("publish_until", "公示截止日期应晚于今天。"))
    elif until and (until - today).days > MAX_PUBLICATION_DAYS:
        problems.append(("publish_until", "公示期不能超过 5 年。"))
    if problems or party is None or made is None or until is None:
        return problems, None
    return problems, CheckedListing(party, code, made, until)


def list_party(session: Session, actor: Actor, vault: PiiVault, value: ListingInput) -> CreditEntry:
    """Put a party on the list. Does not commit; audited in the same transaction."""
    today = clock.today()
    problems, checked = check(value, today)
    if checked is None:
        raise CreditRefused("invalid", problems[0][1], 400)
    shown = checked.code if checked.party is CreditParty.UNIT else mask_id_number(checked.code)
    entry = CreditEntry(
        party=checked.party,
        name=value.name.strip(),
        code_digest=vault.digest(checked.code),
        code_shown=shown,
        behaviour=value.behaviour.strip(),
        legal_basis=value.legal_basis.strip(),
        document_number=value.document_number.strip(),
        document_date=checked.document_date,
        listed_on=today,
        publish_until=checked.publish_until,
        status=CreditStatus.LISTED,
        created_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    audit(
        session,
        actor,
        AuditAction.CREDIT_LISTED,
        detail=f"列入严重失信名单：{entry.name}（{shown}），依据 {entry.document_number}，公示至 {entry.publish_until}",
    )
    return entry


def published(session: Session, today: date) -> list[CreditEntry]:
    """What the public page shows: entries listed and still inside their period (an ended one is gone at once)."""
    return list(
        session.scalars(
            select(CreditEntry)
            .where(CreditEntry.status == CreditStatus.LISTED, CreditEntry.publish_until >= today)
            .order_by(CreditEntry.listed_on.desc(), CreditEntry.id.desc())
        )
    )


def entries_of(session: Session, vault: PiiVault, code: str, today: date) -> list[CreditEntry]:
    """The published entries of the party with this ID number or credit code (for their own repair)."""
    digests = set(vault.digests(code))  # entries hashed under a replaced secret too
    return [e for e in published(session, today) if e.code_digest in digests]


def repairs_of(session: Session, entry_ids: list[int]) -> dict[int, CreditRepair]:
    """The latest repair application of each entry."""
    if not entry_ids:
        return {}
    rows = session.scalars(select(CreditRepair).where(CreditRepair.entry_id.in_(entry_ids)).order_by(CreditRepair.id))
    return {r.entry_id: r for r in rows}


def request_repair(session: Session, vault: PiiVault, code: str, entry_id: int, statement: str) -> CreditRepair:
    """The listed party (recognised by ``code``, their own ID number or credit code) applies for repair, stating
    what they corrected. Does not commit."""
    statement = (statement or "").strip()
    entry = session.get(CreditEntry, entry_id)
    if entry is None or entry.code_digest != vault.digest(code) or entry.status is not CreditStatus.LISTED:
        raise CreditRefused("not_found", "没有找到您的该条失信记录。", 404)
    if not statement:
        raise CreditRefused("statement_required", "请说明已纠正失信行为、履行义务的情况。", 400)
    if len(statement) > STATEMENT_MAX:
        raise CreditRefused("statement_too_long", f"修复申请说明不能超过 {STATEMENT_MAX} 个字。", 400)
    pending = repairs_of(session, [entry.id]).get(entry.id)
    if pending is not None and pending.status is RepairStatus.PENDING:
        raise CreditRefused("already_pending", "您已提交修复申请，正在审核中。")
    repair = CreditRepair(entry_id=entry.id, statement=statement, status=RepairStatus.PENDING, requested_at=clock.now())
    session.add(repair)
    session.flush()
    return repair


def pending_repairs(session: Session) -> list[tuple[CreditRepair, CreditEntry]]:
    """Repair applications waiting for a decision, oldest first."""
    rows = session.execute(
        select(CreditRepair, CreditEntry)
        .join(CreditEntry, CreditEntry.id == CreditRepair.entry_id)
        .where(CreditRepair.status == RepairStatus.PENDING)
        .order_by(CreditRepair.requested_at)
    )
    return [(repair, entry) for repair, entry in rows]


def decide_repair(session: Session, actor: Actor, repair_id: int, *, grant: bool, note: str) -> CreditRepair:
    """Grant (the entry leaves the public page at once) or refuse a repair, with a note. Does not commit; audited."""
    note = (note or "").strip()
    repair = session.get(CreditRepair, repair_id)
    if repair is None:
        raise CreditRefused("not_found", "没有找到该修复申请。", 404)
    if repair.status is not RepairStatus.PENDING:
        raise CreditRefused("already_decided", "该修复申请已审核。")
    if not grant and not note:
        raise CreditRefused("note_required", "不予修复的，请写明理由。", 400)
    now = clock.now()
    entry = session.get(CreditEntry, repair.entry_id)
    repair.status = RepairStatus.GRANTED if grant else RepairStatus.REFUSED
    repair.decided_at = now
    repair.decided_by = actor.staff_id
    repair.decision_note = note[:500]
    if grant:
        entry.status = CreditStatus.REMOVED
        entry.removal = CreditRemoval.REPAIRED
        entry.removed_at = now
    session.flush()
    verdict = "准予修复，移出公示名单" if grant else "不予修复"
    audit(session, actor, AuditAction.CREDIT_REPAIRED, detail=f"信用修复：{entry.name}（{entry.code_shown}）{verdict}")
    return repair


def expire_ended(session: Session, now: datetime) -> int:
    """Entries whose publication period has ended are marked removed and the removal audited (a scheduled job;
    the public page already stops showing them the day after ``publish_until``). Does not commit."""
    today = clock.wall(now).date()
    ended = list(
        session.scalars(
            select(CreditEntry).where(CreditEntry.status == CreditStatus.LISTED, CreditEntry.publish_until < today)
        )
    )
    for entry in ended:
        entry.status = CreditStatus.REMOVED
        entry.removal = CreditRemoval.EXPIRED
        entry.removed_at = clock.utc(now)
        staff_audit(
            session,
            AuditAction.CREDIT_REPAIRED,
            staff_id=None,
            detail=f"公示期满移出严重失信名单：{entry.name}（{entry.code_shown}）",
        )
    session.flush()
    return len(ended)
