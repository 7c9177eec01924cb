"""``GET /metrics``: request counts and latency, and outbox/booking/application gauges, for the operators' Prometheus.

Request metrics are labelled by the URL rule (``/progress/<number>``), never the raw path, so no application
number or ID number reaches a label. The gauges are counted from the database at scrape time.

gunicorn runs several worker processes, each with its own counters. ``shebao serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh ``var/prometheus`` (or uses the folder the operator set, which must be
emptied before each start): each worker writes its samples there and a scrape of any worker sums them all
(prometheus-client's multiprocess mode). Without it, the process's own default registry is served.
There are no per-process gauges (the database gauges are computed at scrape time), so gunicorn needs no
``child_exit`` hook calling ``mark_process_dead``.

Access: from loopback always; from elsewhere only with ``Authorization: Bearer <SHEBAO_METRICS_TOKEN>``;
anything else gets the ordinary 404, so the public cannot tell the endpoint is there.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway import clock
from gateway.access.needs import public
from gateway.channel_policy import Operation

log = logging.getLogger("shebao.metrics")
bp = Blueprint("metrics", __name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
#: Methods kept as labels; anything else a client invents is "other", so labels stay a small fixed set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Headers a reverse proxy adds: a request carrying them came from outside even if the socket peer is loopback
#: (gunicorn's REMOTE_ADDR is the proxy's, there is no ProxyFix), so it needs the token like any other.
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

# Module level: one set per process, shared by every app create_app() makes (the tests make many).
HTTP_REQUESTS = Counter(
    "shebao_http_requests",
    "HTTP requests answered, by method, URL rule and status class.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "shebao_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL rule.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_label() -> str:
    """The matched URL rule (``/progress/<number>``), or ``unmatched``: never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    route = route_label()
    method = request.method if request.method in METHODS else "other"
    HTTP_REQUESTS.labels(method, route, f"{response.status_code // 100}xx").inc()
    started = g.get("metrics_started")
    if started is not None:
        HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)
    return response


# --- gauges counted from the database at scrape time ---------------------------------------------------------


def _outbox_by_status(session: Session) -> Metric:
    from notify.kinds import MessageStatus
    from notify.models import NotifyMessage

    rows = dict(session.execute(select(NotifyMessage.status, func.count()).group_by(NotifyMessage.status)).all())
    gauge = GaugeMetricFamily(
        "shebao_notify_messages", "Outbox messages (notify_message) by status.", labels=["status"]
    )
    for status in MessageStatus:  # every status, zeros included, so a series never vanishes
        gauge.add_metric([status.value], rows.get(status, 0))
    return gauge


def _oldest_due_age(session: Session) -> Metric:
    """Seconds since the oldest message still waiting to be sent fell due (0 when none is due)."""
    from notify.kinds import MessageStatus
    from notify.models import NotifyMessage

    now = clock.now()
    oldest = session.scalar(
        select(func.min(NotifyMessage.next_attempt_at)).where(
            NotifyMessage.status.in_((MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)),
            NotifyMessage.next_attempt_at <= now,
        )
    )
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return GaugeMetricFamily(
        "shebao_notify_oldest_due_age_seconds",
        "Age in seconds of the oldest due, unsent outbox message (0 when none is due).",
        value=age,
    )


def _active_bookings(session: Session) -> Metric:
    from gateway.appointments.models import Booking, BookingStatus

    count = session.scalar(select(func.count()).select_from(Booking).where(Booking.status == BookingStatus.BOOKED))
    return GaugeMetricFamily(
        "shebao_appointment_bookings_active", "Appointment bookings still booked (appt_booking).", value=count or 0
    )


