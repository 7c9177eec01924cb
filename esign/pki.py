"""The agency's seal key and certificate: a local CA for the embedded default, PKCS#12/PEM from configuration
otherwise, and the seal's life cycle — expiry watched, rotation in one step (LD/T 01 6.2.7).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_KEY = "agency-ca.key.pem"
CA_CERT = "agency-ca.pem"
SEAL_KEY = "seal.key.pem"
SEAL_CERT = "seal.pem"
ARCHIVE = "archive"
CRL_FILE = "agency-ca.crl"  # DER, published by the local CA (PAdES B-LT embeds it)
REVOKED_FILE = "revoked-serials.txt"  # hex serials of seals revoked (e.g. a leaked key), one a line
CRL_DAYS = 7  # nextUpdate: a week, re-published after half of it
CA_YEARS = 20
SEAL_DAYS = 2 * 365
WARN_DAYS = 30  # /readyz warns this long before the seal certificate expires.


class SealError(RuntimeError):
    """The seal key or certificate cannot be used (missing, unreadable, not yet made)."""


class SealStatus(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"
    EXPIRED = "expired"


@dataclass(frozen=True)
class SealConfig:
    """Where the seal comes from: a PKCS#12 file, a PEM key + certificate, or the local CA directory."""

    directory: Path
    pkcs12: Path | None = None
    pkcs12_password: str = ""
    key_file: Path | None = None
    cert_file: Path | None = None
    extra_roots: tuple[Path, ...] = ()


@dataclass(frozen=True)
class SealMaterial:
    """The parsed seal: key, certificate, its chain, and the roots its documents verify against."""

    key_pem: bytes
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    roots: tuple[x509.Certificate, ...]


