"""Binding a third-party identity (WeChat openid, Alipay user id) to a real-name person, once, with an
SMS code or e-SSC (DESIGN "Identity": an unbound identity sees no personal data). No Flask here."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.backoffice.interface import BackOffice
from gateway.db import commit_claim
from gateway.identity.documents import Document, link_document, number_document, read_document
from gateway.identity.models import Credential, CredentialKind, EventKind, LoginGuard, PendingBinding, Person
from gateway.identity.service import (
    AGREEMENT_VERSION,
    MISMATCH,
    IdentityError,
    aware,
    bind_credential,
    ensure_person,
    guard_for,
    record_event,
    utcnow,
)
from gateway.identity.wechat_ids import WeChatApp, join_by_unionid
from gateway.security.pii import PiiVault, Purpose
from gateway.validation import DocumentType, ValidationError

TICKET_TTL = timedelta(minutes=10)
EXPIRED = "绑定已超时，请重新登录小程序。"
#: Wrong ID number + name pairs allowed per binding ticket, and per ID number across tickets in a window: the
#: binding step must not be an oracle for whether a name goes with an ID number (ASVS 5.0 V2.4.1, V6.3.1).
MAX_TRIES_PER_TICKET = 3
MAX_TRIES_PER_PERSON = 5
PERSON_WINDOW = timedelta(hours=1)
TOO_MANY = "身份证号码和姓名核对失败次数过多，请稍后再试，或到经办窗口办理。"


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def bound_person(session: Session, kind: CredentialKind, external_id: str) -> Person | None:
    cred = session.scalar(select(Credential).where(Credential.kind == kind, Credential.identifier == external_id))
    return cred.person if cred else None


def miniprogram_person(session: Session, openid: str, unionid: str | None) -> Person | None:
    """The person a mini-program openid logs in as: its own binding, or the person whose website-app WeChat
    login has the same unionid (bound to this openid now, as a credential of its own)."""
    return join_by_unionid(session, WeChatApp.MINIPROGRAM, openid, unionid, channel="miniprogram")


AGREEMENT_REQUIRED = "请阅读并同意《网上经办服务协议》后再绑定。"


def check_agreement(version: str | None) -> None:
    """Refuse a binding whose person did not accept the agreement in force (LD/T 01 6.2.4)."""
    if version != AGREEMENT_VERSION:
        raise IdentityError("agreement_version", AGREEMENT_REQUIRED, "agreement_required")


def accept_agreement(session: Session, person: Person, version: str | None, channel: str) -> None:
    """Record that the person accepted the online service agreement in force (LD/T 01 6.2.4), as the web's
    registration does: the version and the time on the person, and a line in their trail. Flushes."""
    check_agreement(version)
    if person.agreement_version == version:
        return  # accepted before (on the web or another binding): the first acceptance stands
    person.agreement_version = version
    person.agreement_accepted_at = utcnow()
    record_event(session, EventKind.OPERATION, person_id=person.id, channel=channel, detail=f"同意服务协议 {version}")
    session.flush()


def open_binding(session: Session, kind: CredentialKind, external_id: str) -> str:
    """A binding ticket for an identity not bound yet."""
    ticket = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PendingBinding(
            ticket_hash=_hash(ticket),
            kind=kind,
            external_id=external_id,
            created_at=now,
            expires_at=now + TICKET_TTL,
            used=False,
        )
    )
    session.flush()
    return ticket


def _pending(session: Session, ticket: str) -> PendingBinding:
    row = session.scalar(select(PendingBinding).where(PendingBinding.ticket_hash == _hash(ticket or "")))
    if row is None or row.used or aware(row.expires_at) < utcnow():
        raise IdentityError("binding_ticket", EXPIRED, "invalid_binding_ticket")
    return row


def claim_person(
    session: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    ticket: str,
    id_number: str,
    name: str,
    *,
    doc_type: str | None = None,
    country: str | None = None,
) -> str:
    """Name the real person to bind to by a document (LD/T 01 6.2.3 b; no type: the resident ID, as old clients
    send); returns the phone on file that must receive the code."""
    row = _pending(session, ticket)
    try:
        document = read_document(doc_type, id_number, country)
    except ValidationError as exc:
        raise IdentityError("id_number", exc.message, exc.code) from exc
    id_number = document.number  # until the back office names the social security number behind it
    now = utcnow()
    guards = (
        (guard_for(session, vault.digest(f"binding-ticket:{row.ticket_hash}"), now), MAX_TRIES_PER_TICKET),
        (guard_for(session, vault.digest(f"binding-id:{id_number}"), now), MAX_TRIES_PER_PERSON),
    )
    if any(_spent(guard, limit, now) for guard, limit in guards):
        commit_claim(session)
        raise IdentityError("id_number", TOO_MANY, "binding_too_many")
    record = backoffice.find_by_document(document.doc_type, document.number)
    if record is None or record.name != (name or "").strip() or not record.phone:
        for guard, _limit in guards:
            _count_miss(session, guard, now)
        commit_claim(session)  # the miss counts whatever the request answers
        raise IdentityError("id_number", MISMATCH, "binding_mismatch")
    id_number = record.id_number  # the social security number: one person whichever document was shown
    row.id_digest = vault.digest(id_number)
    row.id_number_enc = vault.encrypt(id_number, Purpose.BINDING_ID_NUMBER, str(row.id))
    typed = f"{document.doc_type.value}:{document.number}"
    row.document_enc = vault.encrypt(typed, Purpose.BINDING_DOCUMENT, str(row.id))
    session.flush()
    return record.phone


def _typed_document(vault: PiiVault, row: PendingBinding) -> Document | None:
    """The document named at the claim (rows claimed before it was kept have none)."""
    if row.document_enc is None:
        return None
    doc_type, number = vault.decrypt(row.document_enc, Purpose.BINDING_DOCUMENT, str(row.id)).split(":", 1)
    return Document(DocumentType(doc_type), number)


def _spent(guard: LoginGuard, limit: int, now) -> bool:
    """Whether a guard has used up its tries within its window (a window over starts afresh)."""
    if aware(guard.window_started_at) + PERSON_WINDOW < now:
        guard.failures = 0
        guard.window_started_at = now
        return False
    return guard.failures >= limit


def _count_miss(session: Session, guard: LoginGuard, now) -> None:
    """One more wrong pair, counted atomically (two gateway processes guessing at once both count)."""
    session.execute(
        update(LoginGuard)
        .where(LoginGuard.subject_digest == guard.subject_digest)
        .values(failures=LoginGuard.failures + 1)
    )
    session.refresh(guard)


def claimed_id_number(session: Session, vault: PiiVault, ticket: str) -> str:
    row = _pending(session, ticket)
    if row.id_number_enc is None:
        raise IdentityError("binding_ticket", "请先填写身份证号码和姓名。", "binding_not_claimed")
    return vault.decrypt(row.id_number_enc, Purpose.BINDING_ID_NUMBER, str(row.id))


def complete_binding(session: Session, vault: PiiVault, backoffice: BackOffice, ticket: str, channel: str) -> Person:
    """After the SMS code (or e-SSC) proved the person: bind, once."""
    row = _pending(session, ticket)
    if row.id_number_enc is None:
        raise IdentityError("binding_ticket", "请先填写身份证号码和姓名。", "binding_not_claimed")
    spent = session.execute(
        update(PendingBinding).where(PendingBinding.id == row.id, PendingBinding.used.is_(False)).values(used=True)
    ).rowcount
    if spent != 1:
        session.rollback()
        raise IdentityError("binding_ticket", EXPIRED, "invalid_binding_ticket")
    id_number = vault.decrypt(row.id_number_enc, Purpose.BINDING_ID_NUMBER, str(row.id))
    record = backoffice.find_person(id_number)
    if record is None:
        session.rollback()
        raise IdentityError("id_number", MISMATCH, "binding_mismatch")
    typed = _typed_document(vault, row)
    person = ensure_person(
        session, vault, id_number, record.name, shown=lambda: typed or number_document(backoffice, id_number)
    )
    if typed is not None:
        link_document(session, vault, person, typed)  # a known person is found by this document from now on
    bind_credential(session, person, row.kind, row.external_id, channel=channel)
    session.flush()
    return person
