"""Unit accounts and clerks, without Flask (LD/T 01 6.2.2; DESIGN "Identity").

A unit's account opens at its first certificate login. The certificate holder (the unit administrator)
authorises clerks (经办人): persons named by ID number and name, each with a grant (a set of
:class:`UnitOperation`) and a validity period. A logged-in person who is an active clerk may act for the unit,
and then sees only what the grant allows. Every change and every refusal is written to ``unit_event``
(LD/T 01 6.3.2).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.backoffice.interface import BackOffice
from gateway.identity.service import mask_ip
from gateway.security.pii import PiiVault, Purpose
from gateway.units.certificates import CertHolder, CertificateRefused, Refusal
from gateway.units.models import UnitAccount, UnitCertificate, UnitClerk, UnitEvent, UnitEventKind, UnitOperation
from gateway.validation import ValidationError, mask_id_number, mask_name, normalize_id_number

# A grant must end; the unit renews it. Three years is the longest a unit can set at once.
MAX_GRANT = timedelta(days=3 * 366)


class ActorRole(enum.StrEnum):
    HOLDER = "holder"  # logged in with the unit's certificate (unit administrator)
    CLERK = "clerk"  # a person acting for the unit within a grant


class UnitError(Exception):
    """A unit rule refused the request; ``field`` names the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class UnitActor:
    """Who is acting for which unit on this request, and what they may do."""

    unit_id: int
    credit_code: str
    unit_name: str
    role: ActorRole
    grants: frozenset[UnitOperation]
    actor: str  # "cert:<serial>" or "clerk:<id>" for the audit trail
    person_id: int | None = None
    clerk_id: int | None = None

    def may(self, op: UnitOperation) -> bool:
        return op in self.grants

    @property
    def may_manage_clerks(self) -> bool:
        # Only the certificate holder authorises clerks: a clerk can never widen their own grant.
        return self.role is ActorRole.HOLDER


def utcnow() -> datetime:
    """Now, aware UTC, by the one clock."""
    return clock.now()