def _name(common_name: str, agency: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca(agency: str, now: datetime, years: int = CA_YEARS) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-signed root for the agency's seals."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = _name(f"{agency} 电子印章根证书", agency, "电子印章")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_seal_cert(
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    agency: str,
    now: datetime,
    days: int = SEAL_DAYS,
    crl_url: str | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A seal (document-signing) certificate issued by the agency CA; ``crl_url`` names where the CA's CRL
    is published (a validator only consults revocation data for a certificate that points to it)."""
    # RSA-2048: signing costs about a millisecond and every PDF viewer knows it.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{agency} 电子印章", agency, "电子印章"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def init_local(
    directory: Path, agency: str, now: datetime | None = None, days: int = SEAL_DAYS, crl_url: str | None = None
) -> bool:
    """Make the local agency CA and a seal certificate under ``directory`` once; False if already there."""
    now = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / SEAL_CERT).exists() and (directory / CA_CERT).exists():
        return False
    ca_key, ca_cert = make_ca(agency, now)
    _write_private(directory / CA_KEY, _key_pem(ca_key))
    (directory / CA_CERT).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    _issue_seal(directory, ca_key, ca_cert, agency, now, days, crl_url)
    publish_crl(directory, now)
    return True


def _issue_seal(
    directory: Path,
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    agency: str,
    now: datetime,
    days: int,
    crl_url: str | None = None,
) -> x509.Certificate:
    key, cert = make_seal_cert(ca_key, ca_cert, agency, now, days, crl_url)
    # Key first, certificate last: a reader that sees the new certificate also finds its key.
    tmp_key = directory / f".{SEAL_KEY}.{os.getpid()}"
    _write_private(tmp_key, _key_pem(key))
    tmp_cert = directory / f".{SEAL_CERT}.{os.getpid()}"
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, directory / SEAL_KEY)
    os.replace(tmp_cert, directory / SEAL_CERT)
    return cert


def rotate_local(
    directory: Path, agency: str, now: datetime | None = None, days: int = SEAL_DAYS, crl_url: str | None = None
) -> x509.Certificate:
    """Archive the current seal and issue a new one from the same CA; older documents still verify."""
    now = now or datetime.now(UTC)
    if not (directory / CA_KEY).exists():
        raise SealError("本地印章根证书不存在，请先运行 shebao seal init。")
    ca_key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
    if (directory / SEAL_CERT).exists():
        old = x509.load_pem_x509_certificate((directory / SEAL_CERT).read_bytes())
        archive = directory / ARCHIVE
        archive.mkdir(exist_ok=True)
        shutil.copy2(directory / SEAL_CERT, archive / f"seal-{old.serial_number:x}.pem")
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    return _issue_seal(directory, ca_key, ca_cert, agency, now, days, crl_url)


def load_seal(config: SealConfig) -> SealMaterial:
    """Read the seal named by the configuration; raise :class:`SealError` with a clear message if missing."""
    extra = tuple(_load_certs(p) for p in config.extra_roots)
    extra_roots = tuple(c for group in extra for c in group)
    if config.pkcs12 is not None:
        try:
            key, cert, others = pkcs12.load_key_and_certificates(
                config.pkcs12.read_bytes(), config.pkcs12_password.encode() or None
            )
        except (OSError, ValueError) as exc:
            raise SealError(f"无法读取印章 PKCS#12 文件 {config.pkcs12.name}：{exc}") from exc
        if key is None or cert is None:
            raise SealError("印章 PKCS#12 文件中没有私钥或证书。")
        chain = tuple(others)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        roots = tuple(c for c in chain if c.issuer == c.subject) + extra_roots
        return SealMaterial(key_pem, cert, tuple(c for c in chain if c.issuer != c.subject), roots)
    if config.key_file is not None and config.cert_file is not None:
        key_file, cert_file, chain_files = config.key_file, config.cert_file, ()
    else:
        key_file, cert_file = config.directory / SEAL_KEY, config.directory / SEAL_CERT
        chain_files = (config.directory / CA_CERT,)
    try:
        key_pem = key_file.read_bytes()
        certs = _load_certs(cert_file)
        chain_certs = tuple(c for p in chain_files for c in _load_certs(p))
    except OSError as exc:
        raise SealError(f"印章证书或私钥不存在（{exc.filename}）。嵌入式部署请先运行 shebao seal init。") from exc
    cert, rest = certs[0], certs[1:] + chain_certs
    roots = tuple(c for c in rest if c.issuer == c.subject) + extra_roots
    return SealMaterial(key_pem, cert, tuple(c for c in rest if c.issuer != c.subject), roots)


def archived_roots(config: SealConfig) -> tuple[x509.Certificate, ...]:
    """Every root documents may chain to: the current ones (old seals share the local CA)."""
    return load_seal(config).roots


def _load_certs(path: Path) -> tuple[x509.Certificate, ...]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return tuple(x509.load_pem_x509_certificates(data))
    return (x509.load_der_x509_certificate(data),)


def seal_status(cert: x509.Certificate, now: datetime | None = None, warn_days: int = WARN_DAYS) -> SealStatus:
    """ok, expiring (within ``warn_days``: still usable, replace it) or expired."""
    now = now or datetime.now(UTC)
    if now >= cert.not_valid_after_utc:
        return SealStatus.EXPIRED
    if now >= cert.not_valid_after_utc - timedelta(days=warn_days):
        return SealStatus.EXPIRING
    return SealStatus.OK


# ---------------------------------------------------------------- the local CA's CRL (PAdES B-LT)


def revoked_serials(directory: Path) -> tuple[int, ...]:
    """Seal serials the local CA has revoked."""
    path = directory / REVOKED_FILE
    if not path.exists():
        return ()
    return tuple(int(line.strip(), 16) for line in path.read_text().splitlines() if line.strip())


def publish_crl(directory: Path, now: datetime | None = None, days: int = CRL_DAYS) -> bytes:
    """Sign and write the local CA's CRL (DER) under ``directory``; returns it."""
    now = now or datetime.now(UTC)
    ca_key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        # A minute back: a validator checking "now" must not see a CRL from the future.
        .last_update(now - timedelta(minutes=1))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for serial in revoked_serials(directory):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    der = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    tmp = directory / f".{CRL_FILE}.{os.getpid()}"
    tmp.write_bytes(der)
    os.replace(tmp, directory / CRL_FILE)
    return der


def current_crl(directory: Path, now: datetime | None = None) -> bytes | None:
    """The local CA's CRL, re-published once half its life has passed; None without a local CA."""
    now = now or datetime.now(UTC)
    if not (directory / CA_KEY).exists():
        return None
    path = directory / CRL_FILE
    if path.exists():
        crl = x509.load_der_x509_crl(path.read_bytes())
        issued, due = crl.last_update_utc, crl.next_update_utc
        if due is not None and now < issued + (due - issued) / 2:
            return path.read_bytes()
    return publish_crl(directory, now)


def revoke_local(directory: Path, serial: int, now: datetime | None = None) -> bytes:
    """Revoke a seal certificate of the local CA (a leaked key) and re-publish the CRL."""
    with (directory / REVOKED_FILE).open("a") as fh:
        fh.write(f"{serial:x}\n")
    return publish_crl(directory, now)


def crl_url(public_base: str) -> str:
    """Where the gateway publishes the local CA's CRL (channels/web/certificates.py)."""
    return f"{public_base.rstrip('/')}/certificates/agency-ca.crl"
