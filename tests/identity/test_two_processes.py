"""Two gateway processes sharing Redis (DESIGN "Scale"): a session made on one is valid on the other,
and the SMS and login limits count across both; the lockout counts across both on the database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import TEST_SECRET, csrf_token
from tests.identity.conftest import PASSWORD
from tests.support import solve_captcha

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")

SERVE = (
    "import sys; from werkzeug.serving import run_simple; from gateway import create_app; "
    "run_simple('127.0.0.1', int(sys.argv[1]), create_app(), threaded=True)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str) -> None:
    deadline = time.monotonic() + 90  # two cores shared with the rest of the suite: starting can be slow
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture(scope="module")
def two_gateways(settings, tmp_path_factory) -> Iterator[tuple[str, str]]:
    redis_port = _free_port()
    redis = subprocess.Popen(
        [REDIS, "--port", str(redis_port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    env = {
        **os.environ,
        "SHEBAO_ENV": "testing",
        "SHEBAO_SECRET_KEY": TEST_SECRET,
        "SHEBAO_DATABASE_URL": settings.database_url,
        "SHEBAO_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SHEBAO_SANDBOX_URL": settings.sandbox_url,
        "SHEBAO_VAR_DIR": str(tmp_path_factory.mktemp("var2")),
        "SHEBAO_LOG_LEVEL": "WARNING",
    }
    ports = [_free_port(), _free_port()]
    procs = [subprocess.Popen([sys.executable, "-c", SERVE, str(p)], env=env) for p in ports]
    try:
        urls = tuple(f"http://127.0.0.1:{p}" for p in ports)
        for url in urls:
            _wait(url + "/healthz")
        yield urls
    finally:
        for proc in [*procs, redis]:
            proc.terminate()
            proc.wait(timeout=10)


def _post(http: requests.Session, base: str, path: str, data: dict) -> requests.Response:
    page = http.get(base + path)
    return http.post(base + path, data={**data, "csrf_token": csrf_token(page.text)}, allow_redirects=False)


def test_a_session_made_on_one_node_works_on_the_other(two_gateways, member):
    a, b = two_gateways
    http = requests.Session()
    assert _post(http, a, "/account/login", {"id_number": member.id_number, "password": PASSWORD}).status_code == 302
    cookie = http.cookies.get("shebao_session")
    resp = requests.get(b + "/account/", cookies={"shebao_session": cookie}, allow_redirects=False, timeout=5)
    assert resp.status_code == 200 and "我的" in resp.text


def test_sms_limit_per_phone_holds_across_nodes(two_gateways, member, sms_inbox):
    a, b = two_gateways
    first = _post(requests.Session(), a, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert first.status_code == 302
    second = _post(requests.Session(), b, "/account/login/sms", {"id_number": member.id_number, "password": PASSWORD})
    assert second.status_code == 400 and "太频繁" in second.text
    assert len(sms_inbox(member.phone)) == 1


def test_lockout_counts_wrong_passwords_on_both_nodes(two_gateways, member):
    a, b = two_gateways
    texts = []
    for i in range(5):
        http = requests.Session()  # a new browser each time: the count is per account, not per session
        base = a if i % 2 == 0 else b
        page = http.get(base + "/account/login")
        data = {"id_number": member.id_number, "password": "Wrong#2026", "csrf_token": csrf_token(page.text)}
        resp = http.post(base + "/account/login", data=data)
        texts.append(resp.text)
        if "<altcha-widget" in resp.text:  # the captcha after two failures is part of the same rule
            data = {**data, "csrf_token": csrf_token(resp.text), "altcha": solve_captcha(resp.text)}
            texts[-1] = http.post(base + "/account/login", data=data).text
    assert "临时锁定" in texts[-1]
