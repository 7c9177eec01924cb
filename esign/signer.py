"""The seal: a PAdES signature (B-T: with an RFC 3161 timestamp) made with pyHanko, with a visible seal stamp.

:class:`Sealer` is the interface the rest of the package uses, so a national-algorithm (SM2) signing server
can replace :class:`PyHankoSealer` later (README "Certificates"). Everything that does not change between
documents — the parsed key and chain, the seal image and its stamp style — is made once per sealer.
"""

from __future__ import annotations

import abc
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from PIL import Image
from pyhanko.pdf_utils import images, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.timestamps import TimestampRequestError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import set_tsp_headers
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from esign._loop import outside_event_loop
from esign.pki import SealMaterial
from gateway import clock

log = logging.getLogger("shebao.esign")

FIELD = "AgencySeal"
# Room left over the measured signature size: RSA signatures and TSA tokens vary by a few bytes only.
RESERVE_MARGIN = 2048


class SealingError(RuntimeError):
    """The document could not be sealed (TSA unreachable, key unusable)."""


class _ReserveTooSmall(Exception):
    """The signature container outgrew the space kept for it."""


@dataclass(frozen=True)
class SealPlacement:
    page: int
    box: tuple[int, int, int, int]


class Sealer(abc.ABC):
    """Seals a finished PDF; implementations differ in where the private key lives and which algorithm."""

    @abc.abstractmethod
    def seal(self, pdf: bytes, placement: SealPlacement) -> bytes:
        """Return ``pdf`` with the agency's seal signature added at ``placement``."""

    @property
    @abc.abstractmethod
    def certificate(self) -> x509.Certificate:
        """The seal certificate in use (for expiry checks and the verify page)."""


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, with the private key parsed once. SimpleSigner.sign_raw parses the key's DER
    for every signature, and cryptography checks an RSA key's consistency at each parse: about half of a
    seal's own CPU time. The key checked once at start signs every document."""

    def __init__(self, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, **kwargs) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # anything else: pyHanko's own path


