"""The dispatcher: claims due outbox rows, sends them through their provider, records what happened.

Claiming is one atomic statement — ``UPDATE … SET status='sending', claim_token=… WHERE id IN (due rows) AND
status IN ('created','temporary_failure')`` — with ``FOR UPDATE SKIP LOCKED`` on the inner SELECT on
PostgreSQL (ignored by SQLite, whose writers are serialised anyway). A row changes hands only if it was still
due at the moment of the write, so any number of dispatchers in any number of processes or machines never
claim the same message twice. Every later write is also a single conditional UPDATE keyed by the claim token,
so a dispatcher whose lease ran out cannot overwrite the one that took over.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway import clock
from notify import wakeup
from notify.clock import QuietHours
from notify.kinds import DUE_STATUSES, Channel, MessageStatus
from notify.models import AttemptOutcome, NotifyAttempt, NotifyMessage
from notify.providers import Outcome, Outgoing, Provider, parse_out_id, sms_out_id
from notify.sms import ReceiptStatus, SmsClient, SmsError

log = logging.getLogger("shebao.notify")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base·2^(n-1) (capped), half of it fixed, half random,
    so a provider outage does not come back as a synchronised stampede."""

    max_attempts: int = 5
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        raw = min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempt - 1)))
        return raw / 2 + rng.uniform(0, raw / 2)


