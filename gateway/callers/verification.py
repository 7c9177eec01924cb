"""Verifying a 12333 caller (DESIGN "Who uses it"): the agent types the caller's ID number and name; they must
match the back office's record, and a 6-digit code goes by SMS to the phone the back office holds — the caller
reads it back, and a delegation starts. Every attempt is in the staff audit trail (LD/T 01 6.3.2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.actor import Actor, audit
from gateway.backoffice.interface import BackOffice
from gateway.callers.delegation import Delegation, open_delegation
from gateway.identity.documents import Document, number_document
from gateway.identity.models import SmsPurpose
from gateway.identity.service import ensure_person, find_person
from gateway.identity.sms_codes import verify_code
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction
from gateway.validation import DocumentType, mask_id_number, mask_phone

#: One answer whether the ID number is unknown or the name is wrong: the console is no way to find people.
NOT_MATCHED = "身份证号码或姓名与社保登记信息不一致，请与来电人核对后重新输入。"
BAD_CODE = "验证码不正确或已失效。请来电人核对短信后重新读出，或返回上一步重新发送。"
NO_PHONE = "该来电人登记信息中没有手机号码，无法发送验证码。请告知来电人持身份证件到经办窗口更新联系方式。"

#: Sends the caller's code to a phone; returns a problem to show the agent, or None when sent.
CodeSender = Callable[[str], "str | None"]


@dataclass(frozen=True)
class CodeSent:
    """Step 1 passed: the code went to ``masked_phone``."""

    masked_phone: str
    subject: str = ""  # the caller's social security number (the document may be another, LD/T 01 6.2.3 b)


@dataclass(frozen=True)
class Refused:
    message: str


def caller_sms_text(code: str) -> str:
    """Unlike the login code's text, this one says to read the code to the 12333 agent — only on a call the
    caller made themselves."""
    return (
        f"【社会保险网上经办】您正在通过12333热线办理业务，验证码{code}，5分钟内有效。"
        "仅在您本人拨打12333时告诉坐席；其他任何人索要均请勿告知。"
    )


def start(
    db: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    actor: Actor,
    id_number: str,
    name: str,
    send: CodeSender,
    *,
    document: Document | None = None,
) -> CodeSent | Refused:
    """Step 1: match the caller against the back office and send the code. The attempt is audited either way.
    ``document``: the caller's identity document when it is not the resident ID ``id_number`` (LD/T 01 6.2.3 b)."""
    shown = mask_id_number(id_number)
    if document is not None and document.doc_type is not DocumentType.RESIDENT_ID:
        record = backoffice.find_by_document(document.doc_type, document.number)
        shown = f"{document.doc_type.label} {document.masked}"
        id_number = record.id_number if record else document.number
    else:
        record = backoffice.find_person(id_number)
    known = find_person(db, vault, id_number)
    result: CodeSent | Refused
    if record is None or record.name.strip() != name:
        result, outcome = Refused(NOT_MATCHED), "核验来电人未通过：证件号码或姓名不符"
    elif not record.phone:
        result, outcome = Refused(NO_PHONE), "核验来电人未通过：未登记手机号码"
    else:
        problem = send(record.phone)
        result = Refused(problem) if problem else CodeSent(mask_phone(record.phone), record.id_number)
        outcome = problem or f"核验来电人：验证码已发送至 {mask_phone(record.phone)}"
    audit(
        db,
        actor,
        AuditAction.PERSON_SEARCHED,
        person_id=known.id if known else None,
        detail=f"{outcome}（{shown}）",
    )
    return result


def confirm(
    db: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    actor: Actor,
    *,
    secret: str,
    id_number: str,
    typed: str,
    now: float,
) -> Delegation | Refused:
    """Step 2: the caller read the code back; a right code starts the delegation (audited)."""
    record = backoffice.find_person(id_number)
    if record is None or not verify_code(db, secret, record.phone, SmsPurpose.CALLER, typed):
        return Refused(BAD_CODE)
    person = ensure_person(db, vault, id_number, record.name, shown=lambda: number_document(backoffice, id_number))
    delegation = open_delegation(person.id, actor.staff_id, now)
    minutes = round((delegation.until - delegation.since) / 60)
    audit(
        db,
        actor,
        AuditAction.CALLER_VERIFIED,
        person_id=person.id,
        detail=f"来电人 {mask_id_number(id_number)} 短信验证码核验通过，代办授权 {minutes} 分钟",
    )
    return delegation
