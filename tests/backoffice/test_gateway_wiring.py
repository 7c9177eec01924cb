"""The gateway on the http back office: chosen by settings, /readyz reports it, a dead one is a clear 503,
and `shebao backoffice serve` serves the reference back office to another process."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import pytest
import requests

from gateway import create_app
from gateway.backoffice.http import HttpBackOffice
from gateway.backoffice.local import LocalBackOffice
from gateway.config import ConfigError, Settings
from tests.backoffice.conftest import API_KEY
from tests.conftest import login, step_up
from tests.gateway.test_cli import free_port


def _http_app(settings: Settings, url: str):
    app = create_app(dataclasses.replace(settings, backoffice="http", backoffice_url=url, backoffice_api_key=API_KEY))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def http_app(settings, backoffice_url):
    app = _http_app(settings, backoffice_url)
    yield app
    app.extensions["shebao_engine"].dispose()


@pytest.fixture
def dead_app(settings, dead_url):
    app = _http_app(settings, dead_url)
    app.extensions["shebao_backoffice"].inner.retries = 0  # the test is about the answer, not the waiting
    yield app
    app.extensions["shebao_engine"].dispose()


def test_local_is_the_default(app) -> None:
    assert isinstance(app.extensions["shebao_backoffice"].inner, LocalBackOffice)


def test_the_url_selects_the_http_back_office(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SHEBAO_BACKOFFICE_URL", "http://core.example.internal:9000")
    monkeypatch.setenv("SHEBAO_BACKOFFICE_API_KEY", API_KEY)
    monkeypatch.setenv("SHEBAO_BACKOFFICE_TIMEOUT", "3")
    settings = Settings.from_env()
    assert settings.backoffice == "http" and settings.backoffice_timeout == 3


def test_http_without_url_or_key_is_refused(settings) -> None:
    with pytest.raises(ConfigError, match="SHEBAO_BACKOFFICE_URL"):
        dataclasses.replace(settings, backoffice="http", backoffice_url="http://x").check()
    with pytest.raises(ConfigError, match="'local' or 'http'"):
        dataclasses.replace(settings, backoffice="ftp").check()


def test_readyz_reports_the_http_back_office_up_and_down(http_app, dead_app) -> None:
    assert isinstance(http_app.extensions["shebao_backoffice"].inner, HttpBackOffice)
    assert http_app.test_client().get("/readyz").json["checks"]["backoffice"] == "ok"
    resp = dead_app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json["status"] == "not_ready" and resp.json["checks"]["backoffice"] == "unavailable"


def test_pages_work_through_the_http_back_office(http_app, person) -> None:
    client = http_app.test_client()
    login(client, person.id_number)
    step_up(client)
    page = client.get("/rights/")
    assert page.status_code == 200 and person.name[0] in page.get_data(as_text=True)


def test_a_dead_back_office_is_a_clear_chinese_503(dead_app, person) -> None:
    """With nothing known from before (else the last known data is shown: tests/backoffice/test_degraded.py)."""
    from sqlalchemy import delete

    from gateway.backoffice.last_known import LastKnown

    with dead_app.extensions["shebao_sessionmaker"].begin() as s:
        s.execute(delete(LastKnown))
    client = dead_app.test_client()
    login(client, person.id_number)
    step_up(client)
    page = client.get("/rights/")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "系统繁忙" in html and "12333" in html and person.id_number not in html


def test_the_api_answers_a_dead_back_office_in_the_error_shape(dead_app, person) -> None:
    """Any /api/ view that reaches the back office gets this from the registered handler (gateway.errors)."""
    from gateway.backoffice.interface import BackOfficeUnavailable
    from gateway.clients import get_backoffice

    with dead_app.test_request_context("/api/v1/rights"):
        with pytest.raises(BackOfficeUnavailable) as caught:
            get_backoffice().find_person(person.id_number)
        resp = dead_app.handle_user_exception(caught.value)
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "backoffice_unavailable" and "系统繁忙" in resp.json["error"]["message"]


def test_shebao_backoffice_serve(database_url, tmp_path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(SHEBAO_VAR_DIR=str(tmp_path), SHEBAO_DATABASE_URL=database_url, SHEBAO_BACKOFFICE_API_KEY=API_KEY)
    cmd = [sys.executable, "-m", "gateway.cli", "backoffice", "serve", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        bo = HttpBackOffice(f"http://127.0.0.1:{port}", API_KEY, retries=0)
        deadline = time.monotonic() + 30
        while True:
            try:
                bo.ping()
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                bo.breaker.record_success()
                time.sleep(0.2)
        assert bo.find_unit("91610302MA6XQ7R27H") is not None
        assert requests.post(f"http://127.0.0.1:{port}/v1/ping", timeout=5).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_shebao_backoffice_serve_needs_a_key(database_url, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env.update(SHEBAO_VAR_DIR=str(tmp_path), SHEBAO_DATABASE_URL=database_url)
    cmd = [sys.executable, "-m", "gateway.cli", "backoffice", "serve"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SHEBAO_BACKOFFICE_API_KEY" in done.stderr
