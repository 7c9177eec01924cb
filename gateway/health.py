"""``/healthz`` (the process answers) and ``/readyz`` (what it depends on answers)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from gateway import clock
from gateway.access.needs import public
from gateway.backoffice import BackOfficeUnavailable
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice, get_clients
from gateway.request_db import get_session

bp = Blueprint("health", __name__)

#: States that are reported but do not take the node out of service: an expiring seal still seals (a reminder to
#: rotate, LD/T 01 6.2.7), and messages waiting on a stopped worker do not stop this node serving pages.
WARNINGS = {("seal", "expiring"), ("dispatch", "behind")}
#: A message due this long ago and still unsent means no worker is draining the outbox.
DISPATCH_LAG = timedelta(minutes=10)


@bp.get("/healthz")
@public(Operation.QUERY)
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@public(Operation.QUERY)
def readyz():
    checks: dict[str, str] = {}
    try:
        get_session().execute(text("SELECT 1 FROM alembic_version"))
        checks["database"] = "ok"
    except SQLAlchemyError:
        checks["database"] = "unavailable"
    try:
        get_backoffice().ping()
        checks["backoffice"] = "ok"
    except BackOfficeUnavailable:
        checks["backoffice"] = "unavailable"
    # The embedded mode has no external queue; the Redis queue arrives with the notify issue.
    checks["queue"] = "ok" if not current_app.config["SETTINGS"].redis_url else _redis_check()
    seal = _seal_check()
    if seal is not None:
        checks["seal"] = seal
        # A seal without its timestamp server seals nothing (every certificate carries an RFC 3161 token):
        # the TSA is asked for a token like any document's, and its failure is the node's.
        checks["timestamp"] = _tsa_check()
    checks["dispatch"] = _dispatch_check()
    ready = all(v == "ok" or (k, v) in WARNINGS for k, v in checks.items())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (200 if ready else 503)


def _seal_check() -> str | None:
    """ok / expiring (30 days ahead) / expired / missing; None before `shebao seal init` (embedded)."""
    from esign.pki import SealError

    service = get_clients().sealer
    try:
        return service.seal_status().value
    except SealError:
        return "missing" if service.seal_configured() else None


#: How long /readyz waits for the timestamp server: a probe must answer well within a load balancer's check.
TSA_TIMEOUT_S = 3


def _tsa_check() -> str:
    """ok when the timestamp server grants a token for a test digest; unavailable when it cannot be reached,
    answers something that is not a timestamp reply, or refuses."""
    import asyncio

    from esign._loop import outside_event_loop
    from esign.signer import http_timestamper

    stamper = http_timestamper(get_clients().sealer.config.tsa_url, timeout=TSA_TIMEOUT_S)
    try:
        outside_event_loop(lambda: asyncio.run(stamper.async_dummy_response("sha256")))
    except (OSError, ValueError):  # pyHanko's TimestampRequestError is an OSError
        return "unavailable"
    return "ok"


def _dispatch_check() -> str:
    """ok, or behind when the outbox holds messages overdue by more than :data:`DISPATCH_LAG`."""
    from notify.kinds import MessageStatus
    from notify.models import NotifyMessage

    cutoff = clock.now() - DISPATCH_LAG
    try:
        overdue = get_session().scalar(
            select(NotifyMessage.id)
            .where(
                NotifyMessage.status.in_((MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)),
                NotifyMessage.next_attempt_at < cutoff,
            )
            .limit(1)
        )
    except SQLAlchemyError:
        return "unavailable"
    return "ok" if overdue is None else "behind"


def _redis_check() -> str:
    import redis

    try:
        redis.Redis.from_url(current_app.config["SETTINGS"].redis_url, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "unavailable"
