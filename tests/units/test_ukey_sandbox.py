"""The USB-key middleware sandbox speaks its protocol: certificates, signatures, CORS, no key, unknown cert."""

from __future__ import annotations

import base64

import requests
from cryptography import x509

from tests.units.conftest import DEMO_CODE


def test_it_lists_the_inserted_certificate_and_signs_with_its_key(sandbox_url, ukey):
    certs = requests.get(f"{sandbox_url}/ukey/certs", timeout=5)
    assert certs.headers["Access-Control-Allow-Origin"] == "*"
    [cert] = certs.json()["certs"]
    parsed = x509.load_der_x509_certificate(base64.b64decode(cert["certificate"]))
    assert parsed.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value == DEMO_CODE
    signed = requests.post(
        f"{sandbox_url}/ukey/sign", json={"certId": cert["id"], "data": base64.b64encode(b"abc").decode()}, timeout=5
    ).json()
    assert signed["algorithm"] == "SHA256withRSA" and signed["certificate"] == cert["certificate"]
    preflight = requests.options(f"{sandbox_url}/ukey/sign", timeout=5)  # what a browser asks first
    assert preflight.ok and "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_switching_keys_and_refusals(sandbox_url, ukey):
    ukey("expired")
    [cert] = requests.get(f"{sandbox_url}/ukey/certs", timeout=5).json()["certs"]
    wrong = requests.post(f"{sandbox_url}/ukey/sign", json={"certId": "00", "data": "YWJj"}, timeout=5)
    assert wrong.status_code == 404 and wrong.json()["error"] == "unknown_cert"
    bad = requests.post(f"{sandbox_url}/ukey/sign", json={"certId": cert["id"], "data": "%%"}, timeout=5)
    assert bad.status_code == 400
    requests.post(f"{sandbox_url}/ukey/test/remove", timeout=5).raise_for_status()
    assert requests.get(f"{sandbox_url}/ukey/status", timeout=5).json()["inserted"] is False
    gone = requests.post(f"{sandbox_url}/ukey/sign", json={"certId": cert["id"], "data": "YWJj"}, timeout=5)
    assert gone.status_code == 409 and gone.json()["error"] == "no_key"
