"""A local demo CA for unit certificates (embedded default; DESIGN "Identity": a CA is an external service).

``ensure_demo_pki(dir)`` makes, once, under ``var/unit-ca/``: the CA (``ca.pem`` + ``ca.key.pem``), its CRL
(``crl.pem``, re-issued when it goes stale) and three demo certificates of the demo unit for the USB-key
sandbox (``ukey/valid``, ``ukey/expired``, ``ukey/revoked``: ``.pem`` + ``.key.pem``). The gateway trusts
this CA only when no ``SHEBAO_CERT_CA_ROOTS`` is configured and it is not running in production.

The helpers (``make_ca``, ``issue_ca``, ``issue_unit_cert``, ``make_crl``) are also what the tests' own CAs
(a root, and intermediate CAs under it) are built with.
Certificates name the unit's unified social credit code in the subject's ``serialNumber`` attribute
(see :mod:`gateway.units.certificates` for why).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from gateway.backoffice.demo import DEMO_UNIT_CREDIT_CODE, DEMO_UNIT_NAME

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
DEMO_DIR = "unit-ca"
SLOTS = ("valid", "expired", "revoked")
CRL_LIFETIME = timedelta(days=7)


def new_key(kind: str = "ec") -> PrivateKey:
    """A fresh signing key: ``ec`` (P-256) or ``rsa`` (2048 bits)."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str, organization: str, serial_number: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if serial_number:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    return x509.Name(attrs)


def make_ca(
    name: str, key: PrivateKey, not_before: datetime, not_after: datetime, *, path_length: int = 0
) -> x509.Certificate:
    """A self-signed root that may sign certificates and CRLs (``path_length``: how many sub-CAs may follow)."""
    return issue_ca(None, key, name, key, not_before, not_after, path_length=path_length)


def issue_ca(
    parent: x509.Certificate | None,
    parent_key: PrivateKey,
    name: str,
    key: PrivateKey,
    not_before: datetime,
    not_after: datetime,
    *,
    path_length: int = 0,
) -> x509.Certificate:
    """A CA certificate: self-signed when ``parent`` is None, else an intermediate CA issued by ``parent``.

    Real Chinese CAs issue unit certificates from such a sub-CA under their root.
    """
    subject = _name(name, name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(parent.subject if parent is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if parent is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(parent_key.public_key()), critical=False
        )
    return builder.sign(parent_key, hashes.SHA256())


def issue_unit_cert(
    ca: x509.Certificate,
    ca_key: PrivateKey,
    key: PrivateKey,
    *,
    credit_code: str,
    unit_name: str,
    not_before: datetime,
    not_after: datetime,
    digital_signature: bool = True,
    serial: int | None = None,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> x509.Certificate:
    """A unit's signing certificate (the kind kept in a USB key), naming its credit code as serialNumber.

    ``crl_url`` / ``ocsp_url``: the CRL distribution point and OCSP responder it declares, as real CAs' do.
    """
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(unit_name, unit_name, credit_code))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=digital_signature,
                key_encipherment=not digital_signature,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def make_crl(
    ca: x509.Certificate,
    ca_key: PrivateKey,
    revoked_serials: list[int],
    this_update: datetime,
    next_update: datetime,
) -> x509.CertificateRevocationList:
    builder = x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
    builder = builder.last_update(this_update).next_update(next_update)
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(this_update - timedelta(days=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(ca_key, hashes.SHA256())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


@dataclass(frozen=True)
class DemoPki:
    """Where the demo CA keeps its files."""

    root: Path

    @property
    def ca_pem(self) -> Path:
        return self.root / "ca.pem"

    @property
    def crl_pem(self) -> Path:
        return self.root / "crl.pem"

    @property
    def ukey_dir(self) -> Path:
        return self.root / "ukey"

    def slot(self, name: str) -> tuple[Path, Path]:
        """(certificate, private key) files of one demo certificate."""
        return self.ukey_dir / f"{name}.pem", self.ukey_dir / f"{name}.key.pem"


def _build(target: Path, now: datetime) -> None:
    ca_key = new_key("ec")
    ca = make_ca("示例社保数字证书认证中心（演示）", ca_key, now - timedelta(days=1), now + timedelta(days=3650))
    _write_private(target / "ca.key.pem", key_pem(ca_key))
    (target / "ca.pem").write_bytes(cert_pem(ca))
    (target / "ukey").mkdir()
    # The valid one is RSA, the others EC: the USB keys in use hold both kinds.
    lives = {
        "valid": ("rsa", now - timedelta(days=1), now + timedelta(days=730)),
        "expired": ("ec", now - timedelta(days=800), now - timedelta(days=35)),
        "revoked": ("ec", now - timedelta(days=30), now + timedelta(days=700)),
    }
    for slot, (kind, nb, na) in lives.items():
        key = new_key(kind)
        cert = issue_unit_cert(
            ca, ca_key, key, credit_code=DEMO_UNIT_CREDIT_CODE, unit_name=DEMO_UNIT_NAME, not_before=nb, not_after=na
        )
        (target / "ukey" / f"{slot}.pem").write_bytes(cert_pem(cert))
        _write_private(target / "ukey" / f"{slot}.key.pem", key_pem(key))


def _refresh_crl(pki: DemoPki, now: datetime) -> None:
    """Re-issue the CRL when missing or past its next update (the CA publishes on a schedule)."""
    if pki.crl_pem.exists():
        crl = x509.load_pem_x509_crl(pki.crl_pem.read_bytes())
        if crl.next_update_utc and crl.next_update_utc > now + timedelta(days=1):
            return
    ca = x509.load_pem_x509_certificate(pki.ca_pem.read_bytes())
    ca_key = serialization.load_pem_private_key((pki.root / "ca.key.pem").read_bytes(), password=None)
    revoked = x509.load_pem_x509_certificate(pki.slot("revoked")[0].read_bytes())
    crl = make_crl(ca, ca_key, [revoked.serial_number], now, now + CRL_LIFETIME)  # type: ignore[arg-type]
    tmp = pki.crl_pem.with_name(f".crl.{os.getpid()}.pem")
    tmp.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, pki.crl_pem)


def ensure_demo_pki(var_dir: Path, now: datetime | None = None) -> DemoPki:
    """The demo CA under ``var_dir/unit-ca``, made on first call (safe when several processes race)."""
    now = now or datetime.now(UTC)
    pki = DemoPki(Path(var_dir) / DEMO_DIR)
    if not pki.ca_pem.exists():
        pki.root.parent.mkdir(parents=True, exist_ok=True)
        # Build aside, then rename into place: a racing process either wins or throws its copy away.
        tmp = Path(tempfile.mkdtemp(prefix=".unit-ca-", dir=pki.root.parent))
        try:
            _build(tmp, now)
            os.rename(tmp, pki.root)
        except OSError:
            if not pki.ca_pem.exists():
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _refresh_crl(pki, now)
    return pki
