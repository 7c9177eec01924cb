"""Rate limits and the audit trail behind a reverse proxy (issue 13, must fix 1; ASVS 5.0 2.4.1, 4.1.3).

``SHEBAO_TRUSTED_PROXIES`` names the proxies whose ``X-Forwarded-For`` is believed; everyone else's is ignored.
The limits are counted in storage every worker shares, so N workers do not make a limit N times looser.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from gateway import create_app
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.config import ConfigError, Settings
from gateway.help.api import SEARCH_LIMIT
from gateway.security.proxies import parse_trusted_proxies
from tests.conftest import TEST_SECRET, csrf_token
from tests.gateway_process import gunicorn_gateway

SEARCH = "/api/v1/help/search?q=%E5%85%BB%E8%80%81"  # 养老
PER_MINUTE = int(SEARCH_LIMIT.split()[0])  # 30 a minute for one address


def _app(settings: Settings, tmp_path: Path, trusted: str):
    return create_app(dataclasses.replace(settings, trusted_proxies=trusted, var_dir=tmp_path))


def test_clients_behind_a_trusted_proxy_each_have_their_own_limit(database_url: str, tmp_path: Path):
    """A city behind one proxy: 2 × the per-address limit from distinct forwarded addresses, none refused."""
    with gunicorn_gateway(database_url, TEST_SECRET, workers=2, TRUSTED_PROXIES="1", VAR_DIR=str(tmp_path)) as base:
        codes = [
            requests.get(base + SEARCH, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}, timeout=30).status_code
            for i in range(2 * PER_MINUTE + 5)
        ]
    assert codes.count(429) == 0, codes


def test_one_limit_is_shared_by_every_worker(database_url: str, tmp_path: Path):
    """Two worker processes on one machine, one address: once the limit is spent on one, the other refuses too.

    (Two gunicorn masters of one worker each, sharing ``var/``: the kernel may hand every connection of one
    master to the same worker, two masters make the split certain.)"""
    var = {"VAR_DIR": str(tmp_path)}
    with (
        gunicorn_gateway(database_url, TEST_SECRET, workers=1, **var) as one,
        gunicorn_gateway(database_url, TEST_SECRET, workers=1, **var) as other,
    ):
        first = [requests.get(one + SEARCH, timeout=30).status_code for _ in range(PER_MINUTE)]
        then = [requests.get(other + SEARCH, timeout=30).status_code for _ in range(3)]
    assert first == [200] * PER_MINUTE
    assert then == [429] * 3


def test_a_forged_header_from_an_untrusted_peer_is_ignored(settings: Settings, tmp_path: Path):
    """Trust by address: a peer that is not the proxy cannot pick a fresh limit by naming another client."""
    client = _app(settings, tmp_path, "10.0.0.1").test_client()
    codes = [
        client.get(
            SEARCH, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
        ).status_code
        for i in range(PER_MINUTE + 1)
    ]
    assert codes[-1] == 429 and codes.count(429) == 1


def test_no_proxy_is_trusted_by_default(settings: Settings, tmp_path: Path):
    """Without the setting even a loopback peer's forwarded addresses count as that one peer."""
    client = _app(settings, tmp_path, "").test_client()
    codes = [
        client.get(SEARCH, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}).status_code
        for i in range(PER_MINUTE + 1)
    ]
    assert codes[-1] == 429


def test_the_trusted_proxy_chain_is_walked_from_the_right(settings: Settings, tmp_path: Path):
    """Two of our proxies in a row: the client is the first address left of them, not what the client wrote."""
    app = _app(settings, tmp_path, "10.0.0.0/8")
    seen: list[str | None] = []

    @app.before_request
    def _note():
        from flask import request

        seen.append(request.remote_addr)

    app.test_client().get(
        "/healthz",
        headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.20, 10.0.0.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert seen == ["198.51.100.20"]


def test_the_login_trail_records_the_forwarded_client(settings: Settings, tmp_path: Path, person):
    """The audit trail of a login behind the proxy names the client (masked), not the proxy."""
    app = _app(settings, tmp_path, "10.0.0.1")
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    page = client.get("/account/login", environ_base=proxy)
    answer = client.post(
        "/account/login",
        data={"id_number": person.id_number, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page.text)},
        headers={"X-Forwarded-For": "198.51.100.77"},
        environ_base=proxy,
    )
    assert answer.status_code in (302, 303)
    engine = sa.create_engine(settings.database_url)
    with engine.connect() as conn:
        ip = conn.execute(sa.text("SELECT ip_masked FROM identity_event ORDER BY id DESC LIMIT 1")).scalar_one()
    engine.dispose()
    assert ip.startswith("198.51.100.")


def test_a_wrong_setting_refuses_to_start(settings: Settings):
    """A typo in the setting is an error at start, never a silently trusting gateway."""
    with pytest.raises(ConfigError):
        dataclasses.replace(settings, trusted_proxies="10.0.0.300").check()


def test_serve_tells_gunicorn_the_same_proxies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``shebao serve`` passes gunicorn the trusted proxies (and none by default) as ``--forwarded-allow-ips``."""
    from gateway import cli

    launched: list[list[str]] = []

    class _Done:
        def __init__(self, args, **_kw):
            launched.append(list(args))

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(cli.subprocess, "Popen", _Done)
    for raw, expected in (("", ""), ("1", "*"), ("10.0.0.1, 10.1.0.0/16", "10.0.0.1/32,10.1.0.0/16")):
        launched.clear()
        env = {"SHEBAO_VAR_DIR": str(tmp_path), "SHEBAO_TRUSTED_PROXIES": raw, "SHEBAO_SANDBOXES": "0"}
        env |= {"SHEBAO_WORKER": "0", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
        CliRunner().invoke(cli.main, ["serve"], env=env)
        gunicorn = next(args for args in launched if "gunicorn" in args)
        assert gunicorn[gunicorn.index("--forwarded-allow-ips") + 1] == expected
        assert parse_trusted_proxies(raw).gunicorn_allow_ips() == expected
