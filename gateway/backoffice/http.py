"""``HttpBackOffice``: the ``BackOffice`` interface as a client of a remote core system (DESIGN "The core system
is outside", LD/T 01 6.4.4).

It speaks the JSON protocol of :mod:`gateway.backoffice.server` and protects the gateway from a slow or dead
core system in three ways:

- **timeouts**: a connect timeout and a read timeout on every request, so no request thread waits forever;
- **retries**: only for idempotent operations (every query; never a write, which might already have been
  carried out when the answer was lost), a few times with exponential backoff and jitter;
- **a circuit breaker**: after ``failure_threshold`` consecutive failed requests (retries count) it opens and
  every call fails at once (no thread piles up behind a dead system); after ``reset_timeout`` seconds one
  trial call goes through (half-open): success closes it, failure opens it again.

The breaker here lives in the process; with Redis configured, :mod:`gateway.backoffice.breaker` shares one
between every node (``gateway.clients`` picks it).

Whatever goes wrong surfaces as :class:`BackOfficeUnavailable`, which ``gateway.errors`` turns into a 503
"系统繁忙" page or JSON error, and ``/readyz`` reports as ``backoffice: unavailable``. Messages and logs
never carry the arguments (they hold citizen ID numbers, Regulation Art. 49).
"""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import requests

from gateway.backoffice.interface import (
    AccountRecord,
    BackOffice,
    BackOfficeRefused,
    BackOfficeUnavailable,
    BenefitPaymentRecord,
    ContributionRecord,
    DocumentRecord,
    EligibilityRecord,
    EligibilityVerdict,
    Page,
    PersonRecord,
    RecordVersion,
    RegistrationRecord,
    TransferRecord,
    UnitContributionMonth,
    UnitRecord,
    UnitStaffRecord,
)
from gateway.backoffice.models import Scheme
from gateway.backoffice.wire import API_PREFIX, OPERATIONS, WireError, from_wire, to_wire
from gateway.catalog.forms import EligibilityCheck
from gateway.validation import DocumentType

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpen", "HttpBackOffice"]

log = logging.getLogger(__name__)

# Statuses that mean "the core system (or a proxy before it) is in trouble": worth a retry, count as failure.
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class CircuitOpen(BackOfficeUnavailable):
    """The breaker is open: the call was refused without touching the network."""


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Consecutive-failure circuit breaker, safe to share between request threads."""

    def __init__(
        self, failure_threshold: int = 5, reset_timeout: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if failure_threshold < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold must be ≥ 1 and reset_timeout > 0")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self) -> None:
        """Let the call through, or raise :class:`CircuitOpen`. In half-open, only one trial at a time."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return
            if state is BreakerState.HALF_OPEN and not self._trial_running:
                self._trial_running = True
                return
        raise CircuitOpen("back office circuit open")

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            # The N-th failure in a row opens the breaker; a failed half-open trial re-opens it for a full cool-down.
            if self._trial_running or self._failures >= self.failure_threshold:
                if self._opened_at is None:
                    # An alarm: error level, so an operator's log monitor sees it (issue 19).
                    log.error("back office circuit opened after %d consecutive failures", self._failures)
                self._opened_at = self._clock()
            self._trial_running = False


class _Failure(Exception):
    """One attempt failed in a way worth retrying (for an idempotent call) and worth counting."""


