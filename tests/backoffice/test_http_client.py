"""The HTTP back office under trouble: timeouts, retries only where a call may be repeated, the circuit breaker
(open after N consecutive failures, one trial after the cool-down), and what the gateway shows then."""

from __future__ import annotations

import time

import pytest

from gateway.backoffice.demo import DEMO_PEOPLE
from gateway.backoffice.http import BreakerState, CircuitBreaker, CircuitOpen, HttpBackOffice
from gateway.backoffice.interface import BackOfficeUnavailable
from tests.backoffice.conftest import FakeClock

EMPLOYEE = DEMO_PEOPLE[0].id_number


def test_a_slow_back_office_times_out_instead_of_hanging(make_http, unreliable) -> None:
    bo = make_http(read_timeout=0.3, retries=0)
    unreliable.script = [2.0]
    started = time.monotonic()
    with pytest.raises(BackOfficeUnavailable, match="timed out"):
        bo.find_person(EMPLOYEE)
    assert time.monotonic() - started < 1.5


def test_a_connection_refused_is_unavailable(make_http, dead_url, sleeps) -> None:
    bo = make_http(dead_url, retries=2)
    with pytest.raises(BackOfficeUnavailable, match="cannot connect"):
        bo.registrations(EMPLOYEE)
    assert len(sleeps) == 2  # two retries, each after a pause


def test_reads_are_retried_with_growing_pauses(make_http, unreliable, sleeps) -> None:
    bo = make_http(retries=2, backoff=0.1)
    unreliable.script = [503, 502]
    person = bo.find_person(EMPLOYEE)
    assert person is not None and person.id_number == EMPLOYEE
    assert unreliable.requests == 3
    assert 0.1 <= sleeps[0] <= 0.15 and 0.2 <= sleeps[1] <= 0.3  # backoff × 2^n plus up to 50 % jitter
    assert bo.breaker.state is BreakerState.CLOSED  # the success after failures resets the count


def test_a_read_gives_up_after_its_retries(make_http, unreliable) -> None:
    bo = make_http(retries=2)
    unreliable.script = [503, 503, 503, 503]
    with pytest.raises(BackOfficeUnavailable, match="HTTP 503"):
        bo.account(EMPLOYEE)
    assert unreliable.requests == 3


def test_a_timed_out_read_is_retried(make_http, unreliable) -> None:
    bo = make_http(read_timeout=0.3, retries=1)
    unreliable.script = [1.0]
    assert bo.find_person(EMPLOYEE) is not None
    assert unreliable.requests == 2


@pytest.fixture
def someone(local_backoffice):
    """A back-office person no other test logs in as; their phone number is put back afterwards."""
    import sqlalchemy as sa

    with local_backoffice._sessions() as s:
        id_number, phone = s.execute(
            sa.text("SELECT id_number, phone FROM bo_person ORDER BY id LIMIT 1 OFFSET 70")
        ).one()
    yield id_number
    local_backoffice.update_phone(id_number, phone)


def test_a_write_goes_through_once(make_http, local_backoffice, unreliable, someone) -> None:
    make_http(retries=3).update_phone(someone, "13912345678")
    assert unreliable.requests == 1
    assert local_backoffice.find_person(someone).phone == "13912345678"


def test_writes_are_never_retried(make_http, local_backoffice, unreliable, sleeps, someone) -> None:
    """A write whose answer was lost may already be done: sending it again could do it twice."""
    before = local_backoffice.find_person(someone).phone
    bo = make_http(retries=3)
    unreliable.script = [503]
    with pytest.raises(BackOfficeUnavailable):
        bo.update_phone(someone, "13912345678")
    assert unreliable.requests == 1 and sleeps == []
    assert local_backoffice.find_person(someone).phone == before


def test_a_timed_out_write_is_not_sent_again(make_http, unreliable) -> None:
    bo = make_http(read_timeout=0.3, retries=3)
    unreliable.script = [1.0]
    with pytest.raises(BackOfficeUnavailable, match="timed out"):
        bo.call("find_person", {"id_number": EMPLOYEE}, idempotent=False)
    assert unreliable.requests == 1


