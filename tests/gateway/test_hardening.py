"""Should-fix items of issue 13: personal JSON never cached, secrets kept out of logs, outside services being
down answered 503, JSON no parser can be trusted with answered 400."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys

import pytest

from gateway import create_app
from gateway.identity.service import find_person
from gateway.identity.tokens import issue_tokens
from gateway.request_log import JsonFormatter
from tests.conftest import TEST_SECRET, committing
from tests.gateway_process import free_port


@pytest.fixture
def bearer(app, person) -> dict[str, str]:
    with committing(app) as db:
        person_id = find_person(db, app.extensions["shebao_vault"], person.id_number).id
        pair = issue_tokens(db, TEST_SECRET, person_id, 2, "miniprogram")
    return {"Authorization": f"Bearer {pair.access_token}", "X-Shebao-Channel": "miniprogram"}


@pytest.mark.parametrize("path", ["/api/v1/applications", "/api/v1/inbox", "/api/v1/auth/me", "/api/v1/appointments"])
def test_personal_json_is_never_cached(client, bearer, path):
    answer = client.get(path, headers=bearer)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"


def test_json_nested_100000_deep_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    answer = client.post("/api/v1/auth/token/refresh", data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_json"


def test_a_lone_surrogate_in_json_is_a_400(client):
    body = '{"refresh_token": "\\ud800"}'
    answer = client.post("/api/v1/auth/token/refresh", data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_json"


@pytest.fixture
def wechat_down(settings, tmp_path):
    """The gateway with WeChat's API on a port where nothing listens."""
    down = dataclasses.replace(settings, wechat_api_url=f"http://127.0.0.1:{free_port()}", var_dir=tmp_path)
    return create_app(down)


def test_wechat_being_down_is_a_503_in_chinese(wechat_down):
    answer = wechat_down.test_client().post("/api/v1/auth/wechat/login", json={"code": "a-code"})
    error = answer.get_json()["error"]
    assert answer.status_code == 503 and error["code"] == "provider_unavailable" and "微信" in error["message"]


def test_the_wechat_secret_never_reaches_the_log(wechat_down, settings, caplog):
    caplog.set_level(logging.INFO)
    wechat_down.test_client().post("/api/v1/auth/wechat/login", json={"code": "a-code"})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines and not any(settings.wechat_secret in line for line in lines)


def test_a_logged_url_keeps_its_parameters_names_but_not_their_secrets():
    try:
        raise ConnectionError("Max retries exceeded with url: /cgi-bin/token?appid=wx1&secret=s3cr3t&grant_type=x")
    except ConnectionError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "GET %s", ("/sns?js_code=c0de&x=1",), None)
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert "s3cr3t" not in line["exc"] and "secret=***" in line["exc"]
    assert line["msg"] == "GET /sns?js_code=***&x=1"


def test_the_essc_platform_being_down_is_a_503_page_in_chinese(settings, tmp_path):
    down = dataclasses.replace(settings, essc_url=f"http://127.0.0.1:{free_port()}", var_dir=tmp_path)
    answer = create_app(down).test_client().get("/account/essc/start")
    assert answer.status_code == 503 and "电子社保卡" in answer.text
