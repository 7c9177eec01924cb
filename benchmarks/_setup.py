"""What the benchmarks share: a throwaway database with the demo population, free ports, gunicorn runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import requests

SECRET = "benchmark-secret-key-that-is-long-enough-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_database(folder: Path, people: int = 40) -> str:
    """A migrated SQLite database in ``folder`` with demo people (and their logins) and the demo halls."""
    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from gateway.appointments.demo import load_halls
    from gateway.backoffice.demo import DemoSpec
    from gateway.identity.demo import load_demo_data
    from gateway.migrate import upgrade
    from gateway.security.pii import PiiVault

    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    sessions = sessionmaker(bind=engine)
    load_demo_data(sessions, PiiVault(SECRET), DemoSpec(seed=3, people=people, units=3, today=date.today()))
    with sessions.begin() as s:
        load_halls(s)
    engine.dispose()
    return url


@contextmanager
def gunicorn(app: str, env: dict[str, str], *args: str, health: str = "/healthz") -> Iterator[str]:
    """``app`` under gunicorn with the gateway's own config (threaded workers) and ``args``; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:gateway.gunicorn_conf", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", *args, app],
        env={**os.environ, **env},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn for {app} exited")
            try:
                if requests.get(base + health, timeout=5).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {app} did not answer")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def gateway_env(url: str, var: Path) -> dict[str, str]:
    return {
        "SHEBAO_DATABASE_URL": url,
        "SHEBAO_SECRET_KEY": SECRET,
        "SHEBAO_VAR_DIR": str(var),
        "SHEBAO_LOG_LEVEL": "WARNING",
        "SHEBAO_SANDBOXES": "0",
        "SHEBAO_WORKER": "0",
        "SHEBAO_RATE_LIMITS": "0",  # one client address for every simulated person
    }
