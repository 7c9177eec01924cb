"""Staff accounts: creation, password + TOTP login with lockout, unlock, and the audit trail."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway import clock as one_clock
from gateway.db import commit_claim
from gateway.identity.passwords import hash_password, password_problem, verify_password
from gateway.security.pii import PiiVault
from gateway.staff import totp
from gateway.staff.models import AuditAction, AuditEntry, Staff, StaffRole, StaffRoleGrant

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
USERNAME_MAX = 32


class StaffError(Exception):
    """A staff-account rule refused the request; the message is Chinese, for the screen."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaffLoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD = "bad"
    LOCKED = "locked"


@dataclass(frozen=True)
class StaffLogin:
    outcome: StaffLoginOutcome
    staff: Staff | None = None


@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    totp_secret: str

    @property
    def provisioning_uri(self) -> str:
        return totp.provisioning_uri(self.totp_secret, self.staff.username)


def utcnow() -> datetime:
    """Now, aware UTC, by the one clock."""
    return one_clock.now()


def audit(
    session: Session,
    action: AuditAction,
    *,
    staff_id: int | None,
    person_id: int | None = None,
    detail: str = "",
    ip: str | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Add one audit entry to the caller's transaction (it commits or rolls back with the work it records)."""
    entry = AuditEntry(
        staff_id=staff_id,
        action=action,
        person_id=person_id,
        detail=detail[:300],
        ip=ip,
        request_id=request_id,
        at=utcnow(),
    )
    session.add(entry)
    return entry


def find_staff(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username.strip().lower()))


def create_staff(
    session: Session,
    vault: PiiVault,
    *,
    username: str,
    name: str,
    department: str,
    password: str,
    roles: Iterable[StaffRole],
    totp_secret: str | None = None,
    by: int | None = None,
) -> NewStaff:
    """Create an account and its TOTP seed (shown once, to be put in an authenticator app). Does not commit."""
    username = username.strip().lower()
    if not username or len(username) > USERNAME_MAX or not username.replace("_", "").replace(".", "").isalnum():
        raise StaffError("工号只能由字母、数字、点和下划线组成，最长 32 位。")
    if find_staff(session, username) is not None:
        raise StaffError("该工号已存在。")
    problem = password_problem(password)
    if problem:
        raise StaffError(problem)
    roles = sorted(set(roles))
    if not roles:
        raise StaffError("至少要授予一个岗位角色。")
    secret = totp_secret or totp.new_secret()
    staff = Staff(
        username=username,
        name=name.strip()[:40],
        department=department.strip()[:40],
        password_hash=hash_password(password),
        totp_secret_enc=vault.encrypt(secret),
        totp_last_step=0,
        active=True,
        failures=0,
        grants=[StaffRoleGrant(role=role) for role in roles],
    )
    session.add(staff)
    session.flush()
    audit(
        session,
        AuditAction.STAFF_CREATED,
        staff_id=by,
        detail=f"工号 {username}，岗位 {'、'.join(r.label for r in roles)}",
    )
    return NewStaff(staff, secret)


def authenticate(
    session: Session,
    vault: PiiVault,
    username: str,
    password: str,
    code: str,
    *,
    ip: str | None = None,
    now: datetime | None = None,
    clock: float | None = None,
) -> StaffLogin:
    """Check password and TOTP together; one answer for every kind of failure."""
    now = now or utcnow()
    staff = find_staff(session, username) if len(username) <= USERNAME_MAX else None
    # Always verify a hash, so an unknown username costs as long as a known one.
    password_ok = verify_password(staff.password_hash if staff else None, password)
    if staff is None or not staff.active:
        audit(session, AuditAction.LOGIN_FAILED, staff_id=None, detail="未知或停用的工号", ip=ip)
        commit_claim(session)
        return StaffLogin(StaffLoginOutcome.BAD)
    if staff.locked_until is not None and staff.locked_until > now:
        audit(session, AuditAction.LOGIN_FAILED, staff_id=staff.id, detail="账户已锁定", ip=ip)
        commit_claim(session)
        return StaffLogin(StaffLoginOutcome.LOCKED)
    step = None
    if password_ok:
        step = totp.accepted_step(vault.decrypt(staff.totp_secret_enc), code.strip(), staff.totp_last_step, clock)
    if step is None:
        staff.failures += 1
        why = "动态口令错误或已使用" if password_ok else "密码错误"
        audit(session, AuditAction.LOGIN_FAILED, staff_id=staff.id, detail=why, ip=ip)
        if staff.failures >= MAX_FAILURES:
            staff.locked_until = now + LOCK_FOR
            staff.failures = 0
            audit(session, AuditAction.LOCKED, staff_id=staff.id, detail=f"连续 {MAX_FAILURES} 次失败", ip=ip)
            commit_claim(session)
            return StaffLogin(StaffLoginOutcome.LOCKED)
        commit_claim(session)
        return StaffLogin(StaffLoginOutcome.BAD)
    # Claim the time step atomically: of two logins racing with the same code, only one gets it (RFC 6238 5.2).
    claimed = session.execute(
        update(Staff).where(Staff.id == staff.id, Staff.totp_last_step < step).values(totp_last_step=step)
    ).rowcount
    if claimed != 1:
        session.rollback()
        audit(session, AuditAction.LOGIN_FAILED, staff_id=staff.id, detail="动态口令已使用", ip=ip)
        commit_claim(session)
        return StaffLogin(StaffLoginOutcome.BAD)
    session.refresh(staff)
    staff.failures = 0
    staff.locked_until = None
    staff.last_login_at = now
    audit(session, AuditAction.LOGIN, staff_id=staff.id, ip=ip)
    session.flush()
    return StaffLogin(StaffLoginOutcome.OK, staff)


def unlock_staff(session: Session, target: Staff, *, by: Staff | None) -> None:
    """An administrator (or the operator's CLI, ``by=None``) clears an account's lock."""
    target.locked_until = None
    target.failures = 0
    audit(session, AuditAction.STAFF_UNLOCKED, staff_id=by.id if by else None, detail=f"解锁工号 {target.username}")
    session.flush()


def reset_totp(session: Session, vault: PiiVault, target: Staff, *, by: Staff | None) -> str:
    """A new TOTP seed for a lost phone; returns the seed to show once."""
    secret = totp.new_secret()
    target.totp_secret_enc = vault.encrypt(secret)
    target.totp_last_step = 0
    audit(
        session, AuditAction.TOTP_RESET, staff_id=by.id if by else None, detail=f"重置工号 {target.username} 的动态口令"
    )
    session.flush()
    return secret


def trail(session: Session, *, staff_id: int | None = None, person_id: int | None = None, limit: int = 50):
    """The newest audit entries, for one staff member or about one person."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if staff_id is not None:
        query = query.where(AuditEntry.staff_id == staff_id)
    if person_id is not None:
        query = query.where(AuditEntry.person_id == person_id)
    return list(session.scalars(query))
