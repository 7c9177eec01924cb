"""Identity rules that know nothing of Flask: registration, passwords with lockout, credentials, and the
login log / operation trail (LD/T 01 6.2)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import clock
from gateway.backoffice.interface import BackOffice
from gateway.db import commit_claim
from gateway.identity.documents import Document, link_document, read_document
from gateway.identity.models import (
    LOGIN_EVENTS,
    Credential,
    CredentialKind,
    EventKind,
    IdentityEvent,
    LoginGuard,
    Person,
    RefreshToken,
    WebSession,
)
from gateway.identity.passwords import hash_password, needs_rehash, password_problem, verify_password
from gateway.security.pii import PiiVault, Purpose
from gateway.validation import DocumentType, ValidationError, normalize_phone, normalize_social_security_number

#: The online service agreement in force (LD/T 01 6.2.4); its text is in the registration page.
AGREEMENT_VERSION = "2026.1"
# LD/T 01 6.2.5 c: lock after this many wrong passwords within the window, for the lock period.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_PERIOD = timedelta(minutes=15)
# After this many failures the login form also asks for a captcha (slows scripted guessing).
CAPTCHA_AFTER = 2


def utcnow() -> datetime:
    """Now, aware UTC, by the one clock (:func:`gateway.clock.now`; tests set it with ``gateway.clock.set_clock``)."""
    return clock.now()


def aware(value: datetime) -> datetime:
    """``value`` as aware UTC (the columns already answer aware UTC; a naive value here is taken as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Identity:
    """Who is logged in, as the channels see it."""

    person_id: int
    id_number: str
    name: str


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD = "bad"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    identity: Identity | None = None
    locked_until: datetime | None = None


class IdentityError(Exception):
    """A rule of the identity layer refused the request; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str, code: str = "identity_refused") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def find_person(session: Session, vault: PiiVault, id_number: str) -> Person | None:
    # Every secret's hash: after a rotation, until ``shebao pii rekey`` has rewritten the stored ones.
    return session.scalar(select(Person).where(Person.id_digest.in_(vault.digests(id_number))))


def identity_of(vault: PiiVault, person: Person) -> Identity:
    return Identity(
        person_id=person.id,
        id_number=vault.decrypt(person.id_number_enc, Purpose.PERSON_ID_NUMBER, person.id_digest),
        name=vault.decrypt(person.name_enc, Purpose.PERSON_NAME, person.id_digest),
    )


def ensure_person(
    session: Session, vault: PiiVault, id_number: str, name: str, *, shown: Callable[[], Document] | None = None
) -> Person:
    """The one Person for this ID number, created on first sight with the document it was first shown by
    (LD/T 01 6.2.3 b): ``shown`` names it, asked only for a new person; without it, the resident ID."""
    person = find_person(session, vault, id_number)
    if person is None:
        person = Person(
            id_digest=(digest := vault.digest(id_number)),
            id_number_enc=vault.encrypt(id_number, Purpose.PERSON_ID_NUMBER, digest),
            name_enc=vault.encrypt(name, Purpose.PERSON_NAME, digest),
        )
        session.add(person)
        session.flush()
        if shown is not None:
            document = shown()
            person.doc_type = document.doc_type
            link_document(session, vault, person, document)
    return person


def _password_credential(session: Session, person: Person) -> Credential | None:
    return session.scalar(
        select(Credential).where(Credential.kind == CredentialKind.PASSWORD, Credential.identifier == person.id_digest)
    )


def set_password(session: Session, vault: PiiVault, person: Person, password: str) -> None:
    """Give the person a password credential (replacing any earlier one)."""
    cred = _password_credential(session, person)
    if cred is None:
        cred = Credential(person_id=person.id, kind=CredentialKind.PASSWORD, identifier=person.id_digest)
        session.add(cred)
    cred.secret_hash = hash_password(password)
    session.flush()


def check_password(session: Session, vault: PiiVault, id_number: str, password: str) -> Identity | None:
    """The identity if the ID number and password match; the same answer and cost otherwise."""
    cred = session.scalar(
        select(Credential).where(
            Credential.kind == CredentialKind.PASSWORD, Credential.identifier.in_(vault.digests(id_number))
        )
    )
    if not verify_password(cred.secret_hash if cred else None, password) or cred is None:
        return None
    if needs_rehash(cred.secret_hash):  # made with older Argon2 parameters: the password is at hand only now
        cred.secret_hash = hash_password(password)
        session.flush()
    return identity_of(vault, cred.person)


# ---------------------------------------------------------------- login log and operation trail


def record_event(
    session: Session,
    kind: EventKind,
    *,
    person_id: int | None = None,
    subject_digest: str | None = None,
    method: str | None = None,
    channel: str = "web",
    ip: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one line to the log (LD/T 01 6.3.2: every collection, change and use is traced)."""
    session.add(
        IdentityEvent(
            person_id=person_id,
            subject_digest=subject_digest,
            kind=kind,
            method=method,
            channel=channel,
            ip_masked=mask_ip(ip),
            detail=(detail or "")[:255] or None,
            created_at=at or utcnow(),
        )
    )


def record_operation(session: Session, person_id: int, detail: str, channel: str = "web") -> None:
    """For other services: note an operation in the person's trail (LD/T 01 6.3.2)."""
    record_event(session, EventKind.OPERATION, person_id=person_id, detail=detail, channel=channel)


def events_for(session: Session, person: Person, *, logins: bool, limit: int = 20) -> list[IdentityEvent]:
    """The newest lines of a person's login log (``logins``) or operation trail."""
    kinds = LOGIN_EVENTS if logins else frozenset(EventKind) - LOGIN_EVENTS
    stmt = (
        select(IdentityEvent)
        .where(
            (IdentityEvent.person_id == person.id) | (IdentityEvent.subject_digest == person.id_digest),
            IdentityEvent.kind.in_(kinds),
        )
        .order_by(IdentityEvent.created_at.desc(), IdentityEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def login_history(session: Session, person: Person, page: int, page_size: int) -> tuple[list[IdentityEvent], int]:
    """One page of the person's login log (LD/T 01 6.2.5 e), newest first, and how many lines there are."""
    where = (
        (IdentityEvent.person_id == person.id) | (IdentityEvent.subject_digest == person.id_digest),
        IdentityEvent.kind.in_(LOGIN_EVENTS),
    )
    total = session.scalar(select(func.count()).select_from(IdentityEvent).where(*where)) or 0
    stmt = (
        select(IdentityEvent)
        .where(*where)
        .order_by(IdentityEvent.created_at.desc(), IdentityEvent.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(session.scalars(stmt)), total


def mask_ip(ip: str | None) -> str | None:
    """Keep the network, drop the host part: enough to spot a stranger, not to track a person."""
    if not ip:
        return None
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + ":*"
    parts = ip.split(".")
    return ".".join(parts[:3] + ["*"]) if len(parts) == 4 else None


# ---------------------------------------------------------------- password login with lockout


def _guard(session: Session, digest: str, now: datetime) -> LoginGuard:
    guard = session.get(LoginGuard, digest)
    if guard is None:
        guard = LoginGuard(subject_digest=digest, failures=0, window_started_at=now)
        session.add(guard)
        try:
            session.flush()
        except IntegrityError:  # another process made it first
            session.rollback()
            guard = session.get(LoginGuard, digest)
            assert guard is not None
    return guard


def guard_for(session: Session, digest: str, now: datetime) -> LoginGuard:
    """The failure counter keyed ``digest`` (made on first use); other guessing limits share the table."""
    return _guard(session, digest, now)


def lock_state(session: Session, vault: PiiVault, id_number: str, now: datetime | None = None) -> LoginGuard | None:
    """The guard row of a login name, or None when it has no recent failures."""
    now = now or utcnow()
    guard = session.get(LoginGuard, vault.digest(id_number))
    if guard is None:
        return None
    if guard.locked_until is None and aware(guard.window_started_at) + FAILURE_WINDOW < now:
        return None
    return guard


def needs_captcha(session: Session, vault: PiiVault, id_number: str) -> bool:
    guard = lock_state(session, vault, id_number)
    return guard is not None and guard.failures >= CAPTCHA_AFTER


def authenticate_password(
    session: Session,
    vault: PiiVault,
    id_number: str,
    password: str,
    *,
    channel: str = "web",
    ip: str | None = None,
    log_success: bool = True,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password under the lockout rule (LD/T 01 6.2.5 c) and log the attempt."""
    now = now or utcnow()
    digest = vault.digest(id_number)
    guard = session.get(LoginGuard, digest)
    if guard is not None and guard.locked_until is not None and aware(guard.locked_until) > now:
        # Still spend the hashing time: a locked name must not answer faster than an open one.
        verify_password(None, password)
        return LoginResult(LoginOutcome.LOCKED, locked_until=aware(guard.locked_until))
    # Argon2 runs before anything is written. On SQLite a write transaction holds the whole database's write
    # lock, and holding it through ~30 ms of hashing queued every other login, booking and session behind each
    # login (issue 18's rush: 5 logins/s on 2 cores). The failure count below is still one atomic UPDATE.
    identity = check_password(session, vault, id_number, password)
    # A match names its person already; only a refusal looks the name up, to log whose account was tried.
    if identity is not None:
        person_id: int | None = identity.person_id
    else:
        person = find_person(session, vault, id_number)
        person_id = person.id if person else None
    if guard is not None and guard.locked_until is not None:  # the lock has run out
        guard.locked_until = None
        guard.failures = 0
        guard.window_started_at = now
    if identity is not None:
        if guard is not None:  # a name with no failures has no row, and needs none
            guard.failures = 0
            guard.window_started_at = now
        if log_success:
            record_event(
                session,
                EventKind.LOGIN,
                person_id=person_id,
                method="password",
                channel=channel,
                ip=ip,
                at=now,
            )
        session.flush()
        return LoginResult(LoginOutcome.OK, identity=identity)
    if guard is None:
        guard = _guard(session, digest, now)
    if aware(guard.window_started_at) + FAILURE_WINDOW < now:
        guard.failures = 0
        guard.window_started_at = now
        session.flush()
    # Atomic increment: two gateway processes guessing at once must both count.
    session.execute(
        update(LoginGuard).where(LoginGuard.subject_digest == digest).values(failures=LoginGuard.failures + 1)
    )
    session.refresh(guard)
    record_event(
        session,
        EventKind.LOGIN_FAILED,
        person_id=person_id,
        subject_digest=digest,
        method="password",
        channel=channel,
        ip=ip,
        at=now,
    )
    if guard.failures >= MAX_FAILURES:
        guard.locked_until = now + LOCK_PERIOD
        record_event(
            session,
            EventKind.LOCKED,
            person_id=person_id,
            subject_digest=digest,
            channel=channel,
            ip=ip,
            at=now,
        )
        commit_claim(session)
        return LoginResult(LoginOutcome.LOCKED, locked_until=guard.locked_until)
    commit_claim(session)
    return LoginResult(LoginOutcome.BAD)


def unlock(session: Session, vault: PiiVault, id_number: str, *, by: str) -> bool:
    """Staff unlock (LD/T 01 6.2.5 c): clear the failures; ``by`` names the staff member."""
    digest = vault.digest(id_number)
    guard = session.get(LoginGuard, digest)
    if guard is None or guard.locked_until is None:
        return False
    guard.locked_until = None
    guard.failures = 0
    guard.window_started_at = utcnow()
    person = find_person(session, vault, id_number)
    record_event(
        session,
        EventKind.UNLOCKED,
        person_id=person.id if person else None,
        subject_digest=digest,
        detail=f"由 {by} 解锁",
    )
    session.flush()
    return True


# ---------------------------------------------------------------- real-name registration


@dataclass(frozen=True)
class Registration:
    id_number: str  # the document's number as typed (LD/T 01 6.2.3 b)
    name: str
    phone: str
    password: str
    password_again: str
    agreement_version: str | None
    doc_type: str | None = None  # blank: the resident ID (old forms and clients)
    country: str | None = None  # a passport's issuing country (ISO 3166 alpha-3)


@dataclass(frozen=True)
class CheckedRegistration:
    """A registration that passed every check: the social security number the back office keeps the person
    under, and the document they registered with."""

    id_number: str
    name: str
    phone: str
    document: Document

    def __iter__(self):  # noqa: ANN204 — (id_number, name, phone), as callers unpacked before documents
        return iter((self.id_number, self.name, self.phone))


MISMATCH = "填写的信息与社会保险登记信息不一致，请核对；如需更正登记信息，请到经办窗口办理。"


def check_registration(backoffice: BackOffice, form: Registration) -> CheckedRegistration:
    """Validate the registration form against the back office. Unpacks as (social security number, name, phone);
    ``.document`` is the document registered with."""
    try:
        document = read_document(form.doc_type, form.id_number, form.country)  # each type's own check
    except ValidationError as exc:
        field = "doc_type" if exc.code == "invalid_document_type" else "id_number"
        raise IdentityError(field, exc.message, exc.code) from exc
    name = (form.name or "").strip()
    if not name or len(name) > 30:
        raise IdentityError("name", f"请输入与{document.doc_type.label}一致的姓名。", "invalid_name")
    try:
        phone = normalize_phone(form.phone)
    except ValidationError as exc:
        raise IdentityError("phone", exc.message, "invalid_phone") from exc
    problem = password_problem(form.password or "", document.number.split(":")[-1], phone)
    if problem:
        raise IdentityError("password", problem, "weak_password")
    if form.password != form.password_again:
        raise IdentityError("password_again", "两次输入的密码不一致。", "password_mismatch")
    if form.agreement_version != AGREEMENT_VERSION:
        raise IdentityError("agree", "请阅读并同意《网上经办服务协议》后再注册。", "agreement_required")
    # The back office names the one social security number behind whatever document was shown (LD/T 01 6.2.1).
    record = backoffice.find_by_document(document.doc_type, document.number)
    # One message whatever did not match: the form must not tell who is insured (no enumeration).
    if record is None or record.name != name or record.phone != phone:
        raise IdentityError("id_number", MISMATCH, "registration_mismatch")
    return CheckedRegistration(record.id_number, name, phone, document)


def register(session: Session, vault: PiiVault, backoffice: BackOffice, form: Registration) -> Identity:
    """Check the form and create the account at once (for callers that proved the phone already)."""
    checked = check_registration(backoffice, form)
    return create_account(
        session, vault, checked.id_number, checked.name, hash_password(form.password), document=checked.document
    )


def create_account(
    session: Session,
    vault: PiiVault,
    id_number: str,
    name: str,
    password_hash: str,
    *,
    document: Document | None = None,
) -> Identity:
    """Open the online account of a checked registration; the password arrives hashed. ``id_number`` is the social
    security number; ``document`` the document registered with (default: the resident ID of that number)."""
    document = document or Document(DocumentType.RESIDENT_ID, id_number)
    existing = find_person(session, vault, id_number)
    person = ensure_person(session, vault, id_number, name)
    if _password_credential(session, person) is not None:
        session.rollback()
        if existing is not None and document.doc_type is not (existing.doc_type or DocumentType.RESIDENT_ID):
            # LD/T 01 6.2.1: one person, one account, whichever document they show.
            message = "您已用其他证件开通了网上账户（同一社会保障号码只能开通一个账户），请用该证件或本证件直接登录。"
        else:
            message = "该证件号码已开通网上账户，请直接登录；忘记密码可用短信验证码重设。"
        raise IdentityError("id_number", message, "already_registered")
    if existing is None:
        person.doc_type = document.doc_type
    link_document(session, vault, person, document)
    session.add(
        Credential(
            person_id=person.id,
            kind=CredentialKind.PASSWORD,
            identifier=person.id_digest,
            secret_hash=password_hash,
        )
    )
    person.agreement_version = AGREEMENT_VERSION
    person.agreement_accepted_at = utcnow()
    record_event(
        session,
        EventKind.REGISTERED,
        person_id=person.id,
        method="password",
        detail=f"同意服务协议 {AGREEMENT_VERSION}；证件：{document.doc_type.label} {document.masked}",
    )
    session.flush()
    return identity_of(vault, person)


def reset_target(session: Session, vault: PiiVault, backoffice: BackOffice, id_number: str, name: str) -> str | None:
    """The phone to send a reset code to, or None when the details do not match an online account."""
    try:  # the social security number: a resident ID, a residence permit, a permanent residence ID, …
        id_number = normalize_social_security_number(id_number)
    except ValidationError:
        return None
    record = backoffice.find_person(id_number)
    person = find_person(session, vault, id_number)
    if record is None or person is None or record.name != (name or "").strip() or not record.phone:
        return None
    if _password_credential(session, person) is None:
        return None
    return record.phone


def reset_password(session: Session, vault: PiiVault, id_number: str, new_password: str, phone: str) -> int:
    """LD/T 01 6.2.5 d: after the SMS code proved the phone, set the password and lift any lock; the person's id."""
    person = find_person(session, vault, id_number)
    if person is None:
        raise IdentityError("code", "验证码不正确或已失效，请重新获取。", "reset_refused")
    problem = password_problem(new_password, id_number, phone)
    if problem:
        raise IdentityError("password", problem, "weak_password")
    set_password(session, vault, person, new_password)
    guard = session.get(LoginGuard, person.id_digest)
    if guard is not None:
        guard.failures = 0
        guard.locked_until = None
    record_event(
        session,
        EventKind.PASSWORD_CHANGED,
        person_id=person.id,
        method="password_sms",
        detail="短信验证后重设密码",
    )
    session.flush()
    return person.id


# ---------------------------------------------------------------- a login factor changed

#: ``Session.info`` key: the people whose login factors changed in this transaction (the request edge keeps the
#: session that made the change logged in, under the new epoch).
FACTORS_CHANGED = "factors_changed"


def end_other_sessions(session: Session, person_id: int) -> int:
    """End every web session and API token of the person (ASVS 5.0 7.4.3): the epoch goes up, so a session or
    access token made before is dead at once, and every refresh token is revoked. Returns the tokens ended.

    Flushes; the request edge keeps the session that made the change (``FACTORS_CHANGED``)."""
    person = session.get(Person, person_id)
    if person is None:
        return 0
    person.session_epoch = (person.session_epoch or 0) + 1
    session.execute(delete(WebSession).where(WebSession.person_id == person_id))
    ended = session.execute(
        update(RefreshToken)
        .where(RefreshToken.person_id == person_id, RefreshToken.revoked.is_(False))
        .values(revoked=True)
    ).rowcount
    session.info.setdefault(FACTORS_CHANGED, set()).add(person_id)
    session.flush()
    return ended or 0


# ---------------------------------------------------------------- credentials


def bind_credential(
    session: Session, person: Person, kind: CredentialKind, identifier: str, channel: str = "web"
) -> Credential:
    """Bind a credential to the person (LD/T 01 6.2.5 b); never to two people. Flushes."""
    existing = session.scalar(select(Credential).where(Credential.kind == kind, Credential.identifier == identifier))
    if existing is not None:
        if existing.person_id == person.id:
            return existing
        raise IdentityError("credential", "该账号已绑定其他用户，不能重复绑定。", "credential_taken")
    cred = Credential(person_id=person.id, kind=kind, identifier=identifier)
    session.add(cred)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent bind won the race
        session.rollback()
        raise IdentityError("credential", "该账号已绑定其他用户，不能重复绑定。", "credential_taken") from exc
    record_event(session, EventKind.CREDENTIAL_BOUND, person_id=person.id, method=kind.value, channel=channel)
    return cred


def unbind_credential(session: Session, person: Person, credential_id: int, channel: str = "web") -> None:
    """Unbind one of the person's credentials; the last one is kept so the account stays usable. Flushes."""
    cred = session.get(Credential, credential_id)
    if cred is None or cred.person_id != person.id:
        raise IdentityError("credential", "没有找到该登录方式。", "unknown_credential")
    count = session.scalar(select(func.count()).select_from(Credential).where(Credential.person_id == person.id))
    if (count or 0) <= 1:
        raise IdentityError("credential", "这是您唯一的登录方式，不能解除绑定。", "last_credential")
    session.delete(cred)
    record_event(session, EventKind.CREDENTIAL_UNBOUND, person_id=person.id, method=cred.kind.value, channel=channel)
    session.flush()
