"""The back-office circuit breaker (issue 19): it counts timeouts and wrapped errors — answers of the wrong shape
included —, is safe under threads, and is shared by every node through Redis when Redis is configured (each
process keeps its own when not, or while Redis is away)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from gateway.backoffice.breaker import RedisCircuitBreaker, breaker_for
from gateway.backoffice.http import BreakerState, CircuitBreaker, CircuitOpen, HttpBackOffice
from gateway.backoffice.interface import BackOfficeUnavailable
from tests.backoffice.conftest import API_KEY, FakeClock
from tests.sandbox_server import serve_in_thread

EMPLOYEE = "610102198001011234"


def _wrong_schema(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"result": {"unexpected": True}}).encode()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """SHEBAO_TEST_REDIS_URL (the PG + Redis lane), or a throwaway redis-server on a free port."""
    if os.environ.get("SHEBAO_TEST_REDIS_URL"):
        yield os.environ["SHEBAO_TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on this machine and SHEBAO_TEST_REDIS_URL is not set")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("r"))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _node(url: str, prefix: str, clock: FakeClock, threshold: int = 3) -> RedisCircuitBreaker:
    return RedisCircuitBreaker(redis.Redis.from_url(url), threshold, 30.0, prefix=prefix, clock=clock)


def test_an_answer_of_the_wrong_shape_counts_towards_the_breaker() -> None:
    with serve_in_thread(_wrong_schema) as url:
        bo = HttpBackOffice(url, API_KEY, retries=0, breaker=CircuitBreaker(failure_threshold=2))
        for _ in range(2):
            with pytest.raises(BackOfficeUnavailable, match="bad answer"):
                bo.find_person(EMPLOYEE)
        assert bo.breaker.state is BreakerState.OPEN
        with pytest.raises(CircuitOpen):
            bo.find_person(EMPLOYEE)


def test_the_breaker_counts_exactly_under_threads() -> None:
    breaker = CircuitBreaker(failure_threshold=10_000)

    def fail() -> None:
        for _ in range(500):
            breaker.record_failure()

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker._failures == 4000


def test_without_redis_each_process_has_its_own() -> None:
    assert type(breaker_for("")) is CircuitBreaker
    assert isinstance(breaker_for("redis://127.0.0.1:1/0"), RedisCircuitBreaker)


def test_one_node_trips_the_breaker_for_every_node(redis_url) -> None:
    clock, prefix = FakeClock(), f"test:breaker:{secrets.token_hex(4)}"
    a, b = _node(redis_url, prefix, clock), _node(redis_url, prefix, clock)
    for _ in range(3):
        a.before_call()
        a.record_failure()
    assert b.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        b.before_call()  # node B never saw a failure itself
    clock.now += 31
    # Half-open: one trial for the whole deployment.
    a.before_call()
    with pytest.raises(CircuitOpen):
        b.before_call()
    a.record_success()
    assert b.state is BreakerState.CLOSED
    b.before_call()


def test_a_failed_shared_trial_reopens_for_everyone(redis_url) -> None:
    clock, prefix = FakeClock(), f"test:breaker:{secrets.token_hex(4)}"
    a, b = _node(redis_url, prefix, clock, threshold=1), _node(redis_url, prefix, clock, threshold=1)
    a.record_failure()
    clock.now += 31
    b.before_call()  # B holds the trial
    b.record_failure()
    assert a.state is BreakerState.OPEN


def test_shared_failures_are_counted_exactly_under_threads(redis_url) -> None:
    clock, prefix = FakeClock(), f"test:breaker:{secrets.token_hex(4)}"
    nodes = [_node(redis_url, prefix, clock, threshold=10_000) for _ in range(4)]

    def fail(node) -> None:
        for _ in range(50):
            node.record_failure()

    threads = [threading.Thread(target=fail, args=(n,)) for n in nodes for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(redis.Redis.from_url(redis_url).get(f"{prefix}:failures")) == 400


def test_while_redis_is_away_the_process_decides_alone(caplog) -> None:
    dead = redis.Redis(port=_free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    breaker = RedisCircuitBreaker(dead, failure_threshold=2, reset_timeout=30.0)
    with caplog.at_level(logging.ERROR, logger="shebao.backoffice.breaker"):
        breaker.before_call()
        breaker.record_failure()
        breaker.record_failure()
        with pytest.raises(CircuitOpen):
            breaker.before_call()
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
