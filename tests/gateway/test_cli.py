"""The ``shebao`` command as ``make run`` uses it: migrate, load demo data once, serve under gunicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def shebao(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    environ.update(
        SHEBAO_VAR_DIR=str(tmp_path / "var"),
        SHEBAO_DEMO_PEOPLE="80",
        SHEBAO_DEMO_UNITS="5",
        SHEBAO_PORT=str(free_port()),
        SHEBAO_SANDBOX_PORT=str(free_port()),
        SHEBAO_LOG_LEVEL="WARNING",
    )
    # Its own SQLite file in both lanes: `make run` is the embedded mode, and demo data must start empty.
    environ["SHEBAO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'cli.db'}"
    return environ


def test_migrate_load_and_serve(env: dict[str, str]):
    up = shebao("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    first = shebao("demo-data", "--if-empty", env=env)
    assert first.returncode == 0, first.stderr
    assert "people" in first.stdout
    again = shebao("demo-data", "--if-empty", env=env)
    assert again.returncode == 0 and "nothing to do" in again.stdout

    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{env['SHEBAO_PORT']}"
        body = _wait_for(f"{url}/readyz", server)
        assert '"ready"' in body
        home = urllib.request.urlopen(f"{url}/", timeout=5).read().decode()  # noqa: S310 - our own local server
        assert "社会保险网上经办" in home
        # `make run` starts the sandboxes beside the gateway.
        sandboxes = _wait_for(f"http://127.0.0.1:{env['SHEBAO_SANDBOX_PORT']}/", server)
        assert '"sandboxes"' in sandboxes
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited: {server.stdout.read().decode()}")
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()  # noqa: S310 - our own local server
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_production_without_a_key_refuses_to_start(env: dict[str, str]):
    env = {**env, "SHEBAO_ENV": "production"}
    result = shebao("db", "upgrade", env=env)
    assert result.returncode != 0
    assert "SHEBAO_SECRET_KEY" in result.stderr


def test_calendar_load_makes_a_later_year_exact(env: dict[str, str], tmp_path: Path):
    from datetime import date

    from gateway.workdays import WorkCalendar, add_working_days

    schedule = tmp_path / "holidays.yaml"
    # An invented 2027 schedule (not the real notice): the CLI's job is to save whatever the notice says.
    result = shebao(
        "calendar", "load", "2027",
        "--holidays", "2027-01-01..2027-01-03, 2027-01-05",
        "--workdays", "2027-01-09",
        "--source", "test notice",
        "--file", str(schedule),
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2027: 4 holidays, 1 adjusted working days saved" in result.stdout
    before = add_working_days(date(2026, 12, 31), 3, WorkCalendar(None))
    after = add_working_days(date(2026, 12, 31), 3, WorkCalendar(schedule))
    # Weekends only: Jan 1 (Fri), 4 (Mon), 5 (Tue) → provisional. With the schedule: 4, 6, 7 → exact.
    assert (before.date, before.provisional) == (date(2027, 1, 5), True)
    assert (after.date, after.provisional) == (date(2027, 1, 7), False)
    shown = shebao("calendar", "show", "--file", str(schedule), env=env)
    assert "operator-supplied years: 2027" in shown.stdout


def test_calendar_load_refuses_a_bad_notice(env: dict[str, str], tmp_path: Path):
    result = shebao("calendar", "load", "2027", "--holidays", "2027-02-30", "--file", str(tmp_path / "h.yaml"), env=env)
    assert result.returncode != 0
    assert not (tmp_path / "h.yaml").exists()
