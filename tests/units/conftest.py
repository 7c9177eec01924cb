"""Unit-side fixtures: the test CA, the demo CA of the test settings, and people from the identity tests."""

from __future__ import annotations

import re

import pytest
import requests

from gateway.backoffice.demo import DEMO_UNIT_CREDIT_CODE
from gateway.units.certificates import clear_crl_cache
from gateway.units.demo_ca import DemoPki, ensure_demo_pki
from tests.identity.conftest import _unregistered_pool, insured, member, sms_inbox  # noqa: F401 - fixtures
from tests.units.pki import TestCA


@pytest.fixture(autouse=True)
def _fresh_crls():
    clear_crl_cache()
    yield
    clear_crl_cache()


@pytest.fixture
def test_ca(tmp_path) -> TestCA:
    return TestCA(tmp_path / "ca")


@pytest.fixture(scope="session")
def demo_pki(settings) -> DemoPki:
    """The demo CA the gateway under test trusts (made under the test settings' var dir)."""
    return ensure_demo_pki(settings.var_dir)


@pytest.fixture
def ukey(sandbox_url: str, demo_pki: DemoPki):
    """Insert one of the demo USB keys in the sandbox middleware; the valid one is put back afterwards."""

    def insert(slot: str = "valid") -> None:
        resp = requests.post(
            f"{sandbox_url}/ukey/test/insert", json={"slot": slot, "keystore": str(demo_pki.ukey_dir)}, timeout=5
        )
        resp.raise_for_status()

    insert("valid")
    yield insert
    insert("valid")


def nonce_of(html: str) -> str:
    match = re.search(r'data-nonce="([^"]+)"', html)
    assert match, "no nonce on the certificate login page"
    return match.group(1)


DEMO_CODE = DEMO_UNIT_CREDIT_CODE
