"""Digital-certificate login for units (DESIGN "Identity": assurance level 3) by challenge–response.

The gateway issues a nonce (single use, 2 minutes); the unit's USB-key middleware signs it with the
certificate's private key; :func:`verify_login` then checks, in this order, that

1. the certificate parses and names a signing key we support (RSA: PKCS#1 v1.5; ECDSA: DER), SHA-256;
2. it chains to one of the configured CAs (``SHEBAO_CERT_CA_ROOTS``), checked by ``pyhanko_certvalidator``
   (RFC 5280 path validation): through the intermediate CAs the client sends along with it (real Chinese CAs
   issue unit certificates from a sub-CA), every signature, every certificate in date (notBefore ≤ now ≤
   notAfter), CA flags, path lengths and names; and, for the certificates of the path, the OCSP responders and
   CRL distribution points they declare (``SHEBAO_CERT_REVOCATION_MODE``: ``soft-fail``, the default, lets a
   login through while a declared responder cannot be reached and refuses only a "revoked" answer;
   ``hard-fail`` refuses then too);
3. its key usage allows signatures (digitalSignature), and it is not a CA certificate;
4. neither it nor an intermediate CA of its path is on its issuer's CRL (``SHEBAO_CERT_CRL``: URLs or files,
   cached; every CA of the path below the trust root needs its CRL there, and a missing, stale or badly signed
   CRL refuses the login — fail closed, whatever the revocation mode);
5. the signature verifies over exactly the issued nonce (bytes of its ASCII text);
6. the subject names a valid unified social credit code (GB 32100).

What the page posts as the certificate: base64 of its DER (what USB-key middleware hands out), or PEM; with
its intermediate CAs after it (issuer after subject): further PEM blocks, or further base64 DER items
separated by commas. Intermediates are never fetched from the URL a certificate names (AIA caIssuers): that
URL comes from a certificate not validated yet.

Which subject field holds the credit code: the X.520 ``serialNumber`` attribute (OID 2.5.4.5). It is the
standard attribute for "an identifier of the subject", every CA toolkit and the ``cryptography`` library
know it, and Chinese CAs' organisation certificates commonly carry the unified social credit code there;
CA-private extensions (GM/T 0015 style OIDs) differ between CAs, and OU is free text. One convention, stated
here, so a deployment knows what to ask its CA for.

Refusals raise :class:`CertificateRefused` with a precise ``reason`` for the audit trail; the user is only
ever shown :data:`USER_MESSAGE` (no hints for an attacker probing certificates).
SM2 (GM/T 0003) keys are not supported: the ``cryptography`` library has no SM2.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import enum
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as pkix
from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.path import ValidationPath
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from gateway.config import Settings
from gateway.db import commit_claim
from gateway.units.models import UnitChallenge
from gateway.validation import ValidationError, normalize_credit_code

CHALLENGE_TTL = timedelta(minutes=2)
USER_MESSAGE = "数字证书登录未成功。请确认证书介质已插好、证书在有效期内且未被注销，然后重新登录。"
NOT_CONFIGURED_MESSAGE = "数字证书登录暂未开通，请联系经办机构。"
# How long a CRL fetched from a URL is reused before asking again (it is also refetched past nextUpdate).
CRL_REFRESH_S = 300
MAX_CERT_BYTES = 16 * 1024
# Intermediate CAs a client may send along with its certificate.
MAX_INTERMEDIATES = 4
# How revocation information that certificates declare (OCSP, CRL distribution points) is treated.
REVOCATION_MODES = ("soft-fail", "hard-fail")
# Seconds to wait for an OCSP responder or a CRL distribution point a certificate declares.
REVINFO_TIMEOUT_S = 5


class Refusal(enum.StrEnum):
    """Why a certificate login was refused (audit detail; never shown to the user)."""

    NOT_CONFIGURED = "not_configured"
    MALFORMED = "malformed"
    UNSUPPORTED_KEY = "unsupported_key"
    UNTRUSTED_ISSUER = "untrusted_issuer"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    KEY_USAGE = "key_usage"
    CRL_UNAVAILABLE = "crl_unavailable"
    REVOKED = "revoked"
    BAD_SIGNATURE = "bad_signature"
    NONCE_INVALID = "nonce_invalid"
    NO_CREDIT_CODE = "no_credit_code"
    NOT_A_UNIT = "not_a_unit"


class CertificateRefused(Exception):
    """The certificate login is refused; ``reason`` and ``detail`` go to the audit trail only."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
        self.message = NOT_CONFIGURED_MESSAGE if reason is Refusal.NOT_CONFIGURED else USER_MESSAGE


