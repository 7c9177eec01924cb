"""App core: configuration, health checks, the API's error shape, channel detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.catalog.model import Channel
from gateway.channel_policy import channel_for_request, policy_for
from gateway.config import ConfigError, Settings


def test_production_refuses_the_development_key(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SHEBAO_ENV", "production")
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SHEBAO_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SHEBAO_SECRET_KEY"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="32"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_SECRET_KEY", "x" * 40)
    # The sandboxes' built-in client secrets are refused too, naming each one still left.
    with pytest.raises(ConfigError, match="SHEBAO_ESSC_CLIENT_SECRET, SHEBAO_SMS_API_KEY, SHEBAO_WECHAT_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_ESSC_CLIENT_SECRET", "real-essc")
    monkeypatch.setenv("SHEBAO_SMS_API_KEY", "real-sms")
    with pytest.raises(ConfigError, match="SHEBAO_WECHAT_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_WECHAT_SECRET", "real-wechat")
    with pytest.raises(ConfigError, match="SHEBAO_WECHAT_WEB_SECRET, SHEBAO_ALIPAY_APP_PRIVATE_KEY, SHEBAO_ALIPAY_PUB"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_WECHAT_WEB_SECRET", "real-wechat-web")
    monkeypatch.setenv("SHEBAO_ALIPAY_APP_PRIVATE_KEY", "/etc/shebao/alipay-app.pem")
    monkeypatch.setenv("SHEBAO_ALIPAY_PUBLIC_KEY", "/etc/shebao/alipay-public.pem")
    with pytest.raises(ConfigError, match="SHEBAO_FACE_CHECK_APP_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("SHEBAO_FACE_CHECK_APP_SECRET", "real-face-check")
    assert Settings.from_env().production


def test_embedded_mode_makes_and_keeps_a_random_key(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SHEBAO_SECRET_KEY", raising=False)
    monkeypatch.delenv("SHEBAO_ENV", raising=False)
    first = Settings.from_env()
    assert len(first.secret_key) >= 32
    assert Settings.from_env().secret_key == first.secret_key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    assert first.database_url == f"sqlite:///{tmp_path / 'shebao.db'}"


def test_bad_integer_setting_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SHEBAO_PORT", "eighty")
    with pytest.raises(ConfigError, match="SHEBAO_PORT"):
        Settings.from_env()


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json["checks"]
    assert {k: checks[k] for k in ("database", "backoffice", "queue")} == {
        "database": "ok",
        "backoffice": "ok",
        "queue": "ok",
    }
    assert "dispatch" in checks  # its states are tested with the outbox (tests/notify/test_web.py)


def test_api_unknown_item_uses_the_error_shape(client):
    resp = client.get("/api/v1/catalog/nope")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "unknown_item"
    assert "服务事项" in resp.json["error"]["message"]


def test_api_unknown_path_is_json_404(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_api_catalog_is_filtered_by_channel(client):
    web = client.get("/api/v1/catalog").json["items"]
    kiosk = client.get("/api/v1/catalog", headers={"X-Shebao-Channel": "kiosk"}).json["items"]
    assert web and kiosk
    from gateway.catalog import load_catalog

    expected = {i.id for i in load_catalog().for_channel(Channel.KIOSK)}
    assert {i["id"] for i in kiosk} == expected


def test_openapi_document_lists_the_paths(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/catalog" in doc["paths"] and "/api/v1/catalog/{item_id}" in doc["paths"]


def test_channel_detection_and_policies():
    assert channel_for_request("/kiosk/", None) is Channel.KIOSK
    assert channel_for_request("/hotline/calls", None) is Channel.HOTLINE
    assert channel_for_request("/api/v1/catalog", "miniprogram") is Channel.MINIPROGRAM
    assert channel_for_request("/api/v1/catalog", "bogus") is Channel.WEB
    assert channel_for_request("/rights/", "kiosk") is Channel.WEB  # pages ignore the header
    kiosk = policy_for(Channel.KIOSK)
    assert kiosk.idle_timeout_s == 90 and kiosk.absolute_timeout_s == 600


def test_unexpected_error_is_a_chinese_500_without_details(app):
    from gateway.access.needs import public
    from gateway.channel_policy import Operation

    @app.get("/boom-for-test")
    @public(Operation.QUERY)
    def boom():
        raise RuntimeError("secret internals")

    resp = app.test_client().get("/boom-for-test")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "系统繁忙" in body and "secret internals" not in body