def test_a_wrong_key_is_refused_without_retries_or_tripping_the_breaker(make_http, unreliable) -> None:
    bo = make_http(api_key="wrong", retries=3, breaker=CircuitBreaker(failure_threshold=1))
    with pytest.raises(BackOfficeUnavailable, match="HTTP 401"):
        bo.find_person(EMPLOYEE)
    assert unreliable.requests == 1 and bo.breaker.state is BreakerState.CLOSED


def test_the_breaker_opens_after_consecutive_failures_and_stops_calling(make_http, unreliable) -> None:
    clock = FakeClock()
    bo = make_http(retries=0, breaker=CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock))
    unreliable.script = [503] * 10
    for _ in range(3):
        with pytest.raises(BackOfficeUnavailable):
            bo.find_person(EMPLOYEE)
    assert bo.breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        bo.find_person(EMPLOYEE)
    clock.now += 29
    with pytest.raises(CircuitOpen):
        bo.transfers(EMPLOYEE)
    assert unreliable.requests == 3  # refused calls never reached the back office


def test_retries_count_towards_the_breaker_and_stop_when_it_opens(make_http, unreliable) -> None:
    bo = make_http(retries=5, breaker=CircuitBreaker(failure_threshold=2, clock=FakeClock()))
    unreliable.script = [503] * 10
    with pytest.raises(CircuitOpen):
        bo.find_person(EMPLOYEE)
    assert unreliable.requests == 2


def test_half_open_trial_success_closes_the_breaker(make_http, unreliable) -> None:
    clock = FakeClock()
    bo = make_http(retries=0, breaker=CircuitBreaker(failure_threshold=2, reset_timeout=30, clock=clock))
    unreliable.script = [503, 503]
    for _ in range(2):
        with pytest.raises(BackOfficeUnavailable):
            bo.find_person(EMPLOYEE)
    clock.now += 30
    assert bo.breaker.state is BreakerState.HALF_OPEN
    assert bo.find_person(EMPLOYEE) is not None  # the back office has recovered: one trial goes through
    assert bo.breaker.state is BreakerState.CLOSED
    assert bo.registrations(EMPLOYEE)


def test_half_open_trial_failure_reopens_for_a_full_cool_down(make_http, unreliable) -> None:
    clock = FakeClock()
    bo = make_http(retries=0, breaker=CircuitBreaker(failure_threshold=2, reset_timeout=30, clock=clock))
    unreliable.script = [503, 503, 503]
    for _ in range(2):
        with pytest.raises(BackOfficeUnavailable):
            bo.find_person(EMPLOYEE)
    clock.now += 31
    with pytest.raises(BackOfficeUnavailable, match="HTTP 503"):
        bo.find_person(EMPLOYEE)
    assert bo.breaker.state is BreakerState.OPEN
    clock.now += 29
    with pytest.raises(CircuitOpen):
        bo.find_person(EMPLOYEE)
    assert unreliable.requests == 3


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller while the trial runs
    breaker.record_success()
    breaker.before_call()
    assert breaker.state is BreakerState.CLOSED


def test_ping_is_a_quick_probe_without_retries(make_http, dead_url, sleeps) -> None:
    bo = make_http(dead_url, retries=3)
    with pytest.raises(BackOfficeUnavailable):
        bo.ping()
    assert sleeps == []


def test_bad_answers_are_unavailable_not_crashes(make_http, unreliable) -> None:
    bo = make_http(retries=0)
    unreliable.script = [200]  # "200 Trouble" with a text body
    with pytest.raises(BackOfficeUnavailable, match="expected JSON"):
        bo.find_person(EMPLOYEE)


def test_errors_never_carry_the_id_number(make_http, dead_url) -> None:
    bo = make_http(dead_url, retries=0)
    with pytest.raises(BackOfficeUnavailable) as caught:
        bo.find_person(EMPLOYEE)
    assert EMPLOYEE not in str(caught.value)


def test_client_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    assert HttpBackOffice("http://127.0.0.1:1/", "k").base_url == "http://127.0.0.1:1"