def _applications_by_status(session: Session) -> Metric:
    from gateway.applications.models import Application, ApplicationStatus

    rows = dict(session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
    gauge = GaugeMetricFamily("shebao_applications", "Applications (app_application) by status.", labels=["status"])
    for status in ApplicationStatus:
        gauge.add_metric([status.value], rows.get(status, 0))
    return gauge


def _outbox_depth(session: Session) -> Metric:
    """Messages still to send (created or waiting for a retry), due or not: the dispatcher's backlog."""
    from notify.kinds import MessageStatus
    from notify.models import NotifyMessage

    count = session.scalar(
        select(func.count())
        .select_from(NotifyMessage)
        .where(NotifyMessage.status.in_((MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)))
    )
    return GaugeMetricFamily(
        "shebao_notify_outbox_depth", "Outbox messages still to send (created or to retry).", value=count or 0
    )


def _core_write_queue(session: Session) -> Metric:
    """Writes to the core system by status; ``pending`` is the queue an operator watches while it is away."""
    from gateway.backoffice.write_queue import CoreWrite, WriteStatus

    rows = dict(session.execute(select(CoreWrite.status, func.count()).group_by(CoreWrite.status)).all())
    gauge = GaugeMetricFamily(
        "shebao_core_write_queue",
        "Writes to the core system kept for later (bo_write_queue) by status.",
        labels=["status"],
    )
    for status in WriteStatus:
        gauge.add_metric([status.value], rows.get(status, 0))
    return gauge


#: name -> query; each is one cheap COUNT/MIN. Tests replace entries to make one fail.
DATABASE_GAUGES: dict[str, Callable[[Session], Metric]] = {
    "notify_messages": _outbox_by_status,
    "notify_oldest_due_age": _oldest_due_age,
    "notify_outbox_depth": _outbox_depth,
    "core_write_queue": _core_write_queue,
    "appointment_bookings_active": _active_bookings,
    "applications": _applications_by_status,
}


class BreakerCollector:
    """The circuit breaker of each outside system that has one, as this process sees it at the scrape (with Redis,
    the state every node shares): ``shebao_circuit_breaker_state{system, state}`` is 1 for the current state and
    0 for the others, so an alarm is ``shebao_circuit_breaker_state{state="open"} == 1``."""

    def __init__(self, systems: Callable[[], dict[str, object]]) -> None:
        self._systems = systems

    def collect(self) -> Iterator[Metric]:
        from gateway.backoffice.http import BreakerState

        gauge = GaugeMetricFamily(
            "shebao_circuit_breaker_state",
            "Circuit breaker of an outside system: 1 for its current state (closed, open, half_open), else 0.",
            labels=["system", "state"],
        )
        for system, breaker in self._systems().items():
            try:
                current = breaker.state  # type: ignore[attr-defined]
            except Exception as exc:  # a scrape never fails because one breaker could not say
                log.warning("breaker state of %s unknown: %s", system, type(exc).__name__)
                continue
            for state in BreakerState:
                gauge.add_metric([system, state.value], 1 if state is current else 0)
        yield gauge


def _breakers() -> dict[str, object]:
    """The breakers of the app's outside systems (the core system's, when it is reached over HTTP)."""
    from gateway.clients import get_clients

    clients = get_clients()
    found: dict[str, object] = {}
    backoffice = clients.backoffice
    breaker = getattr(getattr(backoffice, "inner", backoffice), "breaker", None)
    if breaker is not None:
        found["backoffice"] = breaker
    return found


class DatabaseCollector:
    """Collect :data:`DATABASE_GAUGES` with one session; a failing query skips its gauge, never the scrape."""

    def __init__(self, sessionmaker: Callable[[], Session]) -> None:
        self._sessionmaker = sessionmaker

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "shebao_metrics_gauge_up",
            "1 if the gauge's database query answered at this scrape, else 0.",
            labels=["gauge"],
        )
        with self._sessionmaker() as session:
            for name, query in DATABASE_GAUGES.items():
                try:
                    metric = query(session)
                # LookupError: a status in the table this code does not know (a newer node's migration).
                except (SQLAlchemyError, LookupError) as exc:
                    with contextlib.suppress(SQLAlchemyError):  # the connection itself may be gone
                        session.rollback()
                    log.warning("metrics gauge %s skipped: %s", name, type(exc).__name__)
                    up.add_metric([name], 0)
                    continue
                up.add_metric([name], 1)
                yield metric
        yield up


class _Forward:
    """Hand on another registry's samples, so one scrape serves process metrics and the database gauges."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def scrape_registry() -> CollectorRegistry:
    """The registry one scrape renders: all workers' samples (multiprocess mode) or this process's, plus gauges."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(DatabaseCollector(current_app.extensions["shebao_sessionmaker"]))
    registry.register(BreakerCollector(_breakers))
    return registry


# --- access ---------------------------------------------------------------------------------------------------


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def allowed() -> bool:
    """Loopback without proxy headers, or a matching ``SHEBAO_METRICS_TOKEN`` bearer token."""
    if _is_loopback(request.remote_addr) and not any(h in request.headers for h in PROXY_HEADERS):
        return True
    token = current_app.config["SETTINGS"].metrics_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/metrics")
@public(Operation.QUERY)
def metrics() -> Response:
    if not allowed():
        abort(404)
    # The 0.0.4 text format: what every Prometheus server (2.x included) reads; our names all fit it.
    return Response(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` (no CSRF, no rate limit: Prometheus scrapes it often) and time every request."""
    from gateway.security.csrf import csrf
    from gateway.security.limits import limiter

    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)
    # First of all before_request hooks, so the latency includes CSRF, sessions and the rest.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_record)
