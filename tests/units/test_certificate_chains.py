"""Unit certificates issued by an intermediate CA (root → sub-CA → unit), checked by pyhanko-certvalidator:
the client sends the intermediate; without it, out of date, or revoked, the login is refused with the same
Chinese message (never a 500); and the revocation information certificates declare (OCSP, CRL distribution
points) is asked, soft-fail by default, hard-fail when configured.
"""

from __future__ import annotations

import base64
import socket
from datetime import timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from flask import Flask

from gateway.config import Settings
from gateway.units.certificates import (
    USER_MESSAGE,
    CertificateRefused,
    Refusal,
    TrustStore,
    trust_store,
    verify_login,
)
from gateway.units.demo_ca import cert_pem, issue_unit_cert, key_pem, new_key
from gateway.units.models import UnitEventKind
from tests.conftest import csrf_token
from tests.sandbox_server import serve_in_thread
from tests.units.conftest import DEMO_CODE, nonce_of
from tests.units.pki import NOW, Issued, TestCA, der_b64, sign
from tests.units.test_unit_web import LOGIN, last_events

NONCE = "n0nce-for-the-chain-tests_0123456789abcdefghijkl"


@pytest.fixture
def root(tmp_path) -> TestCA:
    return TestCA(tmp_path / "root", name="测试根证书认证中心", path_length=1)


@pytest.fixture
def sub(root: TestCA) -> TestCA:
    return root.sub_ca("测试单位证书签发中心")


def refused(reason: Refusal, certificate: str, signature: str, trust: TrustStore) -> CertificateRefused:
    with pytest.raises(CertificateRefused) as caught:
        verify_login(certificate, signature, NONCE, trust)
    assert caught.value.reason is reason, caught.value
    assert caught.value.message == USER_MESSAGE  # the same words for the user whatever went wrong
    return caught.value


def closed_port_url(path: str) -> str:
    """A loopback URL nothing listens on (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


# ---------------------------------------------------------------- the chain


def test_a_certificate_from_a_sub_ca_is_accepted_when_the_client_sends_the_sub_ca(sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    holder = verify_login(*issued.answer(NONCE, chain=(sub.cert,)), NONCE, sub.trust())
    assert holder.credit_code == DEMO_CODE
    assert holder.serial == format(issued.cert.serial_number, "x")
    assert "测试单位证书签发中心" in holder.issuer  # the issuer recorded is the sub-CA


def test_the_chain_may_come_as_pem_too(sub: TestCA):
    issued = sub.issue(DEMO_CODE, kind="rsa")
    _der, signature = issued.answer(NONCE)
    bundle = (cert_pem(issued.cert) + cert_pem(sub.cert)).decode()
    assert verify_login(bundle, signature, NONCE, sub.trust()).credit_code == DEMO_CODE


def test_without_its_intermediate_the_certificate_is_refused(sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    exc = refused(Refusal.UNTRUSTED_ISSUER, *issued.answer(NONCE), sub.trust())
    assert "测试单位证书签发中心" in exc.detail or "CN=" in exc.detail


def test_an_intermediate_from_another_root_does_not_help(sub: TestCA, tmp_path):
    stranger = TestCA(tmp_path / "stranger", name="别的根", path_length=1).sub_ca("测试单位证书签发中心")
    issued = stranger.issue(DEMO_CODE)
    refused(Refusal.UNTRUSTED_ISSUER, *issued.answer(NONCE, chain=(stranger.cert,)), sub.trust())


def test_a_root_that_allows_no_sub_ca_refuses_the_chain(tmp_path):
    strict = TestCA(tmp_path / "strict", name="不设下级的根", path_length=0).sub_ca("下级")
    issued = strict.issue(DEMO_CODE)
    refused(Refusal.UNTRUSTED_ISSUER, *issued.answer(NONCE, chain=(strict.cert,)), strict.trust())


def test_a_unit_certificate_cannot_act_as_a_ca(root: TestCA):
    """A unit's own certificate (CA: false) signing another certificate gives no path."""
    unit = root.issue(DEMO_CODE)
    key = new_key("ec")
    forged = issue_unit_cert(
        unit.cert,
        unit.key,
        key,
        credit_code=DEMO_CODE,
        unit_name="冒充单位",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
    )
    refused(Refusal.UNTRUSTED_ISSUER, *Issued(forged, key).answer(NONCE, chain=(unit.cert,)), root.trust())


