"""The console's account look-up and unlock (LD/T 01 6.2.5 c, e), only with a reason: a caller verified by SMS
code (inside the agent's delegation, and then only that caller), or a supervisor's stated reason. Each look-up and
unlock is in the staff audit trail with its basis (LD/T 01 6.3.2; ASVS 5.0 V8.2.2, V16.2.1). No Flask here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.actor import Actor, audit
from gateway.backoffice.interface import BackOffice
from gateway.identity.documents import number_document, person_document, read_document
from gateway.identity.kiosk_card import card_locked_until, unlock_card
from gateway.identity.models import IdentityEvent, Person
from gateway.identity.service import events_for, find_person, identity_of, lock_state, unlock
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, StaffRole
from gateway.validation import DocumentType, ValidationError, mask_id_number, normalize_card_number

REASON_MIN = 4
REASON_MAX = 100
NO_BASIS = "查询账户需要先核验来电人身份（来电人服务），或由复核主管填写查询理由。"
NO_REASON = f"请填写查询理由（{REASON_MIN} 至 {REASON_MAX} 个字），它会记入审计日志。"
NOT_CALLER = "代办授权只能查询当前来电人本人的账户。"


class Basis(enum.StrEnum):
    """Why a staff member may look at someone's account."""

    CALLER = "caller"  # the verified caller of the agent's live delegation
    REASON = "reason"  # a supervisor's stated reason


class LookupRefused(Exception):
    """No basis for the look-up; the message is Chinese, for the screen, next to ``field``."""

    def __init__(self, message: str, field: str = "reason") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class AccountView:
    """What the console shows of an account: never the full ID number."""

    masked_id: str
    #: The document the person is known by, named and masked (LD/T 01 6.2.3 b): "外国人永久居留身份证 DEU*****0146".
    document: tuple[str, str]
    basis: Basis
    reason: str
    person_id: int | None
    locked_until: datetime | None = None
    card_locked_until: datetime | None = None
    events: list[IdentityEvent] = field(default_factory=list)


def basis_of(actor: Actor) -> Basis | None:
    """The basis this actor has: a live delegation first, else a supervisor's reason; None when neither."""
    if actor.on_behalf_of is not None:
        return Basis.CALLER
    if actor.holds(StaffRole.SUPERVISOR):
        return Basis.REASON
    return None


def _reason(basis: Basis, reason: str) -> str:
    if basis is Basis.CALLER:
        return "来电人已通过短信验证码核验"
    reason = " ".join(reason.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise LookupRefused(NO_REASON)
    return reason


def _subject(actor: Actor, basis: Basis, id_number: str | None) -> str:
    """The ID number looked at: the caller's under a delegation, else the one the supervisor typed."""
    if basis is Basis.CALLER:
        caller = actor.on_behalf_of
        if id_number and id_number != caller.id_number:
            raise LookupRefused(NOT_CALLER, "id_number")
        return caller.id_number
    if not id_number:
        raise LookupRefused("请填写身份证号码。", "id_number")
    return id_number


def _view(
    db: Session, vault: PiiVault, backoffice: BackOffice, card: str, id_number: str, basis: Basis, reason: str
) -> AccountView:
    person = find_person(db, vault, id_number)
    guard = lock_state(db, vault, id_number)
    document = person_document(db, vault, person, id_number) if person else number_document(backoffice, id_number)
    return AccountView(
        masked_id=mask_id_number(id_number),
        document=document.described,
        basis=basis,
        reason=reason,
        person_id=person.id if person else None,
        locked_until=guard.locked_until if guard else None,
        card_locked_until=card_locked_until(db, vault, card) if card else None,
        events=events_for(db, person, logins=True, limit=20) if person else [],
    )


#: The console's look-up by social security card number (LD/T 01 6.2.3 d), beside the document types.
BY_CARD = "ss_card"


def subject_number(
    backoffice: BackOffice, kind: str | None, number: str | None, country: str | None = None
) -> str | None:
    """The social security number a staff member named: by an identity document of any type (LD/T 01 6.2.3 b) or by
    the social security card number (6.2.3 d). None when nothing was typed. Refuses with the reason in Chinese."""
    if not (number or "").strip():
        return None
    try:
        if (kind or "") == BY_CARD:
            card = normalize_card_number(number)
            record = backoffice.find_by_card(card)
            if record is None:
                raise LookupRefused("没有查到该社会保障卡卡号，请核对卡面上的卡号。", "id_number")
            return record.id_number
        document = read_document(kind, number, country)
    except ValidationError as exc:
        raise LookupRefused(exc.message, "id_number") from exc
    if document.doc_type is DocumentType.RESIDENT_ID:
        return document.number  # the social security number itself (also when nobody holds it)
    record = backoffice.find_by_document(document.doc_type, document.number)
    if record is None:
        raise LookupRefused(f"没有查到持该{document.doc_type.label}的参保人员，请核对证件类型和号码。", "id_number")
    return record.id_number


def look_up(
    db: Session, vault: PiiVault, backoffice: BackOffice, actor: Actor, *, id_number: str | None, reason: str = ""
) -> AccountView:
    """Show an account's lock state and last logins, on a basis; the look-up is audited with it (no commit)."""
    basis = basis_of(actor)
    if basis is None:
        raise LookupRefused(NO_BASIS)
    reason = _reason(basis, reason)
    id_number = _subject(actor, basis, id_number)
    record = backoffice.find_person(id_number)
    view = _view(db, vault, backoffice, record.card_number if record else "", id_number, basis, reason)
    audit(
        db,
        actor,
        AuditAction.PERSON_SEARCHED,
        person_id=view.person_id,
        detail=f"查询账户 {view.masked_id}；依据：{reason}",
    )
    return view


def unlock_account(
    db: Session, vault: PiiVault, backoffice: BackOffice, actor: Actor, *, person_id: int, reason: str, by: str
) -> tuple[AccountView, bool]:
    """Unlock the password and kiosk-card logins of an account looked up on a basis the actor still has (``by``
    names the staff member in the person's own trail); returns the account afresh and whether anything was
    locked. Audited with the basis (no commit)."""
    basis = basis_of(actor)
    if basis is None:
        raise LookupRefused(NO_BASIS)
    if basis is Basis.CALLER and actor.on_behalf_of.person_id != person_id:
        raise LookupRefused(NOT_CALLER, "id_number")
    reason = _reason(basis, reason)
    person = db.get(Person, person_id)
    if person is None:
        raise LookupRefused("没有找到该账户，请重新查询。", "id_number")
    id_number = identity_of(vault, person).id_number
    record = backoffice.find_person(id_number)
    card = record.card_number if record else ""
    password_unlocked = unlock(db, vault, id_number, by=by)
    card_unlocked = bool(card) and unlock_card(db, vault, card, person_id=person.id, by=by)
    if password_unlocked or card_unlocked:
        detail = f"解锁 {mask_id_number(id_number)}；依据：{reason}"
        audit(db, actor, AuditAction.PERSON_UNLOCKED, person_id=person.id, detail=detail)
    return _view(db, vault, backoffice, card, id_number, basis, reason), password_unlocked or card_unlocked
