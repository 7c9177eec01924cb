"""Certificate verification rules (gateway/units/certificates.py) against a local test CA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from flask import Flask

from gateway.config import Settings
from gateway.request_db import get_session
from gateway.units.certificates import (
    CHALLENGE_TTL,
    CertificateRefused,
    Refusal,
    TrustStore,
    consume_challenge,
    new_challenge,
    trust_store,
    verify_login,
)
from gateway.units.demo_ca import issue_unit_cert, new_key
from gateway.validation import make_credit_code
from tests.sandbox_server import serve_in_thread
from tests.units.conftest import DEMO_CODE
from tests.units.pki import NOW, TestCA, der_b64, sign

NONCE = "n0nce-for-the-tests_0123456789abcdefghijklmnop"


def refused(reason: Refusal, certificate: str, signature: str, trust: TrustStore, nonce: str = NONCE, now=None):
    with pytest.raises(CertificateRefused) as caught:
        verify_login(certificate, signature, nonce, trust, now=now)
    assert caught.value.reason is reason, caught.value
    # Whatever the reason, the user is told the same thing.
    assert caught.value.message.startswith("数字证书登录未成功")
    return caught.value


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_a_good_certificate_and_signature_give_the_credit_code(test_ca: TestCA, kind: str):
    issued = test_ca.issue(DEMO_CODE, kind=kind)
    holder = verify_login(*issued.answer(NONCE), NONCE, test_ca.trust())
    assert holder.credit_code == DEMO_CODE
    assert holder.serial == format(issued.cert.serial_number, "x")
    assert holder.subject_name == "测试单位"


def test_pem_certificates_are_accepted_too(test_ca: TestCA):
    from gateway.units.demo_ca import cert_pem

    issued = test_ca.issue(DEMO_CODE)
    _der, signature = issued.answer(NONCE)
    assert verify_login(cert_pem(issued.cert).decode(), signature, NONCE, test_ca.trust()).credit_code == DEMO_CODE


def test_an_expired_certificate_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    exc = refused(Refusal.EXPIRED, *issued.answer(NONCE), test_ca.trust())
    assert "notAfter=" in exc.detail


def test_a_certificate_not_yet_valid_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE, not_before=NOW + timedelta(days=2), not_after=NOW + timedelta(days=400))
    refused(Refusal.NOT_YET_VALID, *issued.answer(NONCE), test_ca.trust())


def test_a_revoked_certificate_is_refused_through_the_crl(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    assert verify_login(*issued.answer(NONCE), NONCE, test_ca.trust())  # fine before revocation
    test_ca.revoke(issued)  # the CA publishes a new CRL file; the cache notices the change
    refused(Refusal.REVOKED, *issued.answer(NONCE), test_ca.trust())


def test_a_certificate_from_another_ca_is_refused(test_ca: TestCA, tmp_path):
    other = TestCA(tmp_path / "other", name="别的认证中心")
    issued = other.issue(DEMO_CODE)
    refused(Refusal.UNTRUSTED_ISSUER, *issued.answer(NONCE), test_ca.trust())


def test_a_forged_ca_with_the_same_name_is_refused(test_ca: TestCA, tmp_path):
    forger = TestCA(tmp_path / "forged", name=test_ca.name)  # same subject, other key
    issued = forger.issue(DEMO_CODE)
    refused(Refusal.UNTRUSTED_ISSUER, *issued.answer(NONCE), test_ca.trust())


def test_a_signature_over_another_nonce_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    certificate, signature = issued.answer("some-other-nonce")
    refused(Refusal.BAD_SIGNATURE, certificate, signature, test_ca.trust())


def test_a_signature_by_another_key_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE, kind="rsa")
    stranger = new_key("rsa")
    refused(Refusal.BAD_SIGNATURE, der_b64(issued.cert), sign(stranger, NONCE.encode()), test_ca.trust())


def test_a_certificate_without_digital_signature_usage_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE, digital_signature=False)
    refused(Refusal.KEY_USAGE, *issued.answer(NONCE), test_ca.trust())


def test_a_ca_certificate_cannot_log_in(test_ca: TestCA):
    # The root verifies as "issued by itself", and is then refused: a CA key may not sign logins.
    refused(Refusal.KEY_USAGE, der_b64(test_ca.cert), sign(test_ca.key, NONCE.encode()), test_ca.trust())


def test_a_stale_crl_refuses_every_login(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    test_ca.publish_crl(this_update=NOW - timedelta(days=10), next_update=NOW - timedelta(days=1))
    exc = refused(Refusal.CRL_UNAVAILABLE, *issued.answer(NONCE), test_ca.trust())
    assert "stale" in exc.detail


def test_a_missing_crl_refuses_every_login(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    test_ca.crl_path.unlink()
    refused(Refusal.CRL_UNAVAILABLE, *issued.answer(NONCE), test_ca.trust())


def test_a_crl_signed_by_someone_else_is_not_used(test_ca: TestCA, tmp_path):
    other = TestCA(tmp_path / "other", name=test_ca.name)
    issued = test_ca.issue(DEMO_CODE)
    trust = TrustStore((test_ca.cert,), (str(other.crl_path),))
    refused(Refusal.CRL_UNAVAILABLE, *issued.answer(NONCE), trust)


def test_the_crl_can_be_fetched_from_a_url(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    published = Flask("ca")
    published.add_url_rule("/crl", "crl", lambda: test_ca.crl_path.read_bytes())
    with serve_in_thread(published) as url:
        trust = TrustStore((test_ca.cert,), (f"{url}/crl",))
        assert verify_login(*issued.answer(NONCE), NONCE, trust).credit_code == DEMO_CODE
        test_ca.revoke(issued)
    # Until the cache refreshes the URL is not asked again; a fresh cache sees the revocation.
    from gateway.units.certificates import clear_crl_cache

    clear_crl_cache()
    with serve_in_thread(published) as url:
        trust = TrustStore((test_ca.cert,), (f"{url}/crl",))
        refused(Refusal.REVOKED, *issued.answer(NONCE), trust)


def test_a_certificate_without_a_credit_code_is_refused(test_ca: TestCA):
    key = new_key("ec")
    cert = issue_unit_cert(
        test_ca.cert,
        test_ca.key,
        key,
        credit_code="",
        unit_name="无代码单位",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
    )
    assert not cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
    refused(Refusal.NO_CREDIT_CODE, der_b64(cert), sign(key, NONCE.encode()), test_ca.trust())


def test_a_credit_code_with_a_bad_check_character_is_refused(test_ca: TestCA):
    bad = DEMO_CODE[:-1] + ("0" if DEMO_CODE[-1] != "0" else "1")
    issued = test_ca.issue(bad)
    refused(Refusal.NO_CREDIT_CODE, *issued.answer(NONCE), test_ca.trust())


@pytest.mark.parametrize("certificate", ["", "not base64!", "QUJD", "-----BEGIN CERTIFICATE-----\nxx\n"])
def test_garbage_is_refused_as_malformed(test_ca: TestCA, certificate: str):
    refused(Refusal.MALFORMED, certificate, "QUJD", test_ca.trust())


def test_a_signature_that_is_not_base64_is_refused(test_ca: TestCA):
    issued = test_ca.issue(DEMO_CODE)
    refused(Refusal.MALFORMED, der_b64(issued.cert), "%%%", test_ca.trust())


def test_production_without_configured_roots_trusts_nothing(tmp_path):
    with pytest.raises(CertificateRefused) as caught:
        trust_store(Settings(env="production", var_dir=tmp_path))
    assert caught.value.reason is Refusal.NOT_CONFIGURED
    assert "暂未开通" in caught.value.message
    assert not (tmp_path / "unit-ca").exists()  # no demo CA made in production


def test_configured_roots_and_crl_are_used(test_ca: TestCA, tmp_path):
    from gateway.units.demo_ca import cert_pem

    roots = tmp_path / "roots.pem"
    roots.write_bytes(cert_pem(test_ca.cert))
    trust = trust_store(Settings(var_dir=tmp_path, cert_ca_roots=str(roots), cert_crl=str(test_ca.crl_path)))
    issued = test_ca.issue(DEMO_CODE)
    assert verify_login(*issued.answer(NONCE), NONCE, trust).credit_code == DEMO_CODE
    assert not (tmp_path / "unit-ca").exists()


# ---------------------------------------------------------------- challenges


def test_a_nonce_is_good_once(app):
    with app.app_context():
        nonce = new_challenge(get_session())
        assert consume_challenge(get_session(), nonce)
        assert not consume_challenge(get_session(), nonce)  # replayed


def test_a_nonce_expires_after_two_minutes(app):
    with app.app_context():
        nonce = new_challenge(get_session(), now=NOW)
        assert not consume_challenge(get_session(), nonce, now=NOW + CHALLENGE_TTL + timedelta(seconds=1))


def test_an_unknown_nonce_is_refused(app):
    with app.app_context():
        assert not consume_challenge(get_session(), "never-issued")
        assert not consume_challenge(get_session(), "")


def test_a_credit_code_that_is_not_a_unit_is_refused(app, test_ca: TestCA):
    from gateway.clients import get_backoffice
    from gateway.units.service import open_unit_account

    stranger = make_credit_code("91610302MA6XQ7R2Y")
    issued = test_ca.issue(stranger)
    holder = verify_login(*issued.answer(NONCE), NONCE, test_ca.trust())
    with app.app_context():
        with pytest.raises(CertificateRefused) as caught:
            open_unit_account(get_session(), app.extensions["shebao_vault"], get_backoffice(), holder)
        assert caught.value.reason is Refusal.NOT_A_UNIT


def test_the_demo_ca_issues_a_valid_an_expired_and_a_revoked_key(tmp_path):
    from cryptography.hazmat.primitives import serialization

    from gateway.units.demo_ca import ensure_demo_pki

    pki = ensure_demo_pki(tmp_path)
    assert ensure_demo_pki(tmp_path).ca_pem.read_bytes() == pki.ca_pem.read_bytes()  # made once
    trust = trust_store(Settings(var_dir=tmp_path))
    outcomes = {}
    for slot in ("valid", "expired", "revoked"):
        cert_file, key_file = pki.slot(slot)
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        try:
            outcomes[slot] = verify_login(der_b64(cert), sign(key, NONCE.encode()), NONCE, trust).credit_code
        except CertificateRefused as exc:
            outcomes[slot] = exc.reason
    assert outcomes == {"valid": DEMO_CODE, "expired": Refusal.EXPIRED, "revoked": Refusal.REVOKED}
