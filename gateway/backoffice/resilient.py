"""``ResilientBackOffice``: what the gateway puts around any back office (local or HTTP) so that a core system
that is down, slow, under maintenance or answering garbage is handled honestly (LD/T 01 6.4.5, 6.5.3).

Around every call it

- **logs the exchange** (:mod:`gateway.backoffice.exchange_log`): digests of the request and the answer, the
  channel, an opaque reference to whom it was for, the outcome and the time — in the chain, committed in its own
  transaction (evidence stays even when the request's work is rolled back);
- **keeps the last good answer** to each query (:mod:`gateway.backoffice.last_known`), and when the core system
  does not answer it returns that answer instead, noting its age in :func:`degraded` so the page or API answer
  can say "以下为 X 分钟前的信息，核心系统暂时无法连接";
- **honours maintenance windows** (:mod:`gateway.backoffice.maintenance`): during one it calls nothing; queries
  get the last known answer, everything else is refused with the end time (:class:`CoreUnderMaintenance`);
- **hands a write it could not deliver back as** :class:`WriteNotDelivered`, so the use case can keep it in the
  write queue (:mod:`gateway.backoffice.write_queue`) in its own transaction and tell the person;
- **raises the alarm**: an error-level log line and the ``shebao_backoffice_failures_total`` metric on every
  call the core system did not answer.

Side writes (the log, the last answers) use their own sessions, never the request's, so a request whose own work
is rolled back keeps the evidence of what it asked. Within a request (:func:`begin_request`) they are batched:
every call's entry and fresh answer wait in the request's context and are written once, in one side transaction,
when the request ends (:meth:`ResilientBackOffice.flush`, from the app's teardown, which runs for failed requests
too) — three statements for the chain and one upsert for the answers per request instead of about six per call,
and the chain's lock is taken once. Outside a request (jobs, the command line) each call is written at once.
On SQLite the side session waits for the writer lock only briefly; entries it could not write stay buffered in
the process and go first in the next write, so the chain is never written around and no request stalls behind
itself.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from gateway.backoffice import exchange_log, last_known, maintenance
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
from gateway.backoffice.wire import OPERATIONS, WireError, from_wire, to_wire
from gateway.backoffice.write_queue import WriteKind, seal
from gateway.catalog.forms import EligibilityCheck
from gateway.problems import UserError
from gateway.security.pii import PiiVault
from gateway.validation import DocumentType

__all__ = [
    "CoreUnderMaintenance",
    "Degraded",
    "ExchangeContext",
    "ResilientBackOffice",
    "Missing",
    "WriteNotDelivered",
    "batched",
    "begin_request",
    "degraded",
    "gather",
    "recent_answers",
]

log = logging.getLogger("shebao.backoffice")

#: The alarm an operator's monitor watches: calls the core system did not answer, by operation and reason.
FAILURES = Counter(
    "shebao_backoffice_failures",
    "Calls to the core system that failed (timeout, no connection, garbage, refusal), by operation and reason.",
    ["operation", "reason"],
)
DEGRADED = Counter(
    "shebao_backoffice_degraded_answers",
    "Queries answered from the last known data because the core system did not answer or was in maintenance.",
    ["operation"],
)
EXCHANGES = Counter("shebao_backoffice_exchanges", "Calls made to the core system, by outcome.", ["outcome"])

WRITES = frozenset(k.value for k in WriteKind)
#: Writes that must take effect now or be refused, never queued: a lost card is suspended at once, or the person
#: is told to call 12333 (no last known answer either: they are not queries).
IMMEDIATE_WRITES = frozenset({"report_card_lost"})
#: Queries whose last good answer is kept: everything but the probe and the writes.
QUERIES = frozenset(
    name for name in OPERATIONS if name != "ping" and name not in WRITES and name not in IMMEDIATE_WRITES
)
#: The record queries a page that only shows them may answer from an answer this node got moments ago
#: (:func:`recent_answers`; issue 18): a person paging through their rights asks the same questions within
#: seconds. Look-ups that decide something (a login's, an SMS's phone, an eligibility check) always ask.
RECENT_OK = frozenset({"find_person", "registrations", "contributions", "account", "benefit_payments", "transfers"})
#: How old such an answer may be. A write through this node forgets the person's answers at once; another
#: node's write (the other gateway nodes, the core system's own counters) shows within this time.
RECENT_ANSWER_AGE = timedelta(seconds=30)
#: At most this many answers are kept per back office (the oldest go first).
RECENT_ANSWERS_KEPT = 4096


@dataclass(frozen=True)
class ExchangeContext:
    """Who a call is for, as the exchange log records it: the channel and an opaque reference (never an ID number)."""

    channel: str = "system"
    subject: str | None = None


@dataclass(frozen=True)
class Degraded:
    """One answer that is not live: its operation, when it was fetched, and why."""

    operation: str
    fetched_at: datetime
    maintenance_until: datetime | None = None

    def minutes_old(self, now: datetime | None = None) -> int:
        return max(0, int(((now or clock.now()) - self.fetched_at).total_seconds() // 60))

    def message(self, now: datetime | None = None) -> str:
        minutes = self.minutes_old(now)
        age = f"{minutes} 分钟前" if minutes < 120 else f"{clock.format_beijing(self.fetched_at)}（北京时间）"
        if self.maintenance_until is not None:
            return (
                f"以下为 {age}的信息，核心系统正在维护，"
                f"预计北京时间 {clock.format_beijing(self.maintenance_until)} 恢复。"
            )
        return f"以下为 {age}的信息，核心系统暂时无法连接。"


class CoreUnderMaintenance(UserError, BackOfficeUnavailable):
    """Refused without calling the core system: it is in an announced maintenance window (a polite 503)."""

    def __init__(self, window: maintenance.WindowView) -> None:
        UserError.__init__(self, "core_maintenance", maintenance.closed_message(window), 503)
        self.window = window


class WriteNotDelivered(BackOfficeUnavailable):
    """A write the core system did not take because it did not answer; the caller may queue it."""

    def __init__(self, kind: WriteKind, sealed: str = "") -> None:
        super().__init__(f"back office {kind.value}: not delivered")
        self.kind = kind
        self.sealed = sealed  # the arguments, encrypted for the write queue (gateway.backoffice.write_queue.seal)


_notes: ContextVar[list[Degraded] | None] = ContextVar("shebao_backoffice_degraded", default=None)


@dataclass
class _Batch:
    """One request's evidence, written at its end: the exchange-log entries in call order, the fresh answers."""

    records: list[exchange_log.ExchangeRecord] = field(default_factory=list)
    answers: list[last_known.FreshAnswer] = field(default_factory=list)


