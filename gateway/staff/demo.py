"""Demo staff accounts for the embedded mode, with published TOTP seeds so a newcomer can log in.

Never loaded in production: `shebao demo-data` refuses there, and these seeds are in the README."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.security.pii import PiiVault
from gateway.staff.models import StaffRole
from gateway.staff.service import create_staff, find_staff


@dataclass(frozen=True)
class DemoStaff:
    username: str
    name: str
    department: str
    roles: tuple[StaffRole, ...]
    totp_secret: str
    #: The demo hall (its code) a hall member works at.
    hall_code: str | None = None


DEMO_STAFF = (
    DemoStaff("agent01", "王坐席", "12333 热线", (StaffRole.AGENT,), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    DemoStaff("hall01", "李窗口", "市社保经办中心", (StaffRole.HALL,), "KRUGS4ZANFZSAYJAONSWG4TFOQQGCYTD", "H01"),
    DemoStaff("review01", "张审核", "养老保险科", (StaffRole.REVIEWER,), "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"),
    DemoStaff(
        "review02",
        "赵复核",
        "养老保险科",
        (StaffRole.REVIEWER, StaffRole.SUPERVISOR),
        "OV3XQ6L2GEZDGNBVGY3TQOJQMFRGGZDF",
    ),
    DemoStaff("review03", "刘审核", "失业保险科", (StaffRole.REVIEWER,), "NBSWY3DPO5XXE3DEMFZGC3TEGEZDGNBV"),
    DemoStaff("admin01", "陈管理", "信息中心", (StaffRole.ADMIN,), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
)


def load_demo_staff(session: Session, vault: PiiVault) -> int:
    """Create the demo staff that are missing; returns how many were made. The caller commits."""
    made = 0
    for demo in DEMO_STAFF:
        if find_staff(session, demo.username) is None:
            new = create_staff(
                session,
                vault,
                username=demo.username,
                name=demo.name,
                department=demo.department,
                password=DEMO_PASSWORD,
                roles=demo.roles,
                totp_secret=demo.totp_secret,
            )
            if demo.hall_code:
                # By table name: the staff layer sits below appointments and does not import its models.
                query = text("SELECT id FROM appt_hall WHERE code = :code")
                new.staff.hall_id = session.scalar(query, {"code": demo.hall_code})
            made += 1
    session.flush()
    return made
