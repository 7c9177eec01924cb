"""The registry of outside systems' clients (gateway/clients.py): chosen by settings, built once per app, and
the one the app's code uses."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.http import HttpBackOffice
from gateway.backoffice.local import LocalBackOffice
from gateway.backoffice.resilient import ResilientBackOffice
from gateway.clients import Clients, build_clients, get_backoffice, get_clients
from gateway.delivery import deliver_code
from gateway.identity.models import SmsPurpose
from notify.sms import SmsClient
from notify.wechat import wechat_client


@pytest.fixture
def sessions():
    engine = sa.create_engine("sqlite://")
    yield sessionmaker(bind=engine)
    engine.dispose()


def test_the_local_back_office_is_the_default(settings, sessions) -> None:
    clients = build_clients(settings, sessions)
    # Inside the exchange log, last known answers and maintenance windows (gateway.backoffice.resilient).
    assert isinstance(clients.backoffice, ResilientBackOffice)
    assert isinstance(clients.backoffice.inner, LocalBackOffice)
    assert clients.backoffice.inner._sessions is sessions


def test_http_settings_build_the_http_back_office(settings, sessions) -> None:
    http = dataclasses.replace(
        settings,
        backoffice="http",
        backoffice_url="http://core.example.internal:9000/",
        backoffice_api_key="k" * 20,
        backoffice_timeout=3,
    )
    clients = build_clients(http, sessions)
    assert isinstance(clients.backoffice.inner, HttpBackOffice)
    assert clients.backoffice.base_url == "http://core.example.internal:9000"
    assert clients.backoffice.timeout[1] == 3


def test_sms_points_at_the_sandbox_unless_a_gateway_is_set(settings, sessions) -> None:
    sms = build_clients(settings, sessions).sms
    assert isinstance(sms, SmsClient)
    assert sms.base_url == f"{settings.sandbox_url}/sms" and sms.api_key == settings.sms_api_key
    real = dataclasses.replace(settings, sms_url="https://sms.example.com/api/", sms_api_key="real-key")
    sms = build_clients(real, sessions).sms
    assert sms.base_url == "https://sms.example.com/api" and sms.api_key == "real-key"


def test_wechat_is_made_on_first_use_and_shared(settings, sessions) -> None:
    clients = build_clients(settings, sessions)
    assert "wechat" not in vars(clients)
    assert clients.wechat is clients.wechat
    assert clients.wechat is wechat_client(
        f"{settings.sandbox_url}/wechat", settings.wechat_appid, settings.wechat_secret, settings.redis_url
    )


def test_the_seal_is_one_per_configuration(settings, sessions) -> None:
    """Every certificate path (web, API, kiosk, console, receipts, /readyz) reaches the same sealer, whose key,
    fonts and seal appearance are loaded once."""
    from esign.service import CertificateService

    first, second = build_clients(settings, sessions), build_clients(settings, sessions)
    assert isinstance(first.sealer, CertificateService)
    assert first.sealer is first.sealer is second.sealer


def test_the_registry_is_frozen(settings, sessions) -> None:
    clients = build_clients(settings, sessions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        clients.sms = SmsClient("http://elsewhere")  # type: ignore[misc]


def test_the_app_builds_one_registry_and_get_backoffice_reads_it(app) -> None:
    clients = app.extensions["shebao_clients"]
    assert isinstance(clients, Clients)
    assert app.extensions["shebao_backoffice"] is clients.backoffice
    with app.app_context():
        assert get_clients() is clients
        assert get_backoffice() is clients.backoffice
        assert get_clients().sms is clients.sms


class RecordingSms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str, out_id: str | None = None) -> str:
        self.sent.append((phone, text))
        return "m-1"


def test_sms_codes_go_through_the_registry(app) -> None:
    recorder = RecordingSms()
    app.extensions["shebao_clients"] = dataclasses.replace(app.extensions["shebao_clients"], sms=recorder)
    with app.test_request_context("/account/register", environ_base={"REMOTE_ADDR": "192.0.2.41"}):
        sent, masked = deliver_code("13700000418", SmsPurpose.REGISTER)
    assert sent and masked != "13700000418"
    assert [phone for phone, _ in recorder.sent] == ["13700000418"]