@dataclass(frozen=True)
class CertHolder:
    """What a verified certificate tells about its holder."""

    credit_code: str
    subject_name: str
    serial: str  # hex
    issuer: str
    issuer_digest: str
    not_after: datetime


# ---------------------------------------------------------------- challenges (nonce: single use, 2 min)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_challenge(db: Session, now: datetime | None = None) -> str:
    """Issue a nonce for one login attempt; only its digest is stored."""
    now = now or datetime.now(UTC)
    db.execute(delete(UnitChallenge).where(UnitChallenge.expires_at < now - timedelta(hours=1)))
    nonce = secrets.token_urlsafe(32)
    db.add(UnitChallenge(nonce_digest=_digest(nonce), created_at=now, expires_at=now + CHALLENGE_TTL, used=False))
    db.flush()
    return nonce


def consume_challenge(db: Session, nonce: str, now: datetime | None = None) -> bool:
    """Use up a nonce: True once for a live one; False when unknown, expired or already used."""
    now = now or datetime.now(UTC)
    if not nonce or len(nonce) > 100:
        return False
    # One conditional UPDATE: of two racing requests with the same nonce only one changes the row.
    result = db.execute(
        update(UnitChallenge)
        .where(
            UnitChallenge.nonce_digest == _digest(nonce),
            UnitChallenge.used.is_(False),
            UnitChallenge.expires_at >= now,
        )
        .values(used=True)
    )
    commit_claim(db)
    return result.rowcount == 1


# ---------------------------------------------------------------- trust: CA roots and CRLs


_crl_lock = threading.Lock()
_crl_cache: dict[str, tuple[float, float, list[x509.CertificateRevocationList]]] = {}


def _load_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    if b"-----BEGIN" in data:
        chunks = data.split(b"-----END X509 CRL-----")
        return [x509.load_pem_x509_crl(c + b"-----END X509 CRL-----") for c in chunks if b"-----BEGIN X509 CRL" in c]
    return [x509.load_der_x509_crl(data)]


def _fetch_crls(source: str, now: float) -> list[x509.CertificateRevocationList]:
    """The CRLs at a URL or file, cached (files: until they change; URLs: for CRL_REFRESH_S)."""
    is_url = source.startswith(("http://", "https://"))
    stamp = 0.0 if is_url else Path(source).stat().st_mtime
    with _crl_lock:
        hit = _crl_cache.get(source)
        fresh = hit is not None and hit[0] == stamp and (not is_url or now - hit[1] < CRL_REFRESH_S)
        if fresh and all(c.next_update_utc is None or c.next_update_utc.timestamp() > now for c in hit[2]):
            return hit[2]
    if is_url:
        import requests

        resp = requests.get(source, timeout=5)
        resp.raise_for_status()
        data = resp.content
    else:
        data = Path(source).read_bytes()
    crls = _load_crls(data)
    with _crl_lock:
        _crl_cache[source] = (stamp, now, crls)
    return crls