class HttpBackOffice(BackOffice):
    """The remote core system at ``base_url`` (the root that holds ``/v1/``), reached with ``api_key``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        breaker: CircuitBreaker | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()
        self._session = session or requests.Session()
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._sleep = sleep

    # -- transport --

    def call(
        self,
        operation: str,
        arguments: dict[str, Any],
        *,
        idempotent: bool,
        retries: int | None = None,
        decode: Any = None,
    ) -> Any:
        """POST one operation and return its JSON ``result`` (made into ``decode`` when given); retried only when
        ``idempotent``. Timeouts, lost connections, 5xx, non-JSON and wrong-schema answers all count as failures."""
        attempts = 1 + ((self.retries if retries is None else retries) if idempotent else 0)
        for attempt in range(attempts):
            self.breaker.before_call()
            try:
                result = self._attempt(operation, arguments)
                if decode is not None:
                    try:
                        result = from_wire(decode, result)
                    except WireError as exc:
                        raise _Failure(f"bad answer ({exc})") from exc
            except _Failure as exc:
                self.breaker.record_failure()
                if attempt + 1 >= attempts:
                    raise BackOfficeUnavailable(f"back office {operation}: {exc}") from exc
                delay = self.backoff * 2**attempt
                log.warning("back office %s failed (%s); retry %d in %.2fs", operation, exc, attempt + 1, delay)
                self._sleep(delay + random.uniform(0, delay / 2))  # jitter: retries of many threads spread out
                continue
            self.breaker.record_success()
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, operation: str, arguments: dict[str, Any]) -> Any:
        url = f"{self.base_url}{API_PREFIX}/{operation}"
        try:
            resp = self._session.post(url, json=arguments, headers=self._headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise _Failure("timed out") from exc
        except (requests.RequestException, OSError) as exc:
            # requests wraps most transport errors; a connection dropped mid-answer can surface as the bare
            # urllib3/http.client/socket error it wraps: the same failure either way.
            raise _Failure(f"cannot connect ({type(exc).__name__})") from exc
        if resp.status_code in _RETRYABLE_STATUSES:
            raise _Failure(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            # The core system answered, so it is up (no breaker failure), but refused: a wrong key or a
            # gateway bug. Retrying would get the same answer.
            self.breaker.record_success()
            log.error("back office refused %s: HTTP %d", operation, resp.status_code)
            raise BackOfficeRefused(f"back office {operation}: HTTP {resp.status_code}")
        try:
            return resp.json()["result"]
        except (ValueError, KeyError, TypeError) as exc:
            raise _Failure("answer is not the expected JSON") from exc

    def _invoke(self, name: str, **kwargs: Any) -> Any:
        op = OPERATIONS[name]
        args = {k: to_wire(v) for k, v in kwargs.items() if not (v is None and k in op.optional)}
        # A probe answers fast or not at all: no retries for ping (load balancers call /readyz often).
        # An answer of the wrong shape is a failure like a timeout: counted by the breaker, retried when allowed.
        return self.call(name, args, idempotent=op.idempotent, retries=0 if name == "ping" else None, decode=op.returns)

    # -- the interface --

    def ping(self) -> None:
        self._invoke("ping")

    def find_person(self, id_number: str) -> PersonRecord | None:
        return self._invoke("find_person", id_number=id_number)

    def find_by_document(self, doc_type: DocumentType, number: str) -> PersonRecord | None:
        return self._invoke("find_by_document", doc_type=doc_type, number=number)

    def documents(self, id_number: str) -> list[DocumentRecord]:
        return self._invoke("documents", id_number=id_number)

    def find_by_card(self, card_number: str) -> PersonRecord | None:
        return self._invoke("find_by_card", card_number=card_number)

    def find_unit(self, credit_code: str) -> UnitRecord | None:
        return self._invoke("find_unit", credit_code=credit_code)

    def registrations(self, id_number: str) -> list[RegistrationRecord]:
        return self._invoke("registrations", id_number=id_number)

    def contributions(
        self, id_number: str, page: int, page_size: int, scheme: Scheme | None = None
    ) -> Page[ContributionRecord]:
        return self._invoke("contributions", id_number=id_number, page=page, page_size=page_size, scheme=scheme)

    def account(self, id_number: str) -> AccountRecord | None:
        return self._invoke("account", id_number=id_number)

    def benefit_payments(self, id_number: str, page: int, page_size: int) -> Page[BenefitPaymentRecord]:
        return self._invoke("benefit_payments", id_number=id_number, page=page, page_size=page_size)

    def transfers(self, id_number: str) -> list[TransferRecord]:
        return self._invoke("transfers", id_number=id_number)

    def unit_staff(self, credit_code: str, page: int, page_size: int) -> Page[UnitStaffRecord]:
        return self._invoke("unit_staff", credit_code=credit_code, page=page, page_size=page_size)

    def unit_contribution_months(self, credit_code: str, months: int = 12) -> list[UnitContributionMonth]:
        return self._invoke("unit_contribution_months", credit_code=credit_code, months=months)

    def update_phone(self, id_number: str, phone: str) -> None:
        """Record a person's new mobile number in the core system (a write: sent once, never retried)."""
        self._invoke("update_phone", id_number=id_number, phone=phone)

    def certify_eligibility(self, id_number: str, year: int, certified_on: date, method: str, reference: str) -> None:
        self._invoke(
            "certify_eligibility",
            id_number=id_number,
            year=year,
            certified_on=certified_on,
            method=method,
            reference=reference,
        )

    def eligibility(self, id_number: str) -> list[EligibilityRecord]:
        return self._invoke("eligibility", id_number=id_number)

    def report_card_lost(self, id_number: str, card_number: str, reported_on: date, channel: str) -> None:
        """A write: sent once, never retried."""
        self._invoke(
            "report_card_lost", id_number=id_number, card_number=card_number, reported_on=reported_on, channel=channel
        )

    def check_eligibility(self, id_number: str, check: EligibilityCheck, on: date) -> EligibilityVerdict:
        return self._invoke("check_eligibility", id_number=id_number, check=check, on=on)

    def record_version(self, id_number: str) -> RecordVersion | None:
        return self._invoke("record_version", id_number=id_number)
