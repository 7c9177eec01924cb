"""The back-office circuit breaker shared by every gateway node through Redis (issue 19): when the core system
stops answering, the first node to see it trips the breaker for all, so no node keeps sending threads into a dead
system. Without Redis (the embedded default), or while Redis itself is unreachable, each process keeps its own
(:class:`gateway.backoffice.http.CircuitBreaker`).

State in Redis (keys under ``shebao:breaker:backoffice:``): ``failures`` (consecutive, expiring after the reset
time so an old failure does not count forever), ``opened`` (the wall-clock time it opened; its presence is the
open state) and ``trial`` (held, with SET NX and an expiry, by the one node making the half-open trial call).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from gateway.backoffice.http import BreakerState, CircuitBreaker, CircuitOpen

__all__ = ["RedisCircuitBreaker", "breaker_for"]

log = logging.getLogger("shebao.backoffice.breaker")


class RedisCircuitBreaker(CircuitBreaker):
    """The same consecutive-failure breaker, its state in Redis; falls back to the process's own when Redis fails."""

    def __init__(
        self,
        client: redis.Redis,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        *,
        prefix: str = "shebao:breaker:backoffice",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(failure_threshold, reset_timeout, clock)
        self._redis = client
        self._k_failures, self._k_opened, self._k_trial = (f"{prefix}:{n}" for n in ("failures", "opened", "trial"))
        self._i_hold_trial = threading.local()

    def _shared(self, action: Callable[[], object], fallback: Callable[[], object]) -> object:
        try:
            return action()
        except redis.RedisError as exc:
            log.error("back office breaker: Redis unreachable (%s); this process decides alone", type(exc).__name__)
            return fallback()

    @property
    def state(self) -> BreakerState:
        def shared() -> BreakerState:
            opened = self._redis.get(self._k_opened)
            if opened is None:
                return BreakerState.CLOSED
            if self._clock() - float(opened) >= self.reset_timeout:
                return BreakerState.HALF_OPEN
            return BreakerState.OPEN

        return self._shared(shared, lambda: CircuitBreaker.state.fget(self))  # type: ignore[return-value]

    def before_call(self) -> None:
        def shared() -> None:
            state = self.state
            if state is BreakerState.CLOSED:
                return
            # Half-open: one trial call for the whole deployment; the key expires if its node dies mid-call.
            if state is BreakerState.HALF_OPEN and self._redis.set(
                self._k_trial, "1", nx=True, ex=max(1, int(self.reset_timeout))
            ):
                self._i_hold_trial.value = True
                return
            raise CircuitOpen("back office circuit open")

        self._shared(shared, super().before_call)

    def record_success(self) -> None:
        def shared() -> None:
            self._redis.delete(self._k_failures, self._k_opened, self._k_trial)
            self._i_hold_trial.value = False

        self._shared(shared, super().record_success)

    def record_failure(self) -> None:
        def shared() -> None:
            pipe = self._redis.pipeline()
            pipe.incr(self._k_failures)
            pipe.expire(self._k_failures, max(1, int(self.reset_timeout * 2)))
            failures = int(pipe.execute()[0])
            trial = getattr(self._i_hold_trial, "value", False)
            if trial or failures >= self.failure_threshold:
                if not self._redis.exists(self._k_opened):
                    log.error("back office circuit opened for every node after %d consecutive failures", failures)
                self._redis.set(self._k_opened, repr(self._clock()))
                self._redis.delete(self._k_trial)
            self._i_hold_trial.value = False

        self._shared(shared, super().record_failure)


def breaker_for(redis_url: str, failure_threshold: int = 5, reset_timeout: float = 30.0) -> CircuitBreaker:
    """The shared breaker when Redis is configured, else the process's own."""
    if not redis_url:
        return CircuitBreaker(failure_threshold, reset_timeout)
    client = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return RedisCircuitBreaker(client, failure_threshold, reset_timeout)
