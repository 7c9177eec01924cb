"""Run the real gateway under gunicorn with several workers, for tests that need true concurrency."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_gateway(
    database_url: str, secret: str, workers: int = 4, threads: int = 8, **settings: str
) -> Iterator[str]:
    """Serve ``gateway.wsgi:app`` on a free port against ``database_url``; yields the base URL.

    ``settings`` are extra ``SHEBAO_*`` variables, e.g. ``RATE_LIMITS="0"``; a test that counts rate limits
    passes its own ``VAR_DIR`` (the workers share the limits file there).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(
        SHEBAO_DATABASE_URL=database_url,
        SHEBAO_SECRET_KEY=secret,
        SHEBAO_LOG_LEVEL="WARNING",
        SHEBAO_SANDBOXES="0",
        SHEBAO_VAR_DIR=os.environ.get("TMPDIR", "/tmp"),
    )
    env.update({f"SHEBAO_{k}": v for k, v in settings.items()})  # VAR_DIR too: a test's own limits file
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--log-level", "warning", "gateway.wsgi:app"],
        env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited before answering")
            try:
                if requests.get(f"{url}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 120 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