def record_unit_event(
    db: Session,
    kind: UnitEventKind,
    *,
    actor: str,
    unit_id: int | None = None,
    person_id: int | None = None,
    reason: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> None:
    """Append one line to the units' audit trail (LD/T 01 6.3.2); the caller commits."""
    db.add(
        UnitEvent(
            unit_id=unit_id,
            kind=kind,
            actor=actor[:80],
            actor_person_id=person_id,
            reason=reason,
            detail=(detail or "")[:255] or None,
            ip_masked=mask_ip(ip),
            created_at=utcnow(),
        )
    )


def unit_events(db: Session, unit_id: int, limit: int = 20) -> list[UnitEvent]:
    stmt = select(UnitEvent).where(UnitEvent.unit_id == unit_id).order_by(UnitEvent.id.desc()).limit(limit)
    return list(db.scalars(stmt))


# ---------------------------------------------------------------- certificate holder


def open_unit_account(
    db: Session, vault: PiiVault, backoffice: BackOffice, holder: CertHolder, now: datetime | None = None
) -> UnitAccount:
    """The unit the verified certificate names, its account opened on first login; refuses an unknown unit."""
    now = now or utcnow()
    record = backoffice.find_unit(holder.credit_code)
    if record is None:
        raise CertificateRefused(Refusal.NOT_A_UNIT, f"credit code {holder.credit_code} is not a registered unit")
    unit = db.scalar(select(UnitAccount).where(UnitAccount.credit_code == record.credit_code))
    if unit is None:
        unit = UnitAccount(credit_code=record.credit_code, created_at=now, name=record.name, legal_rep_enc="")
        db.add(unit)
    # The core system is the record: name and legal representative follow it.
    unit.name = record.name
    unit.legal_rep_enc = vault.encrypt(record.legal_rep, Purpose.UNIT_LEGAL_REP, record.credit_code)
    unit.last_login_at = now
    db.flush()
    cert = db.scalar(
        select(UnitCertificate).where(
            UnitCertificate.issuer_digest == holder.issuer_digest, UnitCertificate.serial == holder.serial
        )
    )
    if cert is None:
        cert = UnitCertificate(
            unit_id=unit.id,
            issuer_digest=holder.issuer_digest,
            issuer=holder.issuer,
            serial=holder.serial,
            not_after=holder.not_after,
            first_used_at=now,
        )
        db.add(cert)
    cert.last_used_at = now
    db.flush()
    return unit


def holder_actor(unit: UnitAccount, serial: str) -> UnitActor:
    return UnitActor(
        unit_id=unit.id,
        credit_code=unit.credit_code,
        unit_name=unit.name,
        role=ActorRole.HOLDER,
        grants=frozenset(UnitOperation),
        actor=f"cert:{serial}",
    )


# ---------------------------------------------------------------- clerks


def parse_grants(values: Iterable[str]) -> frozenset[UnitOperation]:
    try:
        grants = frozenset(UnitOperation(v) for v in values)
    except ValueError:
        raise UnitError("grants", "授权范围中有无法识别的业务。") from None
    if not grants:
        raise UnitError("grants", "请至少选择一项授权业务。")
    return grants


def _describe(clerk: UnitClerk, vault: PiiVault) -> str:
    """A masked one-line description for the audit trail."""
    return (
        f"{mask_name(vault.decrypt(clerk.name_enc, Purpose.CLERK_NAME, clerk.id_digest))}"
        f"（{mask_id_number(vault.decrypt(clerk.id_number_enc, Purpose.CLERK_ID_NUMBER, clerk.id_digest))}）"
        f"，有效期 {clerk.valid_from:%Y-%m-%d} 至 {clerk.valid_until:%Y-%m-%d}"
    )


def add_clerk(
    db: Session,
    vault: PiiVault,
    actor: UnitActor,
    *,
    id_number: str,
    name: str,
    grants: Iterable[str],
    valid_from: date,
    valid_until: date,
    today: date,
    ip: str | None = None,
) -> UnitClerk:
    """Authorise a person to act for the unit (holder only); audited. Flushes; the caller commits."""
    if not actor.may_manage_clerks:
        raise UnitError("clerks", "只有使用单位数字证书登录后才能管理经办人。")
    try:
        number = normalize_id_number(id_number)
    except ValidationError as exc:
        raise UnitError("id_number", exc.message) from None
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise UnitError("name", "请输入经办人姓名（不超过 40 个字）。")
    ops = parse_grants(grants)
    if valid_until < valid_from:
        raise UnitError("valid_until", "授权截止日期不能早于开始日期。")
    if valid_until < today:
        raise UnitError("valid_until", "授权截止日期不能早于今天。")
    if valid_until - valid_from > MAX_GRANT:
        raise UnitError("valid_until", "一次授权最长 3 年，到期后可以重新授权。")
    digest = vault.digest(number)
    existing = db.scalar(
        select(UnitClerk).where(
            UnitClerk.unit_id == actor.unit_id, UnitClerk.id_digest == digest, UnitClerk.revoked_at.is_(None)
        )
    )
    if existing is not None and existing.valid_until >= today:
        raise UnitError("id_number", "该人员已是本单位的经办人；如需调整授权，请先撤销原授权。")
    clerk = UnitClerk(
        unit_id=actor.unit_id,
        id_digest=digest,
        id_number_enc=vault.encrypt(number, Purpose.CLERK_ID_NUMBER, digest),
        name_enc=vault.encrypt(name, Purpose.CLERK_NAME, digest),
        grants_csv=",".join(sorted(op.value for op in ops)),
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=utcnow(),
        created_by=actor.actor,
    )
    db.add(clerk)
    db.flush()
    labels = "、".join(op.label for op in UnitOperation if op in ops)
    record_unit_event(
        db,
        UnitEventKind.CLERK_ADDED,
        unit_id=actor.unit_id,
        actor=actor.actor,
        ip=ip,
        detail=f"{_describe(clerk, vault)}；授权：{labels}",
    )
    return clerk


def revoke_clerk(db: Session, vault: PiiVault, actor: UnitActor, clerk_id: int, ip: str | None = None) -> UnitClerk:
    """End a clerk's authorisation now (holder only); audited. The caller commits."""
    if not actor.may_manage_clerks:
        raise UnitError("clerks", "只有使用单位数字证书登录后才能管理经办人。")
    clerk = db.get(UnitClerk, clerk_id)
    if clerk is None or clerk.unit_id != actor.unit_id or clerk.revoked_at is not None:
        raise UnitError("clerks", "没有找到该经办人，或授权已撤销。")
    clerk.revoked_at = utcnow()
    clerk.revoked_by = actor.actor
    record_unit_event(
        db, UnitEventKind.CLERK_REVOKED, unit_id=actor.unit_id, actor=actor.actor, ip=ip, detail=_describe(clerk, vault)
    )
    db.flush()
    return clerk


def clerks_of(db: Session, unit_id: int) -> list[UnitClerk]:
    """The unit's clerks, current ones first."""
    rows = db.scalars(select(UnitClerk).where(UnitClerk.unit_id == unit_id).order_by(UnitClerk.id.desc()))
    return sorted(rows, key=lambda c: c.revoked_at is not None)


def is_active(clerk: UnitClerk, today: date) -> bool:
    return clerk.revoked_at is None and clerk.valid_from <= today <= clerk.valid_until


def _matches(clerk: UnitClerk, vault: PiiVault, name: str) -> bool:
    # The unit typed the name: a typo in the ID number must not hand the unit to someone else.
    return vault.decrypt(clerk.name_enc, Purpose.CLERK_NAME, clerk.id_digest) == name


def clerkships(db: Session, vault: PiiVault, id_number: str, name: str, today: date) -> list[UnitClerk]:
    """The units this person may act for today."""
    rows = db.scalars(
        select(UnitClerk).where(UnitClerk.id_digest.in_(vault.digests(id_number)), UnitClerk.revoked_at.is_(None))
    )
    return [c for c in rows if is_active(c, today) and _matches(c, vault, name)]


def clerk_actor(
    db: Session, vault: PiiVault, clerk_id: int, person_id: int, id_number: str, name: str, today: date
) -> UnitActor | None:
    """The acting context of a person as clerk ``clerk_id``, or None when that clerkship is not (or no longer)
    theirs and in force — checked on every request, so a revocation takes effect at once."""
    clerk = db.get(UnitClerk, clerk_id)
    if clerk is None or clerk.id_digest not in vault.digests(id_number) or not _matches(clerk, vault, name):
        return None
    if not is_active(clerk, today):
        return None
    return UnitActor(
        unit_id=clerk.unit_id,
        credit_code=clerk.unit.credit_code,
        unit_name=clerk.unit.name,
        role=ActorRole.CLERK,
        grants=clerk.grants,
        actor=f"clerk:{clerk.id}",
        person_id=person_id,
        clerk_id=clerk.id,
    )
