"""Gateway nodes as real processes for the deployment and fault tests: gunicorn on a free port, its log kept
in a file (the fault tests read the operator's alarm there) and its metrics summed over its workers.

A node is stopped with a one-second graceful timeout: no test here is about a graceful shutdown, and gunicorn
otherwise waits the full timeout for the kept-alive connections the test's clients leave open (5 s a node)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.gateway_process import free_port


@contextmanager
def gateway_node(
    database_url: str, secret: str, var_dir: Path, log: Path, *, workers: int = 2, **settings: str
) -> Iterator[str]:
    """One node: yields its base URL. ``settings`` are extra SHEBAO_* variables (REDIS_URL, TRUSTED_PROXIES…)."""
    port = free_port()
    metrics_dir = log.with_suffix(".prometheus")
    metrics_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(
        SHEBAO_DATABASE_URL=database_url,
        SHEBAO_SECRET_KEY=secret,
        SHEBAO_LOG_LEVEL="WARNING",
        SHEBAO_SANDBOXES="0",
        SHEBAO_VAR_DIR=str(var_dir),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    env.update({f"SHEBAO_{k}": v for k, v in settings.items()})
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--threads", "8", "--timeout", "60", "--graceful-timeout", "1", "--log-level", "warning",
             "gateway.wsgi:app"],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited before answering:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 120 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def metric(base: str, name: str, **labels: str) -> float:
    """One sample of a node's /metrics (asked from loopback, as the node's own Prometheus agent would)."""
    text = requests.get(f"{base}/metrics", timeout=30).text
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? ([0-9.e+-]+)$" if wanted else rf"^{name} (\S+)$"
    match = re.search(pattern, text, re.M)
    return float(match.group(1)) if match else 0.0


def error_lines(log: Path, needle: str) -> list[str]:
    """The node's error-level log lines that mention ``needle``."""
    return [line for line in log.read_text(errors="replace").splitlines() if needle in line and "ERROR" in line]
