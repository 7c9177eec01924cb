"""PAdES B-LT where configured (SHEBAO_SEAL_LEVEL=b-lt): the local agency CA publishes a CRL at the address its
seal certificates name, and every sealed document carries that CRL and the certificates in its DSS."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.errors import RevokedError

from esign import documents, pki
from esign.service import CertificateService, service_for
from esign.validate import PdfVerdict, check_pdf
from gateway import create_app
from gateway.config import ConfigError
from tests.esign.conftest import VERIFY_URL, pyhanko_validate
from tests.sandbox_server import serve_in_thread


@pytest.fixture(scope="module")
def blt(esign_settings, tmp_path_factory):
    """A gateway with its own local CA, at level B-LT, served over HTTP so its CRL address answers."""
    var = tmp_path_factory.mktemp("blt-var")
    settings = dataclasses.replace(esign_settings, var_dir=var, seal_level="b-lt")
    app = create_app(settings)
    with serve_in_thread(app) as url:
        pki.init_local(var / "seal", settings.agency_name, crl_url=pki.crl_url(url))
        yield settings, service_for(settings), url
    app.extensions["shebao_engine"].dispose()


@pytest.fixture(scope="module")
def sealed(blt, sessions, backoffice, accounts) -> bytes:
    _, service, _ = blt
    employee = next(a for a in accounts if a.key == "employee").id_number
    with sessions.begin() as db:
        return service.issue(db, documents.person_proof(backoffice, employee), VERIFY_URL).pdf


def _roots(service: CertificateService, directory: Path) -> list[Path]:
    paths = []
    for i, cert in enumerate((*service.trust_roots(), *service.tsa_roots())):
        path = directory / f"root{i}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.append(path)
    return paths


def test_the_local_ca_publishes_its_crl_where_the_seal_says(blt):
    settings, service, url = blt
    import requests

    seal = pki.load_seal(service.config.seal).cert
    points = seal.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    address = points[0].full_name[0].value
    assert address == f"{url}/certificates/agency-ca.crl"
    resp = requests.get(address, timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(resp.content)
    ca = service.trust_roots()[0]
    assert crl.issuer == ca.subject and crl.is_signature_valid(ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(seal.serial_number) is None


def test_the_dss_carries_the_crl_and_the_certificates(blt, sealed):
    _, service, _ = blt
    reader = PdfFileReader(io.BytesIO(sealed))
    dss = reader.root["/DSS"]
    crls = [x509.load_der_x509_crl(ref.get_object().data) for ref in dss["/CRLs"]]
    ca = service.trust_roots()[0]
    assert any(c.issuer == ca.subject and c.is_signature_valid(ca.public_key()) for c in crls)
    assert len(dss["/Certs"]) >= 2  # the seal and its CA (and the TSA's)
    # The seal stays valid with the DSS revision after it (pyHanko: an LTA update, allowed after P=1).
    check = check_pdf(sealed, service.trust_roots(), service.tsa_roots())
    assert check.verdict is PdfVerdict.SEALED, check


def test_validates_long_term_from_the_embedded_data_alone(blt, sealed):
    """Revocation checked strictly (a CRL is required for the seal) with no fetching: only what the document
    carries in its DSS may be used — the point of B-LT once the CA's CRL address is gone."""
    _, service, _ = blt
    from asn1crypto import x509 as asn1_x509

    roots = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in (*service.trust_roots(), *service.tsa_roots())
    ]
    reader = PdfFileReader(io.BytesIO(sealed))
    dss = DocumentSecurityStore.read_dss(reader)
    strict = dss.as_validation_context({"trust_roots": roots, "allow_fetching": False, "revocation_mode": "hard-fail"})
    status = validate_pdf_signature(reader.embedded_signatures[0], signer_validation_context=strict)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    # Without the DSS the same strict check cannot find the CRL the seal names.
    bare = type(strict)(trust_roots=roots, crls=[], allow_fetching=False, revocation_mode="hard-fail")
    assert not validate_pdf_signature(reader.embedded_signatures[0], signer_validation_context=bare).trusted


def test_pyhanko_cli_accepts_it_with_revocation_checking(blt, sealed, tmp_path):
    """`pyhanko sign validate` with revocation checks on (hard-fail): the CRL is found and not listing the seal."""
    _, service, _ = blt
    report = pyhanko_validate(sealed, _roots(service, tmp_path), tmp_path, revocation=())
    assert "INVALID" not in report


def test_a_revoked_seal_cannot_seal_at_b_lt(esign_settings, tmp_path, sessions, backoffice, accounts):
    settings = dataclasses.replace(esign_settings, var_dir=tmp_path, seal_level="b-lt")
    pki.init_local(tmp_path / "seal", settings.agency_name, crl_url="http://127.0.0.1:9/certificates/agency-ca.crl")
    service = service_for(settings)
    seal = pki.load_seal(service.config.seal).cert
    pki.revoke_local(tmp_path / "seal", seal.serial_number)
    from esign.signer import SealingError

    employee = next(a for a in accounts if a.key == "employee").id_number
    with sessions.begin() as db, pytest.raises(SealingError) as exc:
        service.issue(db, documents.person_proof(backoffice, employee), VERIFY_URL)
    causes, cause = [], exc.value
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(c, RevokedError) for c in causes), causes


def test_an_unknown_level_is_a_configuration_error(esign_settings):
    with pytest.raises(ConfigError):
        service_for(dataclasses.replace(esign_settings, seal_level="b-lta"))
