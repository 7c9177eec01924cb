"""Issue and verify sealed certificates (LD/T 01 5.4.2.4): the one entry point channels use. No Flask here."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from esign import codes, pki
from esign.codes import CodeFormatError, DocumentKind
from esign.documents import Document
from esign.fonts import FontFile, find_cjk_font
from esign.models import CodeStatus, IssuedDocument
from esign.render import Issue, render
from esign.signer import PyHankoSealer, Sealer, SealPlacement, http_timestamper
from esign.stamp import seal_png
from gateway import clock
from gateway.config import ConfigError, Settings
from gateway.security.pii import PiiError, PiiVault, Purpose

log = logging.getLogger("shebao.esign")

TSA_PIN = "tsa-roots.pem"
SEAL_LEVELS = ("b-t", "b-lt")  # PAdES baseline levels this gateway makes


class Outcome(StrEnum):
    """What /verify/ answers for a code."""

    GENUINE = "genuine"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class EsignConfig:
    """Everything esign reads from :class:`gateway.config.Settings`."""

    agency: str
    secret_key: str
    seal: pki.SealConfig
    tsa_url: str
    tsa_roots: tuple[Path, ...]
    pin_tsa: bool  # embedded mode: trust the TSA root seen first (production must configure it)
    font: str
    valid_days: int
    production: bool = False
    seal_level: str = "b-t"  # or "b-lt": revocation data embedded (SHEBAO_SEAL_LEVEL)
    #: Secrets ``secret_key`` replaced (SHEBAO_SECRET_KEY_FALLBACKS): codes and holders hashed under them are found.
    secret_key_fallbacks: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> EsignConfig:
        def paths(raw: str) -> tuple[Path, ...]:
            return tuple(Path(p.strip()) for p in raw.split(",") if p.strip())

        level = (settings.seal_level or "b-t").strip().lower()
        if level not in SEAL_LEVELS:
            raise ConfigError(f"SHEBAO_SEAL_LEVEL must be one of {', '.join(SEAL_LEVELS)}, got {level!r}")
        return cls(
            agency=settings.agency_name,
            secret_key=settings.secret_key,
            secret_key_fallbacks=tuple(settings.secret_key_fallbacks),
            seal=pki.SealConfig(
                directory=Path(settings.var_dir) / "seal",
                pkcs12=Path(settings.seal_pkcs12) if settings.seal_pkcs12 else None,
                pkcs12_password=settings.seal_password,
                key_file=Path(settings.seal_key) if settings.seal_key else None,
                cert_file=Path(settings.seal_cert) if settings.seal_cert else None,
                extra_roots=paths(settings.seal_trust_roots),
            ),
            tsa_url=settings.tsa_url or f"{settings.sandbox_url.rstrip('/')}/tsa/",
            tsa_roots=paths(settings.tsa_roots),
            pin_tsa=not settings.production and not settings.tsa_roots,
            font=settings.cjk_font,
            valid_days=settings.certificate_valid_days,
            production=settings.production,
            seal_level=level,
        )


@dataclass(frozen=True)
class IssuedPdf:
    pdf: bytes
    code: str  # normalised; :func:`esign.codes.display` groups it
    record: IssuedDocument

    @property
    def filename(self) -> str:
        return f"{self.record.kind.value}-{self.record.issued_on:%Y%m%d}-{self.code[:6]}.pdf"


@dataclass(frozen=True)
class Lookup:
    outcome: Outcome
    record: IssuedDocument | None = None

    @property
    def facts(self) -> list[tuple[str, str]]:
        return [tuple(f) for f in json.loads(self.record.facts)] if self.record else []


def _asn1(cert: x509.Certificate):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _names_crl(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return False
    return True


def _key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-esign", info=purpose).derive(secret.encode())


class CertificateService:
    """Renders, seals, records and verifies certificates; one per configuration, shared by threads."""

    def __init__(self, config: EsignConfig, sealer: Sealer | None = None) -> None:
        self.config = config
        self._code_key = _key(config.secret_key, b"anti-forgery code")
        self._holder_key = _key(config.secret_key, b"holder")
        # Under a rotated secret, codes printed before stay verifiable: look up under the current key, then each
        # replaced one (the code itself is never stored, so its hash cannot be re-derived; the old secret must stay
        # in SHEBAO_SECRET_KEY_FALLBACKS while certificates made under it are valid).
        older = [k for k in config.secret_key_fallbacks if k and k != config.secret_key]
        self._code_keys = (self._code_key, *(_key(k, b"anti-forgery code") for k in older))
        self._holder_keys = (self._holder_key, *(_key(k, b"holder") for k in older))

        self._vault = PiiVault(config.secret_key, older)
        self._font: FontFile | None = None
        self._sealer = sealer
        self._sealer_version = self._seal_version() if sealer is not None else None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ cached heavy parts

    @property
    def font(self) -> FontFile:
        if self._font is None:
            self._font = find_cjk_font(self.config.font)
        return self._font

    @property
    def sealer(self) -> Sealer:
        """The sealer, built once: the key parsed, the seal image drawn, the stamp style made."""
        stamp = self._seal_version()
        with self._lock:
            # A rotated seal (new file) is picked up at the next document, without a restart.
            if self._sealer is None or (stamp is not None and stamp != self._sealer_version):
                self._sealer_version = stamp
                material = pki.load_seal(self.config.seal)
                timestamper = http_timestamper(self.config.tsa_url)
                ltv = None
                if self.config.seal_level == "b-lt":
                    self._learn_tsa_root(timestamper)
                    ltv = self.ltv_context
                    if self.local_ca and not _names_crl(material.cert):
                        # A validator only looks for revocation data a certificate points to.
                        log.warning("seal certificate names no CRL: B-LT embeds no CRL; run `shebao seal rotate`")
                self._sealer = PyHankoSealer(
                    material,
                    seal_png(self.config.agency, self.font),
                    timestamper,
                    self.config.agency,
                    ltv_context=ltv,
                )
            return self._sealer

    @property
    def local_ca(self) -> bool:
        """The embedded default: the seal comes from the local agency CA under var/seal."""
        seal = self.config.seal
        return not (seal.pkcs12 or seal.key_file)

    def crl(self) -> bytes | None:
        """The local agency CA's current CRL (DER), or None when the seal comes from an outside CA."""
        return pki.current_crl(self.config.seal.directory) if self.local_ca else None

    def ltv_context(self) -> ValidationContext:
        """What B-LT sealing validates against (and embeds): the agency and TSA roots and the local CA's CRL;
        an outside CA's CRL/OCSP is fetched from the addresses in its certificates."""
        crl = self.crl()
        return ValidationContext(
            trust_roots=[_asn1(c) for c in (*self.trust_roots(), *self.tsa_roots())],
            crls=[crl] if crl else [],
            allow_fetching=not self.local_ca,
            revocation_mode="hard-fail",
        )

    def _learn_tsa_root(self, timestamper) -> None:
        """Embedded mode, B-LT: the TSA's root must be trusted before the first seal validates its token."""
        if not self.config.pin_tsa or (self.config.seal.directory / TSA_PIN).exists():
            return
        import asyncio

        from esign._loop import outside_event_loop

        token = outside_event_loop(lambda: asyncio.run(timestamper.async_dummy_response("sha256")))
        self._pin_from_token(token["content"])

    def _seal_version(self) -> int | None:
        seal = self.config.seal
        path = seal.pkcs12 or seal.cert_file or seal.directory / pki.SEAL_CERT
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    def trust_roots(self) -> tuple[x509.Certificate, ...]:
        """The agency roots sealed documents must chain to."""
        return pki.load_seal(self.config.seal).roots

    def tsa_roots(self) -> tuple[x509.Certificate, ...]:
        roots: list[x509.Certificate] = []
        for path in self.config.tsa_roots:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        pinned = self.config.seal.directory / TSA_PIN
        if self.config.pin_tsa and pinned.exists():
            roots.extend(x509.load_pem_x509_certificates(pinned.read_bytes()))
        return tuple(roots)

    # ------------------------------------------------------------------ issue

    def holder_digest(self, holder_id: str) -> str:
        return codes.code_hash(self._holder_key, holder_id)

    def holder_digests(self, holder_id: str) -> list[str]:
        """The holder's digest under the current secret, then under each replaced one."""
        return [codes.code_hash(key, holder_id) for key in self._holder_keys]

    def code_hashes(self, code: str) -> list[str]:
        """A code's stored hash under the current secret, then under each replaced one."""
        return [codes.code_hash(key, code) for key in self._code_keys]

    def remember_record(self, record: IssuedDocument, holder_id: str, version: str | None, as_of: date) -> None:
        """Keep with ``record`` the date it speaks for and the holder's record version then (the core system's),
        with the holder's number encrypted, so verification can ask whether the record has changed since."""
        record.record_as_of = as_of
        record.record_version = version
        record.holder_id_enc = self._vault.encrypt(holder_id, Purpose.CERTIFICATE_HOLDER, str(record.id))

    def holder_of(self, record: IssuedDocument) -> str | None:
        """The holder's number kept with ``record``, or None (not kept, or no longer readable with this key)."""
        if not record.holder_id_enc:
            return None
        try:
            return self._vault.decrypt(record.holder_id_enc, Purpose.CERTIFICATE_HOLDER, str(record.id))
        except PiiError:
            log.warning("certificate holder unreadable id=%s", record.id)
            return None

    def issue(
        self,
        session: Session,
        doc: Document,
        verify_url: str,
        today: date | None = None,
        *,
        record_as_of: date | None = None,
    ) -> IssuedPdf:
        """Render, seal and record ``doc``; copies issued earlier stay valid (a bank may hold one) until they
        expire or are withdrawn. Nothing is written unless the sealed PDF exists; the record is flushed, and the caller
        commits it with whatever else it writes (a receipt, a trace)."""
        today = today or clock.today()  # the issue date printed on the document: Beijing's
        code = codes.new_code(doc.kind)
        issue = Issue(
            agency=self.config.agency,
            code=code,
            issued_on=today,
            valid_until=today + timedelta(days=self.config.valid_days),
            verify_url=verify_url,
            record_as_of=record_as_of,
        )
        rendered = render(doc, issue, self.font)
        sealer = self.sealer
        sealed = sealer.seal(rendered.pdf, SealPlacement(rendered.seal_page, rendered.seal_box))
        self._pin_tsa_root(sealed)
        digest = self.holder_digest(doc.holder_id)
        record = IssuedDocument(
            code_hash=codes.code_hash(self._code_key, code),
            kind=doc.kind,
            fingerprint=hashlib.sha256(sealed).hexdigest(),
            holder_masked=doc.masked_holder,
            holder_digest=digest,
            scope=doc.scope,
            issuer=self.config.agency,
            issued_on=issue.issued_on,
            expires_on=issue.valid_until,
            status=CodeStatus.VALID,
            facts=json.dumps(list(doc.facts), ensure_ascii=False),
            seal_serial=f"{sealer.certificate.serial_number:x}",
        )
        session.add(record)
        session.flush()
        log.info("certificate issued kind=%s holder=%s", doc.kind.value, doc.masked_holder)
        return IssuedPdf(pdf=sealed, code=code, record=record)

    def _pin_tsa_root(self, sealed: bytes) -> None:
        """Embedded mode: keep the TSA root of the first timestamp so later verifications trust it."""
        pinned = self.config.seal.directory / TSA_PIN
        if not self.config.pin_tsa or pinned.exists():
            return
        from pyhanko.pdf_utils.reader import PdfFileReader

        sig = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[-1]
        tokens = [
            attr["values"][0]["content"]
            for attr in sig.signer_info["unsigned_attrs"]
            if attr["type"].native == "signature_time_stamp_token"
        ]
        if tokens:
            self._pin_from_token(tokens[0])

    def _pin_from_token(self, signed_data) -> None:
        """Pin the self-signed root among a timestamp token's certificates (its CMS SignedData)."""
        pinned = self.config.seal.directory / TSA_PIN
        for cert in signed_data["certificates"]:
            c = x509.load_der_x509_certificate(cert.chosen.dump())
            if c.issuer == c.subject:
                pinned.parent.mkdir(parents=True, exist_ok=True)
                pinned.write_bytes(c.public_bytes(serialization.Encoding.PEM))
                log.warning("pinned the TSA root %s (embedded mode)", c.subject.rfc4514_string())
                return

    # ------------------------------------------------------------------ look up and revoke

    def lookup(self, session: Session, raw_code: str, today: date | None = None) -> Lookup:
        """genuine / expired / revoked / not found. A wrong check character answers exactly like an unknown
        code (no look-up is even made), so probing learns nothing. Raises CodeFormatError if malformed."""
        today = today or clock.today()
        code = codes.normalize(raw_code)
        if not codes.is_consistent(code) or codes.kind_of(code) is None:
            return Lookup(Outcome.NOT_FOUND)
        record = session.scalar(
            select(IssuedDocument).where(IssuedDocument.code_hash.in_(self.code_hashes(code))).limit(1)
        )
        return self._outcome(session, record, today)

    def _outcome(self, session: Session, record: IssuedDocument | None, today: date) -> Lookup:
        if record is None:
            return Lookup(Outcome.NOT_FOUND)
        if record.status is CodeStatus.VALID and record.expires_on < today:
            record.status = CodeStatus.EXPIRED
            session.flush()
        return Lookup(
            {
                CodeStatus.VALID: Outcome.GENUINE,
                CodeStatus.EXPIRED: Outcome.EXPIRED,
                CodeStatus.REVOKED_SUPERSEDED: Outcome.REVOKED,
                CodeStatus.WITHDRAWN: Outcome.WITHDRAWN,
            }[record.status],
            record,
        )

    def by_fingerprint(self, session: Session, fingerprint: str, today: date | None = None) -> Lookup:
        record = session.scalar(select(IssuedDocument).where(IssuedDocument.fingerprint == fingerprint))
        return self._outcome(session, record, today or clock.today())

    def revoke(self, session: Session, raw_code: str) -> bool:
        """Mark a code revoked (superseded by a corrected document); False if unknown."""
        code = codes.normalize(raw_code)
        result = session.execute(
            update(IssuedDocument)
            .where(IssuedDocument.code_hash.in_(self.code_hashes(code)))
            .values(status=CodeStatus.REVOKED_SUPERSEDED)
        )
        session.flush()
        return bool(result.rowcount)

    def issued_to(self, session: Session, holder_id: str, kinds: tuple[DocumentKind, ...]) -> list[IssuedDocument]:
        """The documents of ``kinds`` issued to ``holder_id``, newest first (expired ones marked so)."""
        rows = list(
            session.scalars(
                select(IssuedDocument)
                .where(IssuedDocument.holder_digest.in_(self.holder_digests(holder_id)), IssuedDocument.kind.in_(kinds))
                .order_by(IssuedDocument.id.desc())
            )
        )
        today = clock.today()
        for row in rows:
            if row.status is CodeStatus.VALID and row.expires_on < today:
                row.status = CodeStatus.EXPIRED
        session.flush()
        return rows

    def withdraw(
        self, session: Session, holder_id: str, document_id: int, reason: str, *, by: str = "holder"
    ) -> IssuedDocument | None:
        """Withdraw the holder's still-valid document ``document_id`` for ``reason``; None if it is not theirs or
        no longer valid. Only that document changes: other copies stay genuine. ``by``: "holder" (the person) or
        "agency" (a supervisor, for them)."""
        record = session.get(IssuedDocument, document_id)
        if record is None or record.holder_digest not in self.holder_digests(holder_id):
            return None
        if record.status is not CodeStatus.VALID or record.expires_on < clock.today():
            return None
        record.status = CodeStatus.WITHDRAWN
        record.withdrawn_at = clock.now()
        record.withdrawal_reason = reason
        record.withdrawn_by = by
        session.flush()
        log.info("certificate withdrawn id=%s holder=%s", record.id, record.holder_masked)
        return record

    def seal_configured(self) -> bool:
        """True when a seal should exist: files configured, or production (which has no local CA)."""
        seal = self.config.seal
        return bool(seal.pkcs12 or seal.key_file) or self.config.production

    def seal_status(self, now: datetime | None = None) -> pki.SealStatus:
        return pki.seal_status(pki.load_seal(self.config.seal).cert, now or datetime.now(UTC))


_services: dict[EsignConfig, CertificateService] = {}
_services_lock = threading.Lock()


def service_for(settings: Settings) -> CertificateService:
    """The process-wide service for these settings (its key, fonts and seal appearance are cached)."""
    config = EsignConfig.from_settings(settings)
    with _services_lock:
        if config not in _services:
            _services[config] = CertificateService(config)
        return _services[config]


__all__ = [
    "CertificateService",
    "CodeFormatError",
    "DocumentKind",
    "EsignConfig",
    "IssuedPdf",
    "Lookup",
    "Outcome",
    "service_for",
]