#: The batches of the current request, one per back office (by id); None outside a request: write at once.
_batches: ContextVar[dict[int, _Batch] | None] = ContextVar("shebao_backoffice_batches", default=None)


_recent_ok: ContextVar[bool] = ContextVar("shebao_backoffice_recent_ok", default=False)


@contextmanager
def recent_answers() -> Iterator[None]:
    """Within the block (or the view it decorates), the queries of :data:`RECENT_OK` may be answered from an
    answer got from the core system within :data:`RECENT_ANSWER_AGE` for the same arguments: no call, so no
    exchange-log entry (there was no exchange). For pages that only show a person's records (issue 18)."""
    token = _recent_ok.set(True)
    try:
        yield
    finally:
        _recent_ok.reset(token)


def begin_request() -> None:
    """Start a request's (or job's) list of answers that are not live, and its batch of evidence."""
    _notes.set([])
    _batches.set({})


@contextmanager
def batched(backoffice: object) -> Iterator[None]:
    """Within the block, the evidence of ``backoffice``'s calls waits and is written once at its end, as a
    request's is (a job's batch: the dispatcher's phone look-ups). Nothing changes for a back office without it."""
    flush = getattr(backoffice, "flush", None)
    if flush is None:
        yield
        return
    token = _batches.set({})
    try:
        yield
    finally:
        try:
            flush()
        finally:
            _batches.reset(token)


def degraded() -> list[Degraded]:
    """The answers of this request that came from the last known data, oldest first."""
    return sorted(_notes.get() or [], key=lambda d: d.fetched_at)


def _note(item: Degraded) -> None:
    notes = _notes.get()
    if notes is None:
        notes = []
        _notes.set(notes)
    if all(n.operation != item.operation for n in notes):
        notes.append(item)


@dataclass(frozen=True)
class Missing:
    """A part of a page or answer the core system did not give (and no last known data stood in for)."""

    part: str
    label: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"part": self.part, "label": self.label, "message": self.message}


