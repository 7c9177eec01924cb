"""Benchmark: how many queued SMS per second one dispatcher pushes through to the SMS gateway sandbox.

    .venv/bin/python -m benchmarks.dispatch_sms --messages 2000 --concurrency 1 4 8

Builds a throwaway SQLite database (migrations + a small demo population), starts the sandboxes as their own
process (``shebao sandboxes``, as in the embedded mode), queues N SMS-only messages through ``notify.enqueue``
and times ``Dispatcher.run_until_idle`` until every message is *delivered* (accepted + receipt pulled).
Figures are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

SECRET = "benchmark-secret-key-that-is-long-enough-0123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    from gateway.backoffice.demo import DemoSpec
    from gateway.config import Settings
    from gateway.db import make_engine
    from gateway.identity.demo import load_demo_data
    from gateway.identity.models import Person
    from gateway.migrate import upgrade
    from gateway.security.pii import PiiVault
    from gateway.worker import build_dispatcher
    from notify import Channel, MessageKind, enqueue
    from notify.clock import QuietHours
    from notify.models import NotifyAttempt, NotifyMessage
    from notify.preferences import set_channels

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        load_demo_data(sessions, PiiVault(SECRET), DemoSpec(seed=1, people=40, units=3, today=date.today()))
        with sessions() as s:
            people = list(s.scalars(sa.select(Person.id)))

        port = _free_port()
        env = {
            **os.environ,
            "SHEBAO_SANDBOX_PORT": str(port),
            "SHEBAO_VAR_DIR": tmp,
            "SHEBAO_LOG_LEVEL": "WARNING",
        }
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "sandboxes"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(base + "/", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            print(f"{args.messages} SMS per run, batch {args.batch}, sandbox as its own process, SQLite (WAL)")
            for concurrency in args.concurrency:
                settings = Settings(
                    secret_key=SECRET,
                    database_url=url,
                    sandbox_url=base,
                    sms_api_key=f"bench-{uuid.uuid4().hex[:8]}",
                    notify_quiet_hours="off",
                )
                with sessions.begin() as s:
                    s.execute(sa.delete(NotifyAttempt))
                    s.execute(sa.delete(NotifyMessage))
                    for pid in people:
                        set_channels(s, pid, MessageKind.ACCOUNT_CHANGE, {Channel.SMS})
                started = time.perf_counter()
                with sessions.begin() as s:
                    for i in range(args.messages):
                        enqueue(
                            s,
                            person_id=people[i % len(people)],
                            kind=MessageKind.ACCOUNT_CHANGE,
                            template="account_change",
                            params={"what": "联系地址", "time": "2026-11-23 10:00"},
                            idempotency_key=f"bench-{concurrency}-{i}",
                        )
                queued = time.perf_counter() - started
                dispatcher = build_dispatcher(
                    settings,
                    engine,
                    concurrency=concurrency,
                    batch_size=args.batch,
                    quiet_hours=QuietHours("off"),
                )
                started = time.perf_counter()
                stats = dispatcher.run_until_idle()
                elapsed = time.perf_counter() - started
                dispatcher.close()
                with sessions() as s:
                    delivered = s.scalar(
                        sa.select(sa.func.count()).select_from(NotifyMessage).where(NotifyMessage.status == "delivered")
                    )
                print(
                    f"concurrency {concurrency}: {delivered}/{args.messages} delivered in {elapsed:.2f} s "
                    f"= {delivered / elapsed:.0f} messages/s"
                    f" (enqueue {args.messages / queued:.0f}/s; {stats})"
                )
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
            engine.dispose()


if __name__ == "__main__":
    main()
