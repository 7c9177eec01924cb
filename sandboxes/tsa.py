"""A local RFC 3161 timestamp authority (时间戳服务) for the embedded default and the tests.

Speaks the real protocol: ``POST /tsa/`` with ``Content-Type: application/timestamp-query`` and a DER
``TimeStampReq`` body answers ``application/timestamp-reply`` with a DER ``TimeStampResp``, so pyHanko's
``HTTPTimeStamper`` (and ``openssl ts -query`` + curl) talk to it as to any public TSA. The token is made by
pyHanko's ``DummyTimeStamper``. ``GET /tsa/certs`` publishes the TSA's certificate chain (PEM).

The TSA's RSA keys are generated from a fixed seed and its certificates signed with deterministic
PKCS#1 v1.5 signatures, so every sandbox process (``shebao serve``'s child, the tests' thread) is the
same TSA: a root pinned once keeps verifying older documents.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Blueprint, Response, request
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

PREFIX = "/tsa"
bp = Blueprint("tsa", __name__)

_SEED = b"shebao-gateway sandbox TSA v1"
_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2049, 12, 31, tzinfo=UTC)


def _small_primes(limit: int = 20000) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(limit) if sieve[i]]


# One gcd against the product of the small primes rejects most candidates without a modular exponentiation.
_PRIMORIAL = math.prod(_small_primes())


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if math.gcd(n, _PRIMORIAL) != 1:
        return False
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(20):  # Miller-Rabin
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _derived_key(label: bytes, bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key generated from a seeded PRNG: the same key in every process (a sandbox, not a secret)."""
    # pyHanko's DummyTimeStamper signs with RSA only, and RSA key generation cannot be seeded in
    # `cryptography`, hence the few lines of textbook key generation.
    rng = random.Random(hashlib.sha256(_SEED + label).digest())
    e = 65537

    def prime() -> int:
        while True:
            candidate = rng.getrandbits(bits // 2) | (3 << (bits // 2 - 2)) | 1
            if (candidate - 1) % e and _is_probable_prime(candidate, rng):
                return candidate

    p, q = prime(), prime()
    n, phi = p * q, (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)
    )
    return numbers.private_key()


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sandbox Time Stamping Authority"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _sign(builder: x509.CertificateBuilder, key: rsa.RSAPrivateKey) -> x509.Certificate:
    # PKCS#1 v1.5 signatures are deterministic: the same certificate bytes in every process.
    return builder.sign(key, hashes.SHA256())


@lru_cache(maxsize=1)
def authority() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """(root certificate, TSA certificate, TSA key): the same in every process."""
    root_key, tsa_key = _derived_key(b"root"), _derived_key(b"tsa")
    root_name = _name("Sandbox TSA Root")
    root = _sign(
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False),
        root_key,
    )
    tsa = _sign(
        x509.CertificateBuilder()
        .subject_name(_name("Sandbox TSA"))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        # RFC 3161 2.3: the TSA certificate carries only the critical timeStamping purpose.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False),
        root_key,
    )
    return root, tsa, tsa_key


@lru_cache(maxsize=1)
def _stamper() -> DummyTimeStamper:
    root, tsa, key = authority()
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        certs_to_embed=[asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))],
    )


def _reply(status: str, text: str | None = None) -> Response:
    info: dict = {"status": status}
    if text:
        info["status_string"] = [text]
    # asn1crypto's TimeStampResp insists on a token, which a refusal has none of (RFC 3161 2.4.2):
    # wrap the PKIStatusInfo in the outer SEQUENCE by hand.
    status = tsp.PKIStatusInfo(info).dump()
    body = b"\x30" + _der_length(len(status)) + status
    return Response(body, mimetype="application/timestamp-reply")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


@bp.post("/")
def timestamp():
    """RFC 3161 3.4: one TimeStampReq in, one TimeStampResp out."""
    if request.mimetype != "application/timestamp-query":
        return Response("expected application/timestamp-query", status=415, mimetype="text/plain")
    try:
        req = tsp.TimeStampReq.load(request.get_data())
        req.native  # noqa: B018 - parse it all now: asn1crypto is lazy
    except (ValueError, TypeError):
        return _reply("rejection", "bad request")
    return Response(_stamper().request_tsa_response(req).dump(), mimetype="application/timestamp-reply")


@bp.get("/certs")
def certs():
    root, tsa, _ = authority()
    pem = tsa.public_bytes(serialization.Encoding.PEM) + root.public_bytes(serialization.Encoding.PEM)
    return Response(pem, mimetype="application/x-pem-file")


# Make the keys in the background as soon as the sandbox app is built, not during the first request.
threading.Thread(target=authority, name="tsa-keys", daemon=True).start()
