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
from gateway.identity.passwords import hash_password, needs_rehash, password_problem, verify_password
from gateway.security.pii import PiiVault, Purpose
from gateway.staff import totp
from gateway.staff.models import AuditAction, AuditEntry, Staff, StaffRole, StaffRoleGrant

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
USERNAME_MAX = 32


class StaffError(Exception):
    """A staff-account rule refused the request; the message is Chinese, for the screen, next to ``field``."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaffLoginOutcome(enum.StrEnum):
    OK = "ok"
    BAD = "bad"
    LOCKED = "locked"


@dataclass(frozen=True)
class StaffLogin:
    outcome: StaffLoginOutcome
    staff: Staff | None = None


@dataclass(frozen=True)
class Operator:
    """Who changes a staff account, for the audit trail (LD/T 01 6.3.2): a console administrator with the request's
    masked address and id, or the operator's CLI (``staff_id=None``)."""

    staff_id: int | None = None
    ip: str | None = None
    request_id: str | None = None


#: The operator at the command line (``shebao staff``).
CLI = Operator()


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
    by: Operator = CLI,
) -> NewStaff:
    """Create an account and its TOTP seed (shown once, to be put in an authenticator app). Does not commit."""
    username = username.strip().lower()
    if (
        not username
        or len(username) > USERNAME_MAX
        or not username.isascii()
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        raise StaffError("工号只能由字母、数字、点和下划线组成，最长 32 位。", "username")
    if find_staff(session, username) is not None:
        raise StaffError("该工号已存在。", "username")
    name, department = _required(name, "姓名", "name"), _required(department, "科室", "department")
    problem = password_problem(password)
    if problem:
        raise StaffError(problem, "password")
    roles = sorted(set(roles))
    if not roles:
        raise StaffError("至少要授予一个岗位角色。", "role")
    secret = totp_secret or totp.new_secret()
    staff = Staff(
        username=username,
        name=name,
        department=department,
        password_hash=hash_password(password),
        totp_secret_enc=vault.encrypt(secret, Purpose.STAFF_TOTP_SECRET, username),
        totp_last_step=0,
        active=True,
        failures=0,
        grants=[StaffRoleGrant(role=role) for role in roles],
    )
    session.add(staff)
    session.flush()
    _audit(session, by, AuditAction.STAFF_CREATED, f"新增工号 {username}（{department}），岗位 {_labels(roles)}")
    return NewStaff(staff, secret)


def _required(value: str, label: str, field: str) -> str:
    """A name or department: trimmed, present, at most 40 characters."""
    value = value.strip()
    if not value:
        raise StaffError(f"请填写{label}。", field)
    if len(value) > 40:
        raise StaffError(f"{label}最长 40 个字。", field)
    return value


def _labels(roles: Iterable[StaffRole]) -> str:
    return "、".join(role.label for role in sorted(roles))


def _audit(session: Session, by: Operator, action: AuditAction, detail: str) -> None:
    """One entry naming who changed a staff account (no commit: it joins the change it records)."""
    audit(session, action, staff_id=by.staff_id, detail=detail, ip=by.ip, request_id=by.request_id)


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
        step = totp.accepted_step(
            vault.decrypt(staff.totp_secret_enc, Purpose.STAFF_TOTP_SECRET, staff.username),
            code.strip(),
            staff.totp_last_step,
            clock,
        )
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
    if needs_rehash(staff.password_hash):  # made with older Argon2 parameters: the password is at hand only now
        staff.password_hash = hash_password(password)
    audit(session, AuditAction.LOGIN, staff_id=staff.id, ip=ip)
    session.flush()
    return StaffLogin(StaffLoginOutcome.OK, staff)


def unlock_staff(session: Session, target: Staff, *, by: Operator) -> None:
    """An administrator (or the operator's CLI) clears a lockout after failed logins, or an administrator's lock."""
    target.locked_until = None
    target.failures = 0
    target.active = True
    _audit(session, by, AuditAction.STAFF_UNLOCKED, f"解锁工号 {target.username}")
    session.flush()


def lock_staff(session: Session, target: Staff, *, by: Operator) -> None:
    """Lock an account until it is unlocked; the console stops recognising its sessions at once (the Actor is
    built only for an active account). Nobody locks themselves out."""
    if by.staff_id is not None and by.staff_id == target.id:
        raise StaffError("不能锁定自己的账户。", "lock")
    target.active = False
    _audit(session, by, AuditAction.STAFF_LOCKED, f"锁定工号 {target.username}")
    session.flush()


def reset_totp(session: Session, vault: PiiVault, target: Staff, *, by: Operator) -> str:
    """A new TOTP seed for a lost phone (the old one stops working at once); returns the seed to show once."""
    secret = totp.new_secret()
    target.totp_secret_enc = vault.encrypt(secret, Purpose.STAFF_TOTP_SECRET, target.username)
    target.totp_last_step = 0
    _audit(session, by, AuditAction.TOTP_RESET, f"重置工号 {target.username} 的动态口令")
    session.flush()
    return secret


def change_staff(
    session: Session,
    target: Staff,
    *,
    roles: Iterable[StaffRole],
    department: str,
    by: Operator,
    hall: tuple[int, str] | None = None,
) -> bool:
    """Set an account's roles, department and hall (``hall``: id and name, or None for none); returns whether
    anything changed. An administrator keeps their own administrator role, so the console never loses its last way
    in by a slip."""
    roles = set(roles)
    if not roles:
        raise StaffError("至少要授予一个岗位角色。", "role")
    department = _required(department, "科室", "department")
    if by.staff_id is not None and by.staff_id == target.id and StaffRole.ADMIN not in roles:
        raise StaffError("不能取消自己的系统管理岗位，请由其他管理员操作。", "role")
    before_roles, before_department = set(target.roles), target.department
    hall_id = hall[0] if hall else None
    if roles == before_roles and department == before_department and hall_id == target.hall_id:
        return False
    changes = []
    if roles != before_roles:
        target.grants = [g for g in target.grants if g.role in roles] + [
            StaffRoleGrant(role=role) for role in sorted(roles - before_roles)
        ]
        changes.append(f"岗位 {_labels(before_roles)} → {_labels(roles)}")
    if department != before_department:
        target.department = department
        changes.append(f"科室 {before_department} → {department}")
    if hall_id != target.hall_id:
        target.hall_id = hall_id
        changes.append(f"所在网点改为 {hall[1] if hall else '无'}")
    _audit(session, by, AuditAction.STAFF_CHANGED, f"工号 {target.username}：{'；'.join(changes)}")
    session.flush()
    return True


def all_staff(session: Session) -> list[Staff]:
    """Every staff account, by username."""
    return list(session.scalars(select(Staff).order_by(Staff.username)))


def trail(session: Session, *, staff_id: int | None = None, person_id: int | None = None, limit: int = 50):
    """The newest audit entries, for one staff member or about one person."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if staff_id is not None:
        query = query.where(AuditEntry.staff_id == staff_id)
    if person_id is not None:
        query = query.where(AuditEntry.person_id == person_id)
    return list(session.scalars(query))