def test_an_expired_certificate_under_a_sub_ca_is_refused(sub: TestCA):
    issued = sub.issue(DEMO_CODE, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1))
    exc = refused(Refusal.EXPIRED, *issued.answer(NONCE, chain=(sub.cert,)), sub.trust())
    assert "notAfter=" in exc.detail


def test_an_expired_sub_ca_refuses_its_certificates(root: TestCA):
    old = root.sub_ca("过期的签发中心", not_after=NOW - timedelta(days=1))
    issued = old.issue(DEMO_CODE, not_before=NOW - timedelta(days=5), not_after=NOW + timedelta(days=300))
    exc = refused(Refusal.EXPIRED, *issued.answer(NONCE, chain=(old.cert,)), old.trust())
    assert "CA certificate" in exc.detail and "notAfter=" in exc.detail


def test_a_certificate_revoked_on_the_sub_ca_crl_is_refused(sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    answer = issued.answer(NONCE, chain=(sub.cert,))
    assert verify_login(*answer, NONCE, sub.trust())  # fine before revocation
    sub.revoke(issued)
    exc = refused(Refusal.REVOKED, *answer, sub.trust())
    assert "revoked=" in exc.detail


def test_a_sub_ca_revoked_on_the_root_crl_refuses_its_certificates(root: TestCA, sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    root.revoke(sub)
    exc = refused(Refusal.REVOKED, *issued.answer(NONCE, chain=(sub.cert,)), sub.trust())
    assert "its CA" in exc.detail


def test_every_ca_of_the_path_needs_its_crl_configured(root: TestCA, sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    answer = issued.answer(NONCE, chain=(sub.cert,))
    only_root = TrustStore((root.cert,), (str(root.crl_path),))
    refused(Refusal.CRL_UNAVAILABLE, *answer, only_root)
    only_sub = TrustStore((root.cert,), (str(sub.crl_path),))
    refused(Refusal.CRL_UNAVAILABLE, *answer, only_sub)


def test_a_stale_sub_ca_crl_refuses_every_login(sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    sub.publish_crl(this_update=NOW - timedelta(days=10), next_update=NOW - timedelta(days=1))
    exc = refused(Refusal.CRL_UNAVAILABLE, *issued.answer(NONCE, chain=(sub.cert,)), sub.trust())
    assert "stale" in exc.detail


def test_a_sub_ca_trusted_directly_needs_no_root(sub: TestCA):
    """A deployment may configure the issuing sub-CA itself as its trust root (SHEBAO_CERT_CA_ROOTS)."""
    issued = sub.issue(DEMO_CODE)
    trust = TrustStore((sub.cert,), (str(sub.crl_path),))
    assert verify_login(*issued.answer(NONCE), NONCE, trust).credit_code == DEMO_CODE


@pytest.mark.parametrize(
    "certificate",
    [
        "QUJD,QUJD",  # a chain of garbage
        ",".join(["MIIB"] * 2),
    ],
)
def test_a_chain_that_does_not_parse_is_malformed(sub: TestCA, certificate: str):
    issued = sub.issue(DEMO_CODE)
    _cert, signature = issued.answer(NONCE)
    refused(Refusal.MALFORMED, f"{der_b64(issued.cert)},{certificate}", signature, sub.trust())


def test_too_long_a_chain_is_malformed(sub: TestCA):
    issued = sub.issue(DEMO_CODE)
    refused(Refusal.MALFORMED, *issued.answer(NONCE, chain=(sub.cert,) * 5), sub.trust())


# ---------------------------------------------------------------- what certificates declare: OCSP, CRL DP


def test_an_unreachable_ocsp_responder_is_soft_fail_by_default(sub: TestCA):
    issued = sub.issue(DEMO_CODE, ocsp_url=closed_port_url("/ocsp"))
    answer = issued.answer(NONCE, chain=(sub.cert,))
    assert verify_login(*answer, NONCE, sub.trust()).credit_code == DEMO_CODE


def test_an_unreachable_ocsp_responder_refuses_in_hard_fail_mode(sub: TestCA):
    issued = sub.issue(DEMO_CODE, ocsp_url=closed_port_url("/ocsp"))
    exc = refused(Refusal.CRL_UNAVAILABLE, *issued.answer(NONCE, chain=(sub.cert,)), sub.trust("hard-fail"))
    assert "revocation" in exc.detail


def partition_crl(ca: TestCA, url: str, revoked: tuple[int, ...] = ()) -> x509.CertificateRevocationList:
    """One partition of a CA's CRL (IssuingDistributionPoint ``url``), as large CAs publish them."""
    builder = x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
    builder = builder.last_update(NOW - timedelta(hours=1)).next_update(NOW + timedelta(days=1))
    for serial in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(hours=2))
        builder = builder.add_revoked_certificate(entry.build())
    point = x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        only_contains_user_certs=False,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    return builder.add_extension(point, critical=True).sign(ca.key, hashes.SHA256())


def configure_first_partition(sub: TestCA) -> None:
    """The configured CRL of the sub-CA is its partition 1; the certificates below declare other partitions."""
    first = partition_crl(sub, "http://127.0.0.1:9/part-1.crl")
    sub.crl_path.write_bytes(first.public_bytes(serialization.Encoding.PEM))


def test_the_crl_partition_a_certificate_declares_is_fetched_and_obeyed(sub: TestCA):
    configure_first_partition(sub)
    published = Flask("ca-dp")
    where: list[str] = []  # the partition's URL, known once the server runs
    revoked: list[int] = []

    def second_partition():
        crl = partition_crl(sub, where[0], tuple(revoked))
        return crl.public_bytes(serialization.Encoding.DER), 200, {"Content-Type": "application/pkix-crl"}

    published.add_url_rule("/part-2.crl", "crl", second_partition)
    with serve_in_thread(published) as url:
        where.append(f"{url}/part-2.crl")
        issued = sub.issue(DEMO_CODE, crl_url=where[0])
        answer = issued.answer(NONCE, chain=(sub.cert,))
        assert verify_login(*answer, NONCE, sub.trust()).credit_code == DEMO_CODE  # fetched: not on it
        revoked.append(issued.cert.serial_number)
        # Only the fetched partition lists it (the configured partition 1 does not).
        exc = refused(Refusal.REVOKED, *answer, sub.trust())
    assert "revoked" in exc.detail


@pytest.mark.parametrize(("mode", "accepted"), [("soft-fail", True), ("hard-fail", False)])
def test_an_unreachable_crl_partition_follows_the_revocation_mode(sub: TestCA, mode: str, accepted: bool):
    configure_first_partition(sub)
    issued = sub.issue(DEMO_CODE, crl_url=closed_port_url("/part-2.crl"))
    answer = issued.answer(NONCE, chain=(sub.cert,))
    if accepted:
        assert verify_login(*answer, NONCE, sub.trust(mode)).credit_code == DEMO_CODE
    else:
        refused(Refusal.CRL_UNAVAILABLE, *answer, sub.trust(mode))


def test_the_revocation_mode_comes_from_the_settings(sub: TestCA, tmp_path, monkeypatch):
    roots = tmp_path / "roots.pem"
    roots.write_bytes(cert_pem(sub.root.cert))
    configured = {"var_dir": tmp_path, "cert_ca_roots": str(roots), "cert_crl": ",".join(sub.crl_paths)}
    assert trust_store(Settings(**configured)).revocation_mode == "soft-fail"
    assert trust_store(Settings(**configured, cert_revocation_mode="hard-fail")).revocation_mode == "hard-fail"
    with pytest.raises(CertificateRefused) as caught:
        trust_store(Settings(**configured, cert_revocation_mode="sometimes"))
    assert caught.value.reason is Refusal.NOT_CONFIGURED and "暂未开通" in caught.value.message
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SHEBAO_CERT_REVOCATION_MODE", "Hard-Fail")
    assert Settings.from_env().cert_revocation_mode == "hard-fail"


# ---------------------------------------------------------------- through the login form and the USB-key sandbox


@pytest.fixture
def sub_trusted(app, sub: TestCA, tmp_path, monkeypatch) -> TestCA:
    """The gateway under test trusts the test root (with both CRLs) instead of the demo CA."""
    roots = tmp_path / "roots.pem"
    roots.write_bytes(cert_pem(sub.root.cert))
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "cert_ca_roots", str(roots))
    monkeypatch.setattr(settings, "cert_crl", ",".join(sub.crl_paths))
    return sub


def post_login(client, certificate: str, issued: Issued):
    html = client.get(LOGIN).get_data(as_text=True)
    nonce = nonce_of(html)
    data = {"csrf_token": csrf_token(html), "certificate": certificate, "signature": sign(issued.key, nonce.encode())}
    return client.post(LOGIN, data=data)


def test_the_login_form_takes_the_certificate_with_its_chain(client, sub_trusted: TestCA):
    issued = sub_trusted.issue(DEMO_CODE)
    resp = post_login(client, f"{der_b64(issued.cert)},{der_b64(sub_trusted.cert)}", issued)
    assert resp.status_code == 302 and resp.location == "/unit/"


@pytest.mark.parametrize("why", ["no_intermediate", "expired", "revoked"])
def test_the_login_form_refuses_in_plain_chinese(app, client, sub_trusted: TestCA, why: str):
    issued = sub_trusted.issue(
        DEMO_CODE, not_after=NOW - timedelta(days=1) if why == "expired" else None, not_before=NOW - timedelta(days=9)
    )
    if why == "revoked":
        sub_trusted.revoke(issued)
    chain = "" if why == "no_intermediate" else f",{der_b64(sub_trusted.cert)}"
    resp = post_login(client, der_b64(issued.cert) + chain, issued)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and USER_MESSAGE in html
    expected = {"no_intermediate": "untrusted_issuer", "expired": "expired", "revoked": "revoked"}[why]
    assert last_events(app, UnitEventKind.LOGIN_REFUSED)[0].reason == expected


def test_the_usb_key_sandbox_hands_out_the_chain(client, sandbox_url, ukey, sub_trusted: TestCA):
    issued = sub_trusted.issue(DEMO_CODE, kind="rsa")
    inserted = requests.post(
        f"{sandbox_url}/ukey/test/insert",
        json={
            "certificate": cert_pem(issued.cert).decode(),
            "private_key": key_pem(issued.key).decode(),
            "chain": cert_pem(sub_trusted.cert).decode(),
        },
        timeout=5,
    )
    inserted.raise_for_status()
    [listed] = requests.get(f"{sandbox_url}/ukey/certs", timeout=5).json()["certs"]
    assert listed["chain"] == [der_b64(sub_trusted.cert)]
    html = client.get(LOGIN).get_data(as_text=True)
    signed = requests.post(
        f"{sandbox_url}/ukey/sign",
        json={"certId": listed["id"], "data": base64.b64encode(nonce_of(html).encode()).decode()},
        timeout=5,
    ).json()
    assert signed["chain"] == listed["chain"]
    # What the login page's script posts when the middleware hands out a chain: the certificate, then its CAs.
    certificate = ",".join([signed["certificate"], *signed["chain"]])
    resp = client.post(
        LOGIN, data={"csrf_token": csrf_token(html), "certificate": certificate, "signature": signed["signature"]}
    )
    assert resp.status_code == 302 and resp.location == "/unit/"
    assert x509.load_der_x509_certificate(base64.b64decode(signed["certificate"])).serial_number == (
        issued.cert.serial_number
    )
