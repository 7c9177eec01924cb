"""The seal's life cycle (LD/T 01 6.2.7): made once, rotated in one command, older documents still verify;
and the RFC 3161 sandbox TSA speaking its protocol."""

from __future__ import annotations

import dataclasses

import requests
from asn1crypto import algos, tsp
from click.testing import CliRunner

from esign import codes, documents, pki
from esign.codes import DocumentKind
from esign.service import Outcome, service_for
from esign.validate import PdfVerdict, check_pdf
from gateway.cli import main
from tests.esign.conftest import VERIFY_URL


def test_init_is_idempotent(tmp_path):
    assert pki.init_local(tmp_path, "示例中心") is True
    first = (tmp_path / pki.SEAL_CERT).read_bytes()
    assert pki.init_local(tmp_path, "示例中心") is False
    assert (tmp_path / pki.SEAL_CERT).read_bytes() == first
    assert (tmp_path / pki.CA_KEY).stat().st_mode & 0o077 == 0
    assert (tmp_path / pki.SEAL_KEY).stat().st_mode & 0o077 == 0


def test_rotation_keeps_older_documents_verifiable(esign_settings, sessions, backoffice, accounts, tmp_path, seal_dir):
    # A service of its own (own var/), sharing the database, so the session's seal stays as it is.
    var = tmp_path / "var"
    pki.init_local(var / "seal", esign_settings.agency_name)
    settings = dataclasses.replace(esign_settings, var_dir=var)
    service = service_for(settings)
    retiree = next(a for a in accounts if a.key == "retiree").id_number
    with sessions.begin() as db:
        before = service.issue(db, documents.person_proof(backoffice, retiree), VERIFY_URL)
    old_serial = before.record.seal_serial
    new_cert = pki.rotate_local(var / "seal", settings.agency_name)
    assert f"{new_cert.serial_number:x}" != old_serial
    assert (var / "seal" / "archive" / f"seal-{old_serial}.pem").exists()
    with sessions.begin() as db:
        transfer = next(a for a in accounts if a.key == "transfer").id_number
        after = service.issue(db, documents.person_proof(backoffice, transfer), VERIFY_URL)
        assert after.record.seal_serial == f"{new_cert.serial_number:x}"  # picked up without a restart
        for doc in (before, after):
            check = check_pdf(doc.pdf, service.trust_roots(), service.tsa_roots())
            assert check.verdict is PdfVerdict.SEALED
        assert service.lookup(db, before.code).outcome is Outcome.GENUINE


def test_seal_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SHEBAO_SEAL_PKCS12", raising=False)
    monkeypatch.delenv("SHEBAO_SEAL_KEY", raising=False)
    runner = CliRunner()
    first = runner.invoke(main, ["seal", "init"])
    assert first.exit_code == 0 and "created" in first.output
    again = runner.invoke(main, ["seal", "init"])
    assert again.exit_code == 0 and "already present" in again.output
    status = runner.invoke(main, ["seal", "status"])
    assert status.exit_code == 0 and ": ok," in status.output
    rotated = runner.invoke(main, ["seal", "rotate"])
    assert rotated.exit_code == 0 and "new seal" in rotated.output
    assert len(list((tmp_path / "seal" / "archive").iterdir())) == 1


def test_rotate_without_init_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["seal", "rotate"])
    assert result.exit_code != 0 and "seal init" in result.output


def test_configured_pkcs12_seal_is_used(tmp_path):
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    now = datetime.now(UTC)
    ca_key, ca = pki.make_ca("示例中心", now)
    key, cert = pki.make_seal_cert(ca_key, ca, "示例中心", now)
    p12 = tmp_path / "seal.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key, cert, [ca], BestAvailableEncryption(b"pw")))
    material = pki.load_seal(pki.SealConfig(directory=tmp_path / "none", pkcs12=p12, pkcs12_password="pw"))
    assert material.cert == cert and material.roots == (ca,)
    missing = pki.SealConfig(directory=tmp_path / "none")
    try:
        pki.load_seal(missing)
    except pki.SealError as exc:
        assert "shebao seal init" in str(exc)
    else:
        raise AssertionError("a missing seal must be a clear error")


def test_tsa_speaks_rfc_3161(sandbox_url):
    digest = b"\x01" * 32
    req = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": digest}
            ),
            "nonce": 12345,
            "cert_req": True,
        }
    )
    resp = requests.post(
        f"{sandbox_url}/tsa/",
        data=req.dump(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(resp.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest and info["nonce"].native == 12345
    wrong = requests.post(f"{sandbox_url}/tsa/", data=b"x", headers={"Content-Type": "text/plain"}, timeout=10)
    assert wrong.status_code == 415
    garbage = requests.post(
        f"{sandbox_url}/tsa/", data=b"garbage", headers={"Content-Type": "application/timestamp-query"}, timeout=10
    )
    # SEQUENCE { PKIStatusInfo } without a token (short DER length: the info starts at byte 2).
    assert garbage.content[0] == 0x30
    assert tsp.PKIStatusInfo.load(garbage.content[2:])["status"].native == "rejection"
    assert b"BEGIN CERTIFICATE" in requests.get(f"{sandbox_url}/tsa/certs", timeout=10).content


def test_a_document_sealed_before_its_seal_expired_still_verifies(service, tmp_path):
    """B-T: the trusted timestamp proves the seal certificate was in force when the document was sealed."""
    import time
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import serialization

    from esign.render import Issue, render
    from esign.signer import PyHankoSealer, SealPlacement, http_timestamper
    from esign.stamp import seal_png

    ca_dir = service.config.seal.directory
    ca_key = serialization.load_pem_private_key((ca_dir / pki.CA_KEY).read_bytes(), None)
    ca_cert = pki.load_seal(service.config.seal).roots[0]
    now = datetime.now(UTC)
    # A seal certificate that ends three seconds from now.
    key, cert = pki.make_seal_cert(ca_key, ca_cert, "示例中心", now + timedelta(seconds=3) - timedelta(days=1), days=1)
    material = pki.SealMaterial(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert,
        (),
        (ca_cert,),
    )
    sealer = PyHankoSealer(
        material, seal_png("示例中心", service.font), http_timestamper(service.config.tsa_url), "示例中心"
    )
    from esign.documents import Document

    doc = Document(
        DocumentKind.UNIT_PROOF, "示例单位", "91610300MA6X000000", "统一社会信用代码", "测试", ("项目",), (("x",),)
    )
    rendered = render(
        doc, Issue("示例中心", codes.new_code(doc.kind), now.date(), now.date(), VERIFY_URL), service.font
    )
    sealed = sealer.seal(rendered.pdf, SealPlacement(rendered.seal_page, rendered.seal_box))
    while datetime.now(UTC) <= cert.not_valid_after_utc:
        time.sleep(0.5)
    check = check_pdf(sealed, service.trust_roots(), service.tsa_roots())
    assert check.verdict is PdfVerdict.SEALED, check
