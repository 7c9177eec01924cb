"""A local test CA: issues unit certificates of every kind the verifier must refuse, and publishes its CRL.

A test CA may also be an intermediate CA under another (``root.sub_ca(...)``), as real Chinese CAs issue unit
certificates from a sub-CA under their root.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from gateway.units.certificates import TrustStore
from gateway.units.demo_ca import PrivateKey, issue_ca, issue_unit_cert, make_ca, make_crl, new_key

NOW = datetime.now(UTC)


def sign(key: PrivateKey, data: bytes) -> str:
    """What the USB key's middleware returns: base64 of the signature (RSA PKCS#1 v1.5 / ECDSA DER), SHA-256."""
    if isinstance(key, rsa.RSAPrivateKey):
        return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


@dataclass
class Issued:
    cert: x509.Certificate
    key: PrivateKey

    def answer(self, nonce: str, chain: tuple[x509.Certificate, ...] = ()) -> tuple[str, str]:
        """(certificate, signature) as the login page posts them; ``chain``: intermediates sent after it."""
        return ",".join(der_b64(c) for c in (self.cert, *chain)), sign(self.key, nonce.encode())


@dataclass
class TestCA:
    """One CA with its CRL file under ``folder``: a root, or an intermediate CA when it has a ``parent``."""

    __test__ = False  # not a test class

    folder: Path
    name: str = "测试数字证书认证中心"
    key: PrivateKey = field(default_factory=lambda: new_key("ec"))
    revoked: list[int] = field(default_factory=list)
    parent: TestCA | None = None
    path_length: int = 0  # how many intermediate CAs may follow this one
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        life = (NOW - timedelta(days=10), self.not_after or NOW + timedelta(days=3650))
        if self.parent is None:
            self.cert = make_ca(self.name, self.key, *life, path_length=self.path_length)
        else:
            self.cert = issue_ca(
                self.parent.cert, self.parent.key, self.name, self.key, *life, path_length=self.path_length
            )
        self.publish_crl()

    def sub_ca(self, name: str, **kwargs) -> TestCA:
        """An intermediate CA issued by this one, with its own CRL."""
        return TestCA(self.folder / f"sub-{len(list(self.folder.glob('sub-*')))}", name=name, parent=self, **kwargs)

    @property
    def root(self) -> TestCA:
        return self if self.parent is None else self.parent.root

    @property
    def crl_paths(self) -> tuple[str, ...]:
        """The CRLs of this CA and of every CA above it, root first."""
        return (*(self.parent.crl_paths if self.parent else ()), str(self.crl_path))

    @property
    def crl_path(self) -> Path:
        return self.folder / "crl.pem"

    def publish_crl(self, this_update: datetime | None = None, next_update: datetime | None = None) -> None:
        this_update = this_update or NOW - timedelta(hours=1)
        crl = make_crl(self.cert, self.key, self.revoked, this_update, next_update or NOW + timedelta(days=7))
        self.crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        credit_code: str,
        *,
        kind: str = "ec",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        digital_signature: bool = True,
        **extensions,
    ) -> Issued:
        key = new_key(kind)
        cert = issue_unit_cert(
            self.cert,
            self.key,
            key,
            credit_code=credit_code,
            unit_name="测试单位",
            not_before=not_before or NOW - timedelta(days=1),
            not_after=not_after or NOW + timedelta(days=365),
            digital_signature=digital_signature,
            **extensions,
        )
        return Issued(cert, key)

    def revoke(self, issued: Issued | TestCA) -> None:
        self.revoked.append(issued.cert.serial_number)
        self.publish_crl()

    def trust(self, revocation_mode: str = "soft-fail") -> TrustStore:
        """Trusting the root of this CA, with the CRLs of every CA from the root down to this one."""
        return TrustStore((self.root.cert,), self.crl_paths, revocation_mode)
