"""Withdrawing one's own application (撤回申请): one use case for the web's progress page and the JSON API.

An applicant may withdraw while the agency has not taken the case up, or while it waits on the applicant:
submitted (not yet accepted), pre-reviewed (an appointment item before its window visit) and waiting for
supplementary materials after a one-time notice. Once staff have accepted it and are handling it, or a result
exists, it can no longer be withdrawn online (the person contacts the agency instead).

Withdrawing ends the handling for good, so it is a risky operation: the warning is shown and must be confirmed
(LD/T 01 5.3.2). The step is traced in the timeline and the person is told through the push platform like every
step of progress (LD/T 01 5.3.1 c, 6.3.2) — :func:`gateway.applications.service._transition` does both.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway import clock
from gateway.applications.models import ActorKind, Application, ApplicationStatus
from gateway.applications.service import _transition
from gateway.problems import UserError

#: The statuses from which the applicant may withdraw (see the module's docstring).
WITHDRAWABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.PREREVIEWED,
    ApplicationStatus.SUPPLEMENT_REQUESTED,
)
REASON_MAX = 200
#: LD/T 01 5.3.2: the warning the person confirms before withdrawing.
WARNING = (
    "撤回后，本申请即终止办理，已上传的材料不再审核，也不能恢复。"
    "如仍需办理，须重新提交申请，办理时限从新申请之日重新计算。"
)
NOT_CONFIRMED = "请阅读撤回提示，并确认“我已了解撤回的后果，确认撤回”后再撤回。"


def withdrawable(app: Application) -> bool:
    """True while the applicant may still withdraw ``app``."""
    return app.number is not None and app.status in WITHDRAWABLE


def withdraw(
    session: Session,
    app: Application,
    person_id: int,
    *,
    reason: str,
    confirmed: bool,
    now: datetime,
) -> Application:
    """Withdraw the person's own application ``app`` (flushes; the request boundary commits)."""
    now = clock.utc(now)
    if app.person_id != person_id or app.number is None:
        raise UserError("not_found", "没有找到该申请。", 404)
    if app.status not in WITHDRAWABLE:
        raise UserError(
            "wrong_status",
            f"该申请当前为“{app.status.label}”，不能撤回。已受理办理中的申请如需撤回，请联系经办机构或拨打12333。",
            409,
        )
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise UserError("reason_too_long", f"撤回原因最多{REASON_MAX}个字。")
    if not confirmed:
        raise UserError("risk_not_confirmed", NOT_CONFIRMED)
    note = "申请人撤回申请" + (f"：{reason}" if reason else "")
    app.decided_at = None  # no decision of the agency: no result notice is issued
    app.result = note
    _transition(session, app, ApplicationStatus.WITHDRAWN, ActorKind.APPLICANT, f"person:{person_id}", note, now)
    session.flush()
    return app