class KeepAliveTimeStamper(TimeStamper):
    """An RFC 3161 client over one kept-alive HTTP connection per thread. pyHanko's default HTTP client opens
    an aiohttp session per request, and building its TLS context (loading the CA bundle) cost more than the
    timestamp itself; the request and the checks of the answer are pyHanko's (TimeStamper)."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout
        self._local = threading.local()

    def _http(self):  # noqa: ANN202 - a requests.Session
        import requests

        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = requests.Session()
        return http

    async def async_request_tsa_response(self, req):  # noqa: ANN001, ANN201 - pyHanko's signature
        import asyncio

        from asn1crypto import tsp

        def call():
            import requests

            try:
                answer = self._http().post(self.url, req.dump(), headers=set_tsp_headers({}), timeout=self.timeout)
            except (OSError, requests.RequestException) as exc:
                raise TimestampRequestError("Error in communication with timestamp server") from exc
            if answer.headers.get("Content-Type") != "application/timestamp-reply":
                raise TimestampRequestError("Timestamp server response is malformed.", answer)
            return tsp.TimeStampResp.load(answer.content)

        return await asyncio.to_thread(call)


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class PyHankoSealer(Sealer):
    """RSA/ECDSA seal key held in this process, signed with pyHanko: PAdES baseline B-T (with a TSA), or B-LT
    when ``ltv_context`` is given — the certificates and revocation data (CRLs) that validate the seal and
    the timestamp are then embedded in the document security store (DSS), so the seal can still be checked
    after the CA's CRL is gone."""

    def __init__(
        self,
        material: SealMaterial,
        seal_png: bytes,
        timestamper: TimeStamper | None,
        agency: str,
        reserve: int | None = None,
        fixed_reserve: bool = True,
        ltv_context: Callable[[], ValidationContext] | None = None,
    ) -> None:
        self._material = material
        self._ltv_context = ltv_context
        key = serialization.load_pem_private_key(material.key_pem, password=None)
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._signer = _KeptKeySigner(
            key,
            signing_cert=_asn1_cert(material.cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs(
                [_asn1_cert(c) for c in (*material.chain, *material.roots)]
            ),
        )
        self._timestamper = timestamper
        self._agency = agency
        self._style = TextStampStyle(
            # The signing time in Beijing time (the document says so beside the seal): never pyHanko's UTC %(ts)s.
            stamp_text="%(beijing)s",
            background=images.PdfImage(Image.open(io.BytesIO(seal_png))),
            background_opacity=1,
            border_width=0,
            # The round seal fills the top of the box; the signing time sits under it, as on paper.
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins(0, 0, 14, 0),
            ),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(0, 0, 0, 0),
                inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
            ),
            text_box_style=TextBoxStyle(font_size=7, text_color=(0.8, 0, 0)),
        )
        self._reserve = reserve
        self._fixed_reserve = fixed_reserve
        self._lock = threading.Lock()

    @property
    def certificate(self) -> x509.Certificate:
        return self._material.cert

    @property
    def reserve(self) -> int | None:
        """Bytes kept for the signature container once measured (None until the first seal)."""
        return self._reserve

    @property
    def level(self) -> str:
        return "b-lt" if self._ltv_context is not None else "b-t"

    def seal(self, pdf: bytes, placement: SealPlacement) -> bytes:
        # B-LT: a fresh context per document, so a re-published CRL is the one embedded.
        ltv = {"embed_validation_info": True, "validation_context": self._ltv_context()} if self._ltv_context else {}
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="电子印章",
            location=self._agency,
            name=self._agency,
            # A certification signature that allows no change: anything added later shows as modification.
            certify=True,
            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
            **ltv,
        )
        spec = fields.SigFieldSpec(FIELD, on_page=placement.page, box=placement.box)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=self._signer,
            timestamper=self._timestamper,
            stamp_style=self._style,
            new_field_spec=spec,
        )
        reserve = self._reserve if self._fixed_reserve else None
        try:
            out = self._sign(pdf_signer, pdf, reserve)
        except _ReserveTooSmall:
            # The reservation was too small (a bigger TSA token): measure again with pyHanko's estimate.
            log.warning("seal reservation of %d bytes too small; re-estimating", reserve)
            out = self._sign(pdf_signer, pdf, None)
        measure_again = self._reserve is None or (reserve is not None and reserve != self._reserve)
        if self._fixed_reserve and measure_again:
            with self._lock:
                self._reserve = _measured_reserve(out)
        return out

    @staticmethod
    def _sign(pdf_signer: signers.PdfSigner, pdf: bytes, reserve: int | None) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        params = {"beijing": clock.format_beijing(clock.now(), "%Y-%m-%d %H:%M:%S")}
        try:
            out = outside_event_loop(
                lambda: pdf_signer.sign_pdf(writer, bytes_reserved=reserve, appearance_text_params=params)
            )
        except SigningError as exc:
            if reserve is not None and "larger than expected" in str(exc):
                raise _ReserveTooSmall from exc
            raise SealingError(f"盖章失败：{exc}") from exc
        except (OSError, ValueError, PathBuildingError, PathValidationError) as exc:
            # B-LT: the seal or the TSA certificate could not be validated (revoked, no CRL) at signing.
            raise SealingError(f"盖章失败：{exc}") from exc
        return out.getvalue()


def _measured_reserve(sealed: bytes) -> int:
    """Room for the signature container: twice its real DER size (hex digits) plus a margin."""
    sig = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[-1]
    # /Contents is zero-padded to the reservation; the DER structure itself says how long it is.
    used = len(cms.ContentInfo.load(bytes(sig.pkcs7_content), strict=False).dump())
    return 2 * used + RESERVE_MARGIN


def http_timestamper(url: str, timeout: int = 30) -> KeepAliveTimeStamper:
    """An RFC 3161 client for ``url`` (the sandbox TSA in the embedded default)."""
    return KeepAliveTimeStamper(url, timeout=timeout)


def signing_time_label(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")