def gather(calls: dict[str, tuple[str, Callable[[], Any]]]) -> tuple[dict[str, Any], list[Missing]]:
    """Make several back-office calls for one page (part → (Chinese label, call)): what was got, and what is
    missing with why, so one failing call does not take the others down (LD/T 01 6.4.5). All failing is a
    failure of the whole (the first error is raised)."""
    got: dict[str, Any] = {}
    missing: list[Missing] = []
    first: BackOfficeUnavailable | None = None
    for part, (label, call) in calls.items():
        try:
            got[part] = call()
        except BackOfficeUnavailable as exc:
            first = first or exc
            message = exc.message if isinstance(exc, UserError) else "核心系统暂时无法连接，请稍后再试。"
            missing.append(Missing(part, label, message))
    if first is not None and not got:
        raise first
    return got, missing


_SIDE_ENGINES: dict[str, Engine] = {}
_SIDE_LOCK = threading.Lock()


def _side_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions for the side writes: on a SQLite file, an engine that waits for the writer lock only briefly (one
    per database file in the process, however many apps are built)."""
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return sessions
    key = str(engine.url)
    with _SIDE_LOCK:
        side = _SIDE_ENGINES.get(key)
        if side is None:
            side = create_engine(engine.url, connect_args={"timeout": 0.25, "check_same_thread": False})
            _SIDE_ENGINES[key] = side
    return sessionmaker(bind=side, expire_on_commit=False)


class ResilientBackOffice(BackOffice):
    """``inner`` with the exchange log, the last known answers, maintenance windows and the alarms around it."""

    def __init__(
        self,
        inner: BackOffice,
        sessions: sessionmaker[Session],
        vault: PiiVault,
        *,
        context: Callable[[], ExchangeContext] = ExchangeContext,
    ) -> None:
        self.inner = inner
        self._sessions = sessions
        self._side = _side_sessions(sessions)
        self._vault = vault
        self._context = context
        self._lock = threading.Lock()
        self._pending: list[exchange_log.ExchangeRecord] = []
        #: Fresh answers to :data:`RECENT_OK` queries: (operation, arguments) → (when, answer), oldest first.
        self._recent: OrderedDict[tuple, tuple[datetime, Any]] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        # Anything else the implementation offers (the HTTP client's breaker, the local one's helpers).
        return getattr(self.inner, name)

    # -- the side writes --

    def _batch(self) -> _Batch | None:
        batches = _batches.get()
        if batches is None:
            return None
        return batches.setdefault(id(self), _Batch())

    def flush(self) -> bool:
        """Write this request's evidence (and entries kept from before) in one side transaction, and end the
        request's batching; False if the database could not take the entries now (they are kept for the next)."""
        batches = _batches.get()
        batch = batches.pop(id(self), None) if batches is not None else None
        if batches is not None and not batches:
            _batches.set(None)  # the request is over: anything after it is written at once
        answers = batch.answers if batch is not None else []
        with self._lock:
            records, self._pending = self._pending + (batch.records if batch is not None else []), []
        if not records and not answers:
            return True
        try:
            with self._side.begin() as s:
                if answers:  # first, so the chain's lock is held only for the log's three statements
                    last_known.store_many(s, self._vault, answers)
                exchange_log.append(s, records)
            return True
        except SQLAlchemyError as exc:
            if answers:  # a missed refresh only makes the fallback older; the evidence must still go in
                log.warning("last known answers not kept: %s", type(exc).__name__)
                return self._write_records(records)
            self._keep(records, exc)
            return False

    def _write_records(self, records: list[exchange_log.ExchangeRecord]) -> bool:
        if not records:
            return True
        try:
            with self._side.begin() as s:
                exchange_log.append(s, records)
            return True
        except SQLAlchemyError as exc:
            self._keep(records, exc)
            return False

    def _keep(self, records: list[exchange_log.ExchangeRecord], exc: SQLAlchemyError) -> None:
        with self._lock:
            self._pending[:0] = records  # keep them, first, for the next try
        log.warning("exchange log entries kept for later: %s", type(exc).__name__)

    def _record(self, at: datetime, name: str, subject: str, outcome: str, request: Any, response: Any) -> None:
        EXCHANGES.labels(outcome).inc()
        if name == "ping":
            return  # the readiness probe (every few seconds per balancer) carries nobody's data: not evidence
        channel = self._safe_context().channel
        entry = exchange_log.ExchangeRecord(
            at=at,
            channel=channel[:16],
            subject=subject[:80],
            operation=name,
            outcome=outcome,
            request_digest=exchange_log.digest(request),
            response_digest=exchange_log.digest(response),
        )
        batch = self._batch()
        if batch is not None:
            batch.records.append(entry)  # written with the rest of the request's at its end
            return
        with self._lock:
            self._pending.append(entry)
        self.flush()

    def _remember(self, name: str, wire_args: dict[str, Any], wire: Any, at: datetime) -> None:
        answer = last_known.FreshAnswer(name, wire_args, wire, at)
        batch = self._batch()
        if batch is not None:
            batch.answers.append(answer)
            return
        try:
            with self._side.begin() as s:
                last_known.store_many(s, self._vault, [answer])
        except SQLAlchemyError as exc:  # a missed refresh only makes the fallback older
            log.warning("last known answer not kept: %s", type(exc).__name__)

    def _recall(self, name: str, wire_args: dict[str, Any]) -> last_known.LastKnownAnswer | None:
        batch = self._batch()
        for answer in reversed(batch.answers if batch is not None else []):  # got earlier in this request
            if answer.operation == name and answer.arguments == wire_args:
                return last_known.LastKnownAnswer(answer.wire, answer.at)
        try:
            with self._sessions() as s:
                return last_known.load(s, self._vault, name, wire_args)
        except SQLAlchemyError as exc:
            log.error("last known answers unreadable: %s", type(exc).__name__)
            return None

    def _window(self, now: datetime) -> maintenance.WindowView | None:
        try:
            with self._sessions() as s:
                return maintenance.active(s, now)
        except SQLAlchemyError:
            return None  # no database, no announcement to honour: the call itself will tell

    def _safe_context(self) -> ExchangeContext:
        try:
            return self._context()
        except Exception:  # the log must never fail the call it records
            return ExchangeContext()

    def _subject(self, kwargs: dict[str, Any]) -> str:
        ctx = self._safe_context()
        if ctx.subject:
            return ctx.subject
        if "id_number" in kwargs:
            return "id:" + self._vault.digest(str(kwargs["id_number"]))[:24]
        if "credit_code" in kwargs:
            return "unit:" + self._vault.digest(str(kwargs["credit_code"]))[:24]
        if "number" in kwargs or "card_number" in kwargs:  # a document or a card, before the person is known
            return "doc:" + self._vault.digest(str(kwargs.get("number") or kwargs.get("card_number")))[:24]
        return "-"

    # -- answers got moments ago --

    def _recent_answer(self, key: tuple, now: datetime) -> tuple[datetime, Any] | None:
        with self._lock:
            found = self._recent.get(key)
        if found is None or not (found[0] <= now < found[0] + RECENT_ANSWER_AGE):
            return None
        answer = found[1]
        return found[0], list(answer) if isinstance(answer, list) else answer  # a list the caller may change

    def _keep_recent(self, key: tuple, now: datetime, answer: Any) -> None:
        with self._lock:
            self._recent[key] = (now, list(answer) if isinstance(answer, list) else answer)
            self._recent.move_to_end(key)
            while len(self._recent) > RECENT_ANSWERS_KEPT:
                self._recent.popitem(last=False)

    def forget_recent(self, id_number: str | None = None) -> None:
        """Drop the answers kept for ``id_number`` (every answer when None): after a write about the person."""
        with self._lock:
            if id_number is None:
                self._recent.clear()
                return
            for key in [k for k in self._recent if ("id_number", id_number) in k[1]]:
                del self._recent[key]

    # -- the call --

    def _call(self, name: str, kwargs: dict[str, Any]) -> Any:
        try:
            return getattr(self.inner, name)(**kwargs)
        finally:
            if name not in QUERIES and name != "ping":
                # A write (done, refused or lost on the way): what was kept about the person may have changed. After
                # the call, so an answer a concurrent page got before the write took effect is dropped too.
                self.forget_recent(kwargs.get("id_number"))

    def _invoke(self, name: str, **kwargs: Any) -> Any:
        op = OPERATIONS[name]
        kwargs = {k: v for k, v in kwargs.items() if not (v is None and k in op.optional)}
        wire_args = {k: to_wire(v) for k, v in kwargs.items()}
        request = {"operation": name, "arguments": wire_args}
        now = clock.now()
        if name != "ping":
            window = self._window(now)
            if window is not None:
                # LD/T 01 6.5.3: announced downtime; the core system is not called at all.
                return self._fallback(name, wire_args, None, window)
        recent_key = None
        if name in RECENT_OK and _recent_ok.get():
            recent_key = (name, tuple(sorted(wire_args.items())))
            found = self._recent_answer(recent_key, now)
            if found is not None:
                return found[1]
        subject = self._subject(kwargs)
        try:
            result = self._call(name, kwargs)
        except BackOfficeRefused as exc:
            self._record(now, name, subject, "refused", request, {"error": "refused"})
            FAILURES.labels(name, "refused").inc()
            log.error("core system refused %s: %s", name, exc)
            raise
        except BackOfficeUnavailable as exc:
            reason = "circuit_open" if type(exc).__name__ == "CircuitOpen" else "unavailable"
            if reason != "circuit_open":  # an open breaker sent nothing: there is no exchange to record
                self._record(now, name, subject, "unavailable", request, {"error": reason})
            FAILURES.labels(name, reason).inc()
            log.error("core system did not answer %s (%s)", name, reason)
            return self._fallback(name, wire_args, exc, None)
        try:
            wire = to_wire(result)
        except (TypeError, ValueError, WireError) as exc:  # pragma: no cover - an implementation bug
            raise BackOfficeUnavailable(f"back office {name}: unreadable answer") from exc
        self._record(now, name, subject, "ok", request, {"result": wire})
        if name in QUERIES:
            self._remember(name, wire_args, wire, now)
        if recent_key is not None:
            self._keep_recent(recent_key, now, result)
        return result

    def _fallback(
        self,
        name: str,
        wire_args: dict[str, Any],
        exc: BackOfficeUnavailable | None,
        window: maintenance.WindowView | None,
    ) -> Any:
        if name in QUERIES:
            known = self._recall(name, wire_args)
            if known is not None:
                try:
                    value = from_wire(OPERATIONS[name].returns, known.wire)
                except WireError:
                    value = None
                    log.error("last known answer to %s unreadable", name)
                if value is not None or known.wire is None:
                    DEGRADED.labels(name).inc()
                    _note(Degraded(name, known.fetched_at, window.ends_at if window else None))
                    return value
        if window is not None:
            raise CoreUnderMaintenance(window)
        if name in WRITES:
            raise WriteNotDelivered(WriteKind(name)) from exc
        assert exc is not None
        raise exc

    # -- the interface --

    def ping(self) -> None:
        self._invoke("ping")

    def find_person(self, id_number: str) -> PersonRecord | None:
        return self._invoke("find_person", id_number=id_number)

    def find_unit(self, credit_code: str) -> UnitRecord | None:
        return self._invoke("find_unit", credit_code=credit_code)

    def find_by_document(self, doc_type: DocumentType, number: str) -> PersonRecord | None:
        return self._invoke("find_by_document", doc_type=doc_type, number=number)

    def documents(self, id_number: str) -> list[DocumentRecord]:
        return self._invoke("documents", id_number=id_number)

    def find_by_card(self, card_number: str) -> PersonRecord | None:
        return self._invoke("find_by_card", card_number=card_number)

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
        try:
            self._invoke("update_phone", id_number=id_number, phone=phone)
        except WriteNotDelivered as exc:
            sealed = seal(self._vault, exc.kind, {"id_number": id_number, "phone": phone})
            raise WriteNotDelivered(exc.kind, sealed) from exc

    def certify_eligibility(self, id_number: str, year: int, certified_on: date, method: str, reference: str) -> None:
        arguments = {
            "id_number": id_number,
            "year": year,
            "certified_on": certified_on,
            "method": method,
            "reference": reference,
        }
        try:
            self._invoke("certify_eligibility", **arguments)
        except WriteNotDelivered as exc:
            raise WriteNotDelivered(exc.kind, seal(self._vault, exc.kind, arguments)) from exc

    def eligibility(self, id_number: str) -> list[EligibilityRecord]:
        return self._invoke("eligibility", id_number=id_number)

    def report_card_lost(self, id_number: str, card_number: str, reported_on: date, channel: str) -> None:
        self._invoke(
            "report_card_lost", id_number=id_number, card_number=card_number, reported_on=reported_on, channel=channel
        )

    def check_eligibility(self, id_number: str, check: EligibilityCheck, on: date) -> EligibilityVerdict:
        return self._invoke("check_eligibility", id_number=id_number, check=check, on=on)

    def record_version(self, id_number: str) -> RecordVersion | None:
        return self._invoke("record_version", id_number=id_number)