@dataclass(frozen=True)
class TrustStore:
    """The CAs whose unit certificates we accept, where their CRLs are published, and the revocation mode."""

    roots: tuple[x509.Certificate, ...]
    crl_sources: tuple[str, ...]
    revocation_mode: str = "soft-fail"

    def __post_init__(self) -> None:
        if self.revocation_mode not in REVOCATION_MODES:
            raise ValueError(f"revocation mode {self.revocation_mode!r} is not one of {', '.join(REVOCATION_MODES)}")

    def configured_crls(self, now: datetime) -> list[x509.CertificateRevocationList]:
        """Every CRL the configured sources hold now (unreadable sources left out: :meth:`crl_for` judges them)."""
        found = []
        for source in self.crl_sources:
            try:
                found.extend(_fetch_crls(source, now.timestamp()))
            except Exception:  # noqa: BLE001, S112 - crl_for refuses with the precise reason
                continue
        return found

    def crl_for(self, ca: x509.Certificate, now: datetime) -> x509.CertificateRevocationList:
        """The issuer's current CRL, signature checked; refuses when none is usable (fail closed)."""
        problems = []
        for source in self.crl_sources:
            try:
                crls = _fetch_crls(source, now.timestamp())
            except Exception as exc:  # noqa: BLE001 - any failure to read a CRL source is the same refusal
                problems.append(f"{source}: {type(exc).__name__}")
                continue
            for crl in crls:
                if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]
                    continue
                if crl.next_update_utc is not None and crl.next_update_utc < now:
                    problems.append(f"{source}: stale since {crl.next_update_utc:%Y-%m-%d}")
                    continue
                return crl
        raise CertificateRefused(
            Refusal.CRL_UNAVAILABLE,
            "; ".join(problems) or f"no CRL for the issuer {ca.subject.rfc4514_string()[:120]}",
        )

    def validate_path(
        self, cert: x509.Certificate, intermediates: list[x509.Certificate], now: datetime, *, at_now: bool = False
    ) -> list[x509.Certificate]:
        """The path from a configured root down to ``cert`` (root first), validated by ``pyhanko_certvalidator``.

        ``at_now``: validate at exactly ``now`` (tests, audits); then nothing is fetched (the library allows a
        fixed moment only without fetching), so only the configured CRLs count. Refuses with the precise reason.
        """
        where = f"serial={cert.serial_number:x}"
        try:
            path = _run(self._validate(cert, intermediates, now if at_now else None))
        except pkix.ExpiredError as exc:
            whose = where if exc.is_ee_cert else f"{where} CA certificate of the path"
            raise CertificateRefused(Refusal.EXPIRED, f"{whose} notAfter={exc.expired_dt:%Y-%m-%d}") from None
        except pkix.NotYetValidError as exc:
            whose = where if exc.is_ee_cert else f"{where} CA certificate of the path"
            raise CertificateRefused(Refusal.NOT_YET_VALID, f"{whose} notBefore={exc.valid_from:%Y-%m-%d}") from None
        except pkix.RevokedError as exc:
            detail = f"{where} revoked={exc.revocation_dt:%Y-%m-%d}: {exc.failure_msg}"
            raise CertificateRefused(Refusal.REVOKED, detail[:255]) from None
        except pkix.InsufficientRevinfoError as exc:
            stale = " (stale)" if isinstance(exc, pkix.StaleRevinfoError) else ""
            raise CertificateRefused(Refusal.CRL_UNAVAILABLE, f"{where}{stale} {exc.failure_msg}"[:255]) from None
        except (pkix.PathBuildingError, pkix.ValidationError) as exc:
            detail = f"{where} issuer={cert.issuer.rfc4514_string()[:120]} {type(exc).__name__}: {exc}"
            raise CertificateRefused(Refusal.UNTRUSTED_ISSUER, detail[:255]) from None
        except Exception as exc:  # noqa: BLE001 - a certificate the library cannot handle is refused, never a 500
            detail = f"{where} path validation failed: {type(exc).__name__}"
            raise CertificateRefused(Refusal.UNTRUSTED_ISSUER, detail) from None
        return [x509.load_der_x509_certificate(c.dump()) for c in path.iter_certs(include_root=True)]

    async def _validate(
        self, cert: x509.Certificate, intermediates: list[x509.Certificate], moment: datetime | None
    ) -> ValidationPath:
        backend = fetchers = None
        if moment is None:
            from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

            backend = AIOHttpFetcherBackend(per_request_timeout=REVINFO_TIMEOUT_S)
            made = backend.get_fetchers()
            # OCSP responses and CRLs are fetched only for certificates whose signature already checked out;
            # issuer certificates are never fetched (no cert_fetcher): their URL is the client's to choose.
            fetchers = Fetchers(ocsp_fetcher=made.ocsp_fetcher, crl_fetcher=made.crl_fetcher, cert_fetcher=None)  # type: ignore[arg-type]
        context = ValidationContext(
            trust_roots=[a for a in map(_anchor, self.roots) if a is not None],
            other_certs=[_asn1(c) for c in intermediates],
            moment=moment,
            allow_fetching=moment is None,
            fetchers=fetchers,
            crls=[c.public_bytes(serialization.Encoding.DER) for c in self.configured_crls(moment or _utcnow())],
            revocation_mode=self.revocation_mode,
        )
        try:
            return await CertificateValidator(_asn1(cert), validation_context=context).async_validate_path()
        finally:
            if backend is not None:
                await backend.close()

    def check_crls(self, path: list[x509.Certificate], now: datetime) -> None:
        """Every certificate of ``path`` below its root against its issuer's configured CRL (fail closed)."""
        leaf = path[-1]
        for issuer, cert in zip(path, path[1:], strict=False):
            revoked = self.crl_for(issuer, now).get_revoked_certificate_by_serial_number(cert.serial_number)
            if revoked is not None:
                whose = "" if cert is leaf else f" its CA {cert.subject.rfc4514_string()[:120]}"
                detail = f"serial={leaf.serial_number:x}{whose} revoked={revoked.revocation_date_utc:%Y-%m-%d}"
                raise CertificateRefused(Refusal.REVOKED, detail)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _anchor(cert: x509.Certificate) -> CertTrustAnchor | None:
    """A configured root as a trust anchor that keeps its own limits (validity, path length); None if no CA.

    Its certificate policies and name constraints are not imposed: RFC 5280 leaves a trust anchor's
    constraints to the relying party, and a root's policy OIDs would refuse sub-CAs that map policies.
    """
    asn = _asn1(cert)
    if not asn.ca:
        return None
    depth = asn.max_path_length  # the library needs the attribute-certificate depth alongside, or it fails
    limits = TrustQualifiers(
        max_path_length=depth,
        max_aa_path_length=depth,
        valid_from=asn.not_valid_before,
        valid_until=asn.not_valid_after,
    )
    return CertTrustAnchor(asn, limits)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _run(coro):
    """Run a coroutine to its end from synchronous code (a request thread has no event loop of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # called from inside a loop: not this one
        return pool.submit(asyncio.run, coro).result()


def _paths(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def trust_store(settings: Settings) -> TrustStore:
    """From ``SHEBAO_CERT_CA_ROOTS`` / ``SHEBAO_CERT_CRL`` / ``SHEBAO_CERT_REVOCATION_MODE``; outside production,
    the demo CA under var/ when no roots are configured."""
    roots_paths = _paths(settings.cert_ca_roots)
    crl_sources = _paths(settings.cert_crl)
    mode = settings.cert_revocation_mode
    if mode not in REVOCATION_MODES:
        raise CertificateRefused(Refusal.NOT_CONFIGURED, f"SHEBAO_CERT_REVOCATION_MODE={mode!r} is not known")
    if not roots_paths:
        if settings.production:
            # Production never trusts a CA made on the machine itself.
            raise CertificateRefused(Refusal.NOT_CONFIGURED, "SHEBAO_CERT_CA_ROOTS is not set")
        from gateway.units.demo_ca import ensure_demo_pki

        pki = ensure_demo_pki(settings.var_dir)
        roots_paths = [str(pki.ca_pem)]
        crl_sources = crl_sources or [str(pki.crl_pem)]
    roots: list[x509.Certificate] = []
    for path in roots_paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
        except (OSError, ValueError) as exc:
            raise CertificateRefused(Refusal.NOT_CONFIGURED, f"CA roots {path}: {type(exc).__name__}") from exc
    if not crl_sources:
        raise CertificateRefused(Refusal.NOT_CONFIGURED, "SHEBAO_CERT_CRL is not set")
    return TrustStore(tuple(roots), tuple(crl_sources), mode)


# ---------------------------------------------------------------- verification


def parse_chain(text: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """A certificate sent by the page, and the intermediate CAs sent after it (see the module docstring)."""
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_CERT_BYTES:
        raise CertificateRefused(Refusal.MALFORMED, "empty or oversized certificate")
    try:
        if raw.startswith("-----BEGIN"):
            certs = x509.load_pem_x509_certificates(raw.encode())
        else:
            certs = [x509.load_der_x509_certificate(base64.b64decode(p.strip(), validate=True)) for p in raw.split(",")]
    except (ValueError, binascii.Error) as exc:
        raise CertificateRefused(Refusal.MALFORMED, "certificate does not parse") from exc
    if len(certs) > 1 + MAX_INTERMEDIATES:
        raise CertificateRefused(Refusal.MALFORMED, f"{len(certs) - 1} intermediate certificates")
    return certs[0], certs[1:]


def parse_certificate(text: str) -> x509.Certificate:
    """The unit's own certificate among what the page sent: PEM, or base64 of DER (USB-key middleware)."""
    return parse_chain(text)[0]


