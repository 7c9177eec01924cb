"""The scheduler job that forwards the queued writes to the core system once it answers again (issue 19).

Registered in :data:`gateway.scheduler.JOBS`; it builds its own back-office client (with the exchange log, the
shared breaker and maintenance windows, like the app's) from the environment's settings, once per process.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from gateway.backoffice.interface import BackOffice
from gateway.resilience.writes import forward_now
from gateway.security.pii import PiiVault

__all__ = ["forward_job"]


@lru_cache(maxsize=1)
def _job_clients() -> tuple[PiiVault, BackOffice]:
    """The scheduler's own back-office client and vault, built once from the environment's settings."""
    from gateway.clients import build_backoffice
    from gateway.config import Settings
    from gateway.db import make_engine

    settings = Settings.from_env()
    return PiiVault(settings.secret_key), build_backoffice(
        settings, sessionmaker(bind=make_engine(settings.database_url))
    )


def forward_job(session: Session, now: datetime) -> int:
    """The scheduler job (gateway.scheduler): forward queued writes; its work commits with the job's session."""
    vault, backoffice = _job_clients()
    return forward_now(session, vault, backoffice, now)