@dataclass
class Stats:
    claimed: int = 0
    delivered: int = 0
    accepted: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    receipts: int = 0
    released: int = 0

    def add(self, other: Stats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class _Recovered:
    """What :meth:`Dispatcher._record` reads of a message settled by recovery."""

    id: int
    attempts: int


@dataclass
class Dispatcher:
    sessions: sessionmaker[Session]
    providers: Mapping[Channel, Provider]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    sms_receipts: SmsClient | None = None
    batch_size: int = 100
    concurrency: int = 4
    lease_seconds: float = 300.0
    #: How long an SMS whose worker died stays held while the gateway cannot say whether it took it.
    uncertain_hold_seconds: float = 3600.0
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="notify-send")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------ claiming

    def claim(self, limit: int | None = None) -> tuple[str, list[Outgoing]]:
        """Atomically take up to ``limit`` due messages; answer the claim token and plain copies of them."""
        token = uuid.uuid4().hex
        now = clock.now()
        m = NotifyMessage
        due = (
            select(m.id)
            .where(m.status.in_(DUE_STATUSES), m.next_attempt_at <= now)
            .order_by(m.next_attempt_at, m.id)
            .limit(limit or self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.sessions.begin() as s:
            s.execute(
                update(m)
                .where(m.id.in_(due), m.status.in_(DUE_STATUSES))
                .values(
                    status=MessageStatus.SENDING,
                    claim_token=token,
                    claimed_by=self.worker_id,
                    claimed_at=now,
                    attempts=m.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            # The columns, not the ORM objects: a batch is read once and never changed through them.
            rows = s.execute(_CLAIMED, {"b_token": token}).all()
            claimed = [Outgoing(*r) for r in rows]
        return token, claimed

    # ------------------------------------------------------------------ one round

    def run_once(self) -> Stats:
        """Release expired leases, apply SMS receipts, then claim and send one batch."""
        stats = Stats(released=self.release_stale())
        stats.receipts = self.poll_receipts()
        token, batch = self.claim()
        stats.claimed = len(batch)
        if not batch:
            return stats
        now = clock.now()
        to_send, deferred = [], []
        for msg in batch:
            release = None
            if msg.channel is Channel.SMS and not msg.kind.urgent:
                release = self.quiet_hours.release_time(now)
            (deferred if release else to_send).append((msg, release))
        for msg, release in deferred:
            self._defer(token, msg, release)
        stats.deferred = len(deferred)
        for channel, provider in self.providers.items():
            try:
                provider.prepare([msg for msg, _ in to_send if msg.channel is channel])
            except Exception:  # a lookup that failed in bulk is made again, message by message, in send()
                log.exception("provider %s could not prepare the batch", channel)
        started = clock.now()
        outcomes = list(self._pool.map(lambda pair: self._send(pair[0]), to_send))
        # One transaction for the whole batch's results: a commit per message would cap throughput. Rows are
        # updated in id order, as the receipts below are, so two workers' transactions never wait on each other
        # in a cycle (a deadlock on PostgreSQL).
        results = sorted(zip(to_send, outcomes, strict=True), key=lambda pair: pair[0][0].id)
        attempts: list[dict] = []
        with self.sessions.begin() as s:
            for (msg, _), outcome in results:
                self._record(s, token, msg, outcome, started, stats, attempts)
            if attempts:
                s.connection().execute(_ATTEMPT, attempts)  # the batch's attempt rows in one executemany
        return stats

    def run_until_idle(self, max_rounds: int = 10_000) -> Stats:
        """Run rounds until nothing is due (tests, benchmarks, ``shebao worker --once``)."""
        total = Stats()
        for _ in range(max_rounds):
            stats = self.run_once()
            total.add(stats)
            if stats.claimed == 0 and stats.receipts == 0 and stats.released == 0:
                break
        return total

    def run_forever(self, stop: threading.Event, poll_seconds: float = 2.0) -> None:
        """The worker loop: work while there is work, otherwise sleep until a wake-up or the next poll."""
        log.info("notify dispatcher %s started", self.worker_id)
        while not stop.is_set():
            try:
                stats = self.run_once()
            except Exception:
                # A database blip must not kill the worker; the rows stay in the table for the next round.
                log.exception("notify dispatch round failed")
                stats = Stats()
            if stats.claimed >= self.batch_size:
                # A full batch means more is waiting: wake one more worker (each wake-up reaches one).
                wakeup.signal()
            elif stats.claimed == 0 and not stop.is_set():
                wakeup.wait(poll_seconds)
        log.info("notify dispatcher %s stopped", self.worker_id)

    # ------------------------------------------------------------------ internals

    def _send(self, msg: Outgoing) -> Outcome:
        provider = self.providers.get(msg.channel)
        if provider is None:
            return Outcome(AttemptOutcome.TEMPORARY_FAILURE, error=f"没有配置{msg.channel.label}发送通道")
        try:
            return provider.send(msg)
        except Exception as exc:  # a provider bug is a failed attempt, not a dead worker
            log.exception("provider %s raised", msg.channel)
            return Outcome(AttemptOutcome.TEMPORARY_FAILURE, error=f"{type(exc).__name__}: {exc}"[:255])

    def _defer(self, token: str, msg: Outgoing, release: datetime) -> None:
        # Quiet hours: not an attempt. Back to the queue, due when the window ends.
        m = NotifyMessage
        with self.sessions.begin() as s:
            s.execute(
                update(m)
                .where(m.id == msg.id, m.claim_token == token)
                .values(
                    status=MessageStatus.CREATED if msg.attempts == 1 else MessageStatus.TEMPORARY_FAILURE,
                    attempts=m.attempts - 1,
                    next_attempt_at=release,
                    claim_token=None,
                    last_error=f"免打扰时段，推迟到{clock.format_beijing(release, '%H:%M')}发送",
                )
                .execution_options(synchronize_session=False)
            )

    def _record(  # noqa: PLR0913
        self,
        s: Session,
        token: str,
        msg: Outgoing,
        outcome: Outcome,
        started: datetime,
        stats: Stats,
        attempts: list[dict] | None = None,
    ) -> None:
        """Record one result under its claim token; its attempt row goes to ``attempts`` when given (written by
        the caller with the batch's, in the same transaction), else at once."""
        now = clock.now()
        result = outcome.result
        backoff = None
        params = {
            "b_id": msg.id,
            "b_token": token,
            "b_now": now,
            "b_error": outcome.error,
            "b_address": outcome.address_masked,
            "b_provider": outcome.provider_id,
            "b_next": None,
            "b_accepted": 0,
            "b_delivered": 0,
        }
        if result is AttemptOutcome.DELIVERED:
            params.update(b_status=MessageStatus.DELIVERED.value, b_delivered=1)
            stats.delivered += 1
        elif result is AttemptOutcome.ACCEPTED:
            params.update(b_status=MessageStatus.ACCEPTED.value, b_accepted=1)
            stats.accepted += 1
        elif result is AttemptOutcome.TEMPORARY_FAILURE and msg.attempts < self.retry.max_attempts:
            backoff = self.retry.backoff(msg.attempts, self.rng)
            params.update(b_status=MessageStatus.TEMPORARY_FAILURE.value, b_next=now + timedelta(seconds=backoff))
            stats.retried += 1
        else:
            if result is AttemptOutcome.TEMPORARY_FAILURE:
                params["b_error"] = f"重试{msg.attempts}次后仍失败：{outcome.error}"[:255]
                result = AttemptOutcome.PERMANENT_FAILURE
            params.update(b_status=MessageStatus.PERMANENT_FAILURE.value)
            stats.failed += 1
            log.warning("notify message %s permanently failed on %s: %s", msg.id, msg.channel, outcome.error)
        # One pre-built statement with bound parameters: compiled once, cheap per message. One UPDATE per message,
        # because its row count says whether this worker still held the claim.
        if not s.connection().execute(_RECORD, params).rowcount:
            log.warning("notify message %s: lease lost before the result was recorded", msg.id)
            return
        attempt = {
            "message_id": msg.id,
            "number": msg.attempts,
            "worker": self.worker_id[:64],
            "started_at": started,
            "finished_at": now,
            "outcome": result.value,
            "error": outcome.error,
            "backoff_seconds": backoff,
        }
        if attempts is not None:
            attempts.append(attempt)
        else:
            s.connection().execute(_ATTEMPT, attempt)

    def release_stale(self) -> int:
        """Rows stuck in "sending" past the lease (their worker died, or hangs) are settled or become due again.

        The claim is the dispatcher's own record of an attempt in flight: status "sending" and a claim token,
        committed *before* the provider is called. After a crash that record says "maybe sent", and what
        follows depends on whether the channel can be asked:

        - inbox: delivering is only this row's status, so it is simply due again;
        - SMS: the gateway is asked for our reference (``out_id``). Taken → the row is recorded as accepted
          with the gateway's id (its receipt settles it), never sent again. Not taken → due again, safe to send.
          No answer (gateway down) → the row is *held* in "sending" and asked again each round, for at most
          ``uncertain_hold_seconds``; after that it becomes a permanent failure that says the outcome is
          unknown, for staff to resend by hand.

          The trade-off: exactly-once rests on our record and the gateway's answer, not on the gateway
          de-duplicating a resend. When neither can tell, we choose at most once (a person may miss an SMS
          that never left, and staff see it) over at least once (a second SMS): a duplicate login code or
          notice cannot be taken back, while the inbox copy of every notice stays;
        - WeChat subscribe messages have no status query; one is due again as before (WeChat refuses a second
          message once the person's one-time subscription is used up, 43101, so a duplicate is rare).
        """
        m = NotifyMessage
        now = clock.now()
        with self.sessions.begin() as s:
            stale = s.execute(
                select(m.id, m.channel, m.claim_token, m.claimed_at, m.resend_count, m.attempts, m.receipt)
                .where(m.status == MessageStatus.SENDING, m.claimed_at < now - timedelta(seconds=self.lease_seconds))
                .order_by(m.id)
            ).all()
        settled = 0
        for row in stale:
            if row.channel is Channel.SMS:
                settled += self._recover_sms(row, now)
            else:
                settled += self._requeue(row.id, row.claim_token, now, "发送进程中断，重新排队")
        return settled

    def _recover_sms(self, row, now: datetime) -> int:  # noqa: ANN001 - a Row of the select above
        out_id = sms_out_id(row.id, row.resend_count)
        if row.receipt is not None:  # its delivery report already came in: the gateway had it
            return self._settle_accepted(row, None)
        try:
            if self.sms_receipts is None:
                raise SmsError("没有可查询的短信网关", code="no_client")
            provider_id = self.sms_receipts.find(out_id)
        except SmsError as exc:
            held_since = row.claimed_at + timedelta(seconds=self.lease_seconds)
            if now - held_since < timedelta(seconds=self.uncertain_hold_seconds):
                log.warning("notify message %s: SMS gateway cannot say whether %s left (%s); held", row.id, out_id, exc)
                return 0
            return self._give_up_uncertain(row, now)
        if provider_id is None:  # the gateway never took it: sending now is the first SMS
            return self._requeue(row.id, row.claim_token, now, "发送进程中断，短信网关未收到，重新排队")
        return self._settle_accepted(row, provider_id)

    def _settle_accepted(self, row, provider_id: str | None) -> int:  # noqa: ANN001
        stats = Stats()
        outgoing = _Recovered(row.id, row.attempts)
        with self.sessions.begin() as s:
            self._record(
                s,
                row.claim_token,
                outgoing,  # type: ignore[arg-type] - _record reads id and attempts only
                Outcome(AttemptOutcome.ACCEPTED, provider_id=provider_id),  # the gateway has it: not sent again
                row.claimed_at,
                stats,
            )
        return stats.accepted

    def _requeue(self, message_id: int, token: str | None, now: datetime, why: str) -> int:
        m = NotifyMessage
        with self.sessions.begin() as s:
            return s.execute(
                update(m)
                .where(m.id == message_id, m.status == MessageStatus.SENDING, m.claim_token == token)
                .values(status=MessageStatus.TEMPORARY_FAILURE, claim_token=None, next_attempt_at=now, last_error=why)
                .execution_options(synchronize_session=False)
            ).rowcount

    def _give_up_uncertain(self, row, now: datetime) -> int:  # noqa: ANN001
        m = NotifyMessage
        why = "发送进程中断，且无法向短信网关确认是否已发出；为免重复未再发送，如需要请人工重发"
        log.warning("notify message %s: outcome unknown after holding; not resent", row.id)
        with self.sessions.begin() as s:
            done = s.execute(
                update(m)
                .where(m.id == row.id, m.status == MessageStatus.SENDING, m.claim_token == row.claim_token)
                .values(status=MessageStatus.PERMANENT_FAILURE, claim_token=None, last_error=why)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done:
                s.connection().execute(
                    _ATTEMPT,
                    {
                        "message_id": row.id,
                        "number": row.attempts,
                        "worker": self.worker_id[:64],
                        "started_at": row.claimed_at,
                        "finished_at": now,
                        "outcome": AttemptOutcome.PERMANENT_FAILURE.value,
                        "error": why,
                        "backoff_seconds": None,
                    },
                )
        return done

    def poll_receipts(self) -> int:
        """Apply the SMS gateway's delivery reports (matched by our out_id, so order does not matter)."""
        if self.sms_receipts is None:
            return 0
        try:
            receipts = self.sms_receipts.receipts(limit=1000)
        except SmsError as exc:
            log.warning("SMS receipts not fetched: %s", exc)
            return 0
        now = clock.now()
        applied = 0
        refs = sorted(((ref, r) for r in receipts if (ref := parse_out_id(r.out_id)) is not None), key=lambda x: x[0])
        with self.sessions.begin() as s:
            for ref, r in refs:  # in message id order (see run_once)
                delivered = r.status is ReceiptStatus.DELIVERED
                final = MessageStatus.DELIVERED if delivered else MessageStatus.PERMANENT_FAILURE
                applied += (
                    s.connection()
                    .execute(
                        _RECEIPT,
                        {
                            "b_id": ref[0],
                            "b_resend": ref[1],
                            "b_receipt": r.status.value,
                            "b_final": final.value,
                            "b_when": now if delivered else None,
                            "b_error": r.error,
                        },
                    )
                    .rowcount
                )
        return applied


# ---------------------------------------------------------------------- statements, built once

_t = NotifyMessage.__table__
_INSTANT = _t.c.next_attempt_at.type  # the columns' UtcDateTime: aware UTC bound, aware UTC read
_ACCEPTED = MessageStatus.ACCEPTED.value
_RECORD = (
    _t.update()
    .where(_t.c.id == bindparam("b_id"), _t.c.claim_token == bindparam("b_token"))
    .values(
        # An accepted SMS whose receipt was already pulled (matched by out_id) is settled here.
        status=case(
            (
                bindparam("b_accepted", type_=Integer) == 1,
                case(
                    (_t.c.receipt == ReceiptStatus.DELIVERED.value, MessageStatus.DELIVERED.value),
                    (
                        _t.c.receipt == ReceiptStatus.UNDELIVERABLE.value,
                        MessageStatus.PERMANENT_FAILURE.value,
                    ),
                    else_=_ACCEPTED,
                ),
            ),
            else_=bindparam("b_status", type_=String),
        ),
        delivered_at=case(
            (bindparam("b_delivered", type_=Integer) == 1, bindparam("b_now", type_=_INSTANT)),
            (
                and_(bindparam("b_accepted", type_=Integer) == 1, _t.c.receipt == ReceiptStatus.DELIVERED.value),
                bindparam("b_now", type_=_INSTANT),
            ),
            else_=_t.c.delivered_at,
        ),
        next_attempt_at=func.coalesce(bindparam("b_next", type_=_INSTANT), _t.c.next_attempt_at),
        provider_id=func.coalesce(bindparam("b_provider", type_=String), _t.c.provider_id),
        address_masked=func.coalesce(bindparam("b_address", type_=String), _t.c.address_masked),
        last_error=bindparam("b_error", type_=String),
        claim_token=None,
    )
)
_ATTEMPT = NotifyAttempt.__table__.insert()
_CLAIMED = (
    select(
        NotifyMessage.id,
        NotifyMessage.person_id,
        NotifyMessage.kind,
        NotifyMessage.channel,
        NotifyMessage.title,
        NotifyMessage.body,
        NotifyMessage.link,
        NotifyMessage.sms_text,
        NotifyMessage.wechat_payload,
        NotifyMessage.attempts,
        NotifyMessage.resend_count,
    )
    .where(NotifyMessage.claim_token == bindparam("b_token"))
    .order_by(NotifyMessage.id)
)
_RECEIPT = (
    _t.update()
    .where(
        _t.c.id == bindparam("b_id"),
        _t.c.resend_count == bindparam("b_resend"),
        _t.c.channel == Channel.SMS.value,
    )
    .values(
        receipt=bindparam("b_receipt", type_=String),
        status=case((_t.c.status == _ACCEPTED, bindparam("b_final", type_=String)), else_=_t.c.status),
        delivered_at=case((_t.c.status == _ACCEPTED, bindparam("b_when", type_=_INSTANT)), else_=_t.c.delivered_at),
        last_error=case((_t.c.status == _ACCEPTED, bindparam("b_error", type_=String)), else_=_t.c.last_error),
    )
)
