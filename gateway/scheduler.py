"""Periodic jobs (the day-before appointment reminder, marking no-shows, ending credit-list publications, the
retention clean-up of expired data), run by ``shebao scheduler``.

Every job is idempotent — reminders carry an idempotency key, no-shows are a conditional UPDATE, the clean-up
deletes by age — so
running the scheduler on two nodes at once sends nothing twice; one per deployment is still enough.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from gateway.appointments import service as appointments
from gateway.config import Settings
from gateway.public_info import credit
from gateway.resilience.writes import forward_now
from gateway.retention import RetentionPolicy, clean_up

log = logging.getLogger("shebao.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: Callable[[Session, datetime], int]


def _expire_credit_entries(session: Session, now: datetime) -> int:
    """The job owns its transaction: the service flushes, the job commits (GB/T 31621 19: removal at the end)."""
    count = credit.expire_ended(session, now)
    session.commit()
    return count


JOBS = (
    Job("appointment reminders", 300, appointments.enqueue_reminders),
    Job("appointment no-shows", 300, appointments.mark_no_shows),
    Job("credit list expiry", 3600, _expire_credit_entries),
)


def retention_job(settings: Settings, policy: RetentionPolicy) -> Job:
    """The hourly clean-up of expired data (LD/T 01 6.3.3) with the operator's retention periods."""
    return Job("retention clean-up", 3600, lambda session, now: clean_up(session, now, policy, settings.var_dir).total)


def forward_writes_job(settings: Settings, sessions: sessionmaker) -> Job:
    """Forward the writes the core system could not take, oldest first, once it answers again (issue 19). The
    job's back-office client is built like the app's (exchange log, shared breaker, maintenance windows)."""
    from gateway.clients import build_backoffice
    from gateway.security.pii import PiiVault

    vault = PiiVault(settings.secret_key, settings.secret_key_fallbacks)  # writes sealed before a rotation
    backoffice = build_backoffice(settings, sessions)
    return Job("forward queued core writes", 60, lambda session, now: forward_now(session, vault, backoffice, now))


def jobs_for(settings: Settings, sessions: sessionmaker, policy: RetentionPolicy | None = None) -> tuple[Job, ...]:
    """Every job a deployment's scheduler runs."""
    return (
        *JOBS,
        forward_writes_job(settings, sessions),
        retention_job(settings, policy or RetentionPolicy.from_env()),
    )


def run_due(sessions: sessionmaker, last_run: dict[str, float], now_mono: float, jobs=JOBS) -> dict[str, int]:
    """Run the jobs whose interval has passed; a failing job is logged and retried next round."""
    done = {}
    for job in jobs:
        if now_mono - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        try:
            with sessions.begin() as session:  # the job flushes; its work commits here, or none of it
                done[job.name] = job.run(session, clock.now())
            last_run[job.name] = now_mono
        except Exception:  # one failing job must not stop the others
            log.exception("scheduled job failed", extra={"fields": {"job": job.name}})
    return done


def run(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, checking every 15 seconds which jobs are due."""
    from gateway.db import make_engine
    from gateway.request_log import configure_logging

    configure_logging(settings.log_level)
    policy = RetentionPolicy.from_env()  # a wrong SHEBAO_RETENTION_* stops the start, not a job an hour later
    engine = make_engine(settings.database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    jobs = jobs_for(settings, sessions, policy)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    last_run: dict[str, float] = {}
    try:
        while not stop.is_set():
            for name, count in run_due(sessions, last_run, time.monotonic(), jobs).items():
                log.info("scheduled job", extra={"fields": {"job": name, "count": count}})
            stop.wait(15)
    finally:
        engine.dispose()
