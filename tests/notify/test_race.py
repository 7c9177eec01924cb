"""Several dispatchers racing over one outbox deliver every message exactly once.

Threads share nothing but the database (each dispatcher has its own connections), on SQLite and — in the
PostgreSQL lane (SHEBAO_TEST_DATABASE_URL) — on PostgreSQL. Then the multi-node shape itself: two
``shebao worker`` processes woken through Redis (a real redis-server on a free port; skipped without one).
"""

from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from notify import Channel, MessageKind, MessageStatus, enqueue
from notify.models import NotifyAttempt
from notify.preferences import set_channels
from tests.conftest import TEST_SECRET
from tests.notify.helpers import messages

N = 1000


def _queue_many(sessions, people, n: int, prefix: str) -> None:
    with sessions.begin() as s:
        for pid, _ in people:
            set_channels(s, pid, MessageKind.ACCOUNT_CHANGE, {Channel.SMS})
        for i in range(n):
            pid, _ = people[i % len(people)]
            enqueue(
                s,
                person_id=pid,
                kind=MessageKind.ACCOUNT_CHANGE,
                template="account_change",
                params={"what": f"联系地址{i}", "time": "2026-11-23 10:00"},
                idempotency_key=f"{prefix}-{i}",
            )


def _assert_each_sent_once(sessions, sms_sandbox, account: str, n: int) -> None:
    rows = messages(sessions)
    assert len(rows) == n
    assert {r.status for r in rows} == {MessageStatus.DELIVERED}
    sent = sms_sandbox.sent(account=account)
    per_out_id = collections.Counter(m["out_id"] for m in sent)
    assert len(sent) == n and set(per_out_id.values()) == {1}
    assert set(per_out_id) == {f"notify-{r.id}-0" for r in rows}
    with sessions() as s:
        counts = s.execute(
            sa.select(NotifyAttempt.message_id, sa.func.count()).group_by(NotifyAttempt.message_id)
        ).all()
    assert len(counts) == n and {c for _, c in counts} == {1}


def test_two_dispatchers_racing_over_1000_messages_send_each_once(
    sessions, people, make_dispatcher, sms_sandbox, notify_settings
):
    _queue_many(sessions, people, N, "race")
    workers = [make_dispatcher(batch_size=25, concurrency=4) for _ in range(2)]
    claimed = [0, 0]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(i: int) -> None:
        try:
            start.wait()
            claimed[i] = workers[i].run_until_idle().claimed
        except BaseException as exc:  # checked below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(claimed) == N and min(claimed) > 0, f"both workers should have taken a share: {claimed}"
    workers[0].run_until_idle()  # receipts the other worker's last round left behind
    _assert_each_sent_once(sessions, sms_sandbox, notify_settings.sms_api_key, N)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """SHEBAO_TEST_REDIS_URL, or a throwaway redis-server on a free port."""
    if os.environ.get("SHEBAO_TEST_REDIS_URL"):
        yield os.environ["SHEBAO_TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server on this machine and SHEBAO_TEST_REDIS_URL is not set")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

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


@pytest.mark.slow
def test_two_worker_processes_woken_through_redis_send_each_once(
    sessions, people, sms_sandbox, notify_settings, redis_url, tmp_path
):
    from notify import wakeup

    n = 300  # processes on 2 shared cores: fewer messages, the same race
    env = {
        **os.environ,
        "SHEBAO_ENV": "testing",
        "SHEBAO_SECRET_KEY": TEST_SECRET,
        "SHEBAO_VAR_DIR": str(tmp_path),
        "SHEBAO_DATABASE_URL": notify_settings.database_url,
        "SHEBAO_SANDBOX_URL": notify_settings.sandbox_url,
        "SHEBAO_SMS_API_KEY": notify_settings.sms_api_key,
        "SHEBAO_REDIS_URL": redis_url,
        "SHEBAO_NOTIFY_QUIET_HOURS": "off",
        # A poll far longer than the test: only the Redis wake-up can make them work in time.
        "SHEBAO_NOTIFY_POLL_SECONDS": "60",
        "SHEBAO_LOG_LEVEL": "WARNING",
    }
    procs = [
        subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker"], env=env, cwd=os.getcwd()) for _ in range(2)
    ]
    try:
        time.sleep(3)  # both are idle, blocked on the Redis wake-up list
        wakeup.configure(redis_url)
        _queue_many(sessions, people, n, "procs")  # commit → wake-up pushed to Redis
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as s:
                left = s.scalar(
                    sa.select(sa.func.count())
                    .select_from(sa.table("notify_message", sa.column("status")))
                    .where(sa.column("status") != MessageStatus.DELIVERED.value)
                )
            if left == 0:
                break
            time.sleep(0.2)
        with sessions() as s:
            workers = set(s.scalars(sa.select(NotifyAttempt.worker)))
        assert len(workers) == 2, "both processes should have sent some"
        _assert_each_sent_once(sessions, sms_sandbox, notify_settings.sms_api_key, n)
    finally:
        wakeup.configure("")
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        assert [p.returncode for p in procs] == [0, 0], "workers should stop cleanly on SIGTERM"


def test_redis_down_never_blocks_the_caller(sessions, people):
    from notify import wakeup

    wakeup.configure(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    try:
        started = time.monotonic()
        _queue_many(sessions, people[:1], 1, "no-redis")
        assert time.monotonic() - started < 3
        assert len(messages(sessions)) == 1
    finally:
        wakeup.configure("")
