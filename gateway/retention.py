"""Regular clean-up of data the online system no longer needs (LD/T 01 6.3.3: 网上服务系统的数据进行定期清理).

What goes, once it is older than the operator's retention period (``SHEBAO_RETENTION_*``):

- login material that has expired: web sessions, SMS codes, e-SSC authorisation flows, API refresh tokens,
  third-party bindings never completed, unit certificate-login challenges — after ``EXPIRED_DAYS`` past expiry;
- remembered answers to API retries (``Idempotency-Key``, gateway/idempotency.py) once no retry may use them
  (``idempotency.KEEP_FOR``, a day): they hold the answers' bodies, so they go as soon as they are of no use;
- withdrawn applications: a draft the person abandoned (never submitted, untouched for ``WITHDRAWN_DAYS``) is the
  only way an application is given up in this gateway; its uploaded files are deleted from the store, its
  material rows and the draft itself with them.

- the personal content of closed live chats and mailbox cases (LD/T 01 5.5.1, 5.5.2 b), ``CHAT_DAYS`` and
  ``CONSULT_DAYS`` after they were closed: every chat message, what a person wrote in a case and each step's
  text, and the link to the person. The conversation or case itself stays — its number, kind, channel, dates,
  agent or department and status — so the statistics and following a case by its tracking number keep working.
  The seeds set no period for these records: LD/T 01 6.3.3 asks for regular clean-up, Regulation Art. 35 and 49
  for keeping the agency's information safe and personal data protected; the operator sets the period.

What stays, always: the append-only audit trails (staff audit, identity events, application timelines of every
submitted application), submitted applications and their files, bookings, certificates. Each run that removes
anything writes one entry to the staff audit trail (staff ``None``: the system) saying how many of each kind
went, so the clean-up itself is traced (LD/T 01 6.3.2).

Run by the scheduler every hour (gateway/scheduler.py) and by hand with ``shebao cleanup``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway import idempotency
from gateway.applications import uploads
from gateway.applications.models import Application, ApplicationMaterial, ApplicationStatus
from gateway.chat import service as chat_service
from gateway.consult import mailbox
from gateway.db import on_commit
from gateway.identity.models import AuthFlow, PendingBinding, RefreshToken, SmsCode, WebSession
from gateway.staff.models import AuditAction
from gateway.staff.service import audit
from gateway.units.models import UnitChallenge

log = logging.getLogger("shebao.retention")

#: The settings this module reads, with their defaults (days).
EXPIRED_DAYS_ENV = "SHEBAO_RETENTION_EXPIRED_DAYS"
WITHDRAWN_DAYS_ENV = "SHEBAO_RETENTION_WITHDRAWN_DAYS"
CHAT_DAYS_ENV = "SHEBAO_RETENTION_CHAT_DAYS"
CONSULT_DAYS_ENV = "SHEBAO_RETENTION_CONSULT_DAYS"
ENV_NAMES = (EXPIRED_DAYS_ENV, WITHDRAWN_DAYS_ENV, CHAT_DAYS_ENV, CONSULT_DAYS_ENV)
#: A closed chat or case may still be asked about (a complaint about the answer, a review): its content is kept at
#: least this long, whatever the operator sets.
RECORDS_MIN_DAYS = 30

#: Expiring login material, by the name the report uses.
_EXPIRING = {
    "web_sessions": WebSession,
    "sms_codes": SmsCode,
    "auth_flows": AuthFlow,
    "refresh_tokens": RefreshToken,
    "pending_bindings": PendingBinding,
    "unit_challenges": UnitChallenge,
}
_LABELS = {
    "web_sessions": "过期会话",
    "sms_codes": "过期短信验证码",
    "auth_flows": "过期电子社保卡授权",
    "refresh_tokens": "过期令牌",
    "pending_bindings": "过期待绑定记录",
    "unit_challenges": "过期证书登录挑战",
    "idempotency_answers": "过期的重复提交保护应答",
    "withdrawn_applications": "已放弃的申请草稿",
    "withdrawn_files": "已放弃申请的上传文件",
    "chat_transcripts": "超过保存期限的在线咨询对话内容",
    "consult_cases": "超过保存期限的留言内容",
}


class RetentionError(ValueError):
    """A ``SHEBAO_RETENTION_*`` setting that cannot be used."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long expired data is kept. The defaults keep a week of expired login material for investigating an
    incident, and give a person three months to come back to a draft before its files go. Closed chats and
    mailbox cases keep their content three years by default: long enough for a complaint about the answer, a
    review or an appeal, and the operator may set a period of their own archive rules."""

    expired_days: int = 7
    withdrawn_days: int = 90
    chat_days: int = 1095
    consult_days: int = 1095

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> RetentionPolicy:
        return cls(
            expired_days=_days(environ, EXPIRED_DAYS_ENV, cls.expired_days),
            withdrawn_days=_days(environ, WITHDRAWN_DAYS_ENV, cls.withdrawn_days),
            chat_days=_days(environ, CHAT_DAYS_ENV, cls.chat_days, RECORDS_MIN_DAYS),
            consult_days=_days(environ, CONSULT_DAYS_ENV, cls.consult_days, RECORDS_MIN_DAYS),
        )


def _days(environ: Mapping[str, str], name: str, default: int, least: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        days = int(raw)
    except ValueError:
        raise RetentionError(f"{name} must be a whole number of days, got {raw!r}") from None
    # 0 would remove a draft the person is filling in this minute: at least one day, whatever the operator sets.
    if days < least:
        raise RetentionError(f"{name} must be at least {least} day{'s' if least > 1 else ''}, got {days}")
    return days


@dataclass
class CleanupReport:
    """How many of each kind were removed (zero kinds included)."""

    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def summary(self) -> str:
        """In words, for the audit trail and the command line."""
        parts = [f"{_LABELS[k]} {n} 条" for k, n in self.removed.items() if n]
        return "定期清理（LD/T 01 6.3.3）：" + ("；".join(parts) if parts else "无过期数据")


def clean_up(session: Session, now: datetime, policy: RetentionPolicy, var_dir: Path) -> CleanupReport:
    """Remove what ``policy`` no longer keeps at ``now``; flushes, the caller commits. Files are deleted only once
    the transaction commits, so a rolled-back run leaves every file its rows still name."""
    report = CleanupReport()
    expired_before = now - timedelta(days=policy.expired_days)
    for name, model in _EXPIRING.items():
        result = session.execute(delete(model).where(model.expires_at < expired_before))
        report.removed[name] = result.rowcount or 0
    report.removed["idempotency_answers"] = idempotency.purge(session, now)

    abandoned_before = now - timedelta(days=policy.withdrawn_days)
    drafts = list(
        session.scalars(
            select(Application).where(
                Application.status == ApplicationStatus.DRAFT,
                Application.submitted_at.is_(None),
                Application.updated_at < abandoned_before,
            )
        )
    )
    stored = [
        m.stored_name
        for m in session.scalars(
            select(ApplicationMaterial).where(ApplicationMaterial.application_id.in_([d.id for d in drafts]))
        )
    ]
    for draft in drafts:
        session.delete(draft)  # its materials and timeline go with it (cascade)
    report.removed["withdrawn_applications"] = len(drafts)
    report.removed["withdrawn_files"] = len(stored)
    if stored:
        on_commit(session, lambda: uploads.delete_stored(stored, var_dir))

    report.removed["chat_transcripts"] = chat_service.purge_closed(
        session, now - timedelta(days=policy.chat_days), now=now
    )
    report.removed["consult_cases"] = mailbox.purge_closed(session, now - timedelta(days=policy.consult_days), now=now)
    if report.total:
        audit(session, AuditAction.DATA_CLEANED, staff_id=None, detail=report.summary())
    session.flush()
    log.info("retention clean-up", extra={"fields": dict(report.removed)})
    return report