def _signature_bytes(text: str) -> bytes:
    try:
        sig = base64.b64decode((text or "").strip(), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise CertificateRefused(Refusal.MALFORMED, "signature is not base64") from exc
    if not sig or len(sig) > 1024:
        raise CertificateRefused(Refusal.MALFORMED, "signature length")
    return sig


def _check_key_usage(cert: x509.Certificate) -> None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise CertificateRefused(Refusal.KEY_USAGE, "no keyUsage extension") from None
    if not usage.digital_signature:
        raise CertificateRefused(Refusal.KEY_USAGE, "digitalSignature not allowed")
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise CertificateRefused(Refusal.KEY_USAGE, "a CA certificate cannot log in")
    except x509.ExtensionNotFound:
        pass


def _check_signature(cert: x509.Certificate, signature: bytes, nonce: str) -> None:
    key = cert.public_key()
    data = nonce.encode("ascii", errors="strict")
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise CertificateRefused(Refusal.UNSUPPORTED_KEY, type(key).__name__)
    except InvalidSignature:
        raise CertificateRefused(Refusal.BAD_SIGNATURE, "signature does not verify over the nonce") from None


def _holder(cert: x509.Certificate, credit_code: str) -> CertHolder:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    issuer = cert.issuer.rfc4514_string()
    return CertHolder(
        credit_code=credit_code,
        subject_name=str(names[0].value) if names else "",
        serial=format(cert.serial_number, "x"),
        issuer=issuer[:255],
        issuer_digest=hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        not_after=cert.not_valid_after_utc,
    )


def credit_code_of(cert: x509.Certificate) -> str:
    """The unified social credit code in the subject's serialNumber attribute (see the module docstring)."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if len(values) != 1:
        raise CertificateRefused(Refusal.NO_CREDIT_CODE, f"{len(values)} serialNumber attributes")
    try:
        return normalize_credit_code(str(values[0].value))
    except ValidationError as exc:
        raise CertificateRefused(Refusal.NO_CREDIT_CODE, exc.code) from None


def verify_login(
    certificate: str, signature: str, nonce: str, trust: TrustStore, now: datetime | None = None
) -> CertHolder:
    """Check a signed nonce and its certificate (steps 1–6 of the module docstring); the holder if all pass.

    The nonce must already have been consumed by the caller (:func:`consume_challenge`). ``now`` fixes the
    moment of validation (then no revocation information is fetched; see :meth:`TrustStore.validate_path`).
    """
    at_now = now is not None
    now = now or datetime.now(UTC)
    cert, intermediates = parse_chain(certificate)
    sig = _signature_bytes(signature)
    try:
        key = cert.public_key()
    except Exception as exc:  # noqa: BLE001 - e.g. SM2, which cryptography cannot load: refused, never a 500
        raise CertificateRefused(Refusal.UNSUPPORTED_KEY, type(exc).__name__) from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CertificateRefused(Refusal.UNSUPPORTED_KEY, type(key).__name__)
    path = trust.validate_path(cert, intermediates, now, at_now=at_now)
    _check_key_usage(cert)
    trust.check_crls(path, now)
    _check_signature(cert, sig, nonce)
    return _holder(cert, credit_code_of(cert))


def clear_crl_cache() -> None:
    """Forget cached CRLs (an operator replaced the CRL source; tests)."""
    with _crl_lock:
        _crl_cache.clear()
