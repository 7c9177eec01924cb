"""USB-key certificate middleware sandbox (数字证书助手): the local HTTP service a unit's USB key comes with.

Real unit certificates live in a USB key; the vendor's middleware runs a small HTTP service on the
clerk's computer, and the login page's script asks it for the certificate and a signature over the
gateway's nonce. The private key never leaves the key (the real middleware asks for the key's PIN in a
dialog of its own; this sandbox approves at once). Keys here are the demo CA's (``gateway/units/demo_ca.py``):
one valid, one expired, one revoked — which one is "inserted" is switched by the test control below.

Protocol (CORS open, as a loopback service called from the gateway's pages must be):

- ``GET  /ukey/status`` → ``{"inserted": bool, "vendor", "version"}``
- ``GET  /ukey/certs`` → ``{"certs": [{"id", "subject", "issuer", "notBefore", "notAfter", "certificate",
  "chain"}]}`` (``certificate``: base64 of DER; ``chain``: the intermediate CAs the key holds with it, issuer
  after subject, each base64 of DER — empty for the demo keys, whose CA issues directly)
- ``POST /ukey/sign`` JSON ``{"certId", "data"}`` (``data``: base64 of the bytes to sign) →
  ``{"certId", "algorithm": "SHA256withRSA"|"SHA256withECDSA", "signature", "certificate", "chain"}``
  (base64; RSA PKCS#1 v1.5, ECDSA DER); 409 ``no_key`` when no key is inserted, 404 ``unknown_cert``.
  The gateway takes the certificate and its chain as one comma-separated list
  (:mod:`gateway.units.certificates`).

Test controls (stand-ins for hands at the USB port):

- ``POST /ukey/test/insert`` ``{"slot": "valid"|"expired"|"revoked"}`` — insert one of the demo keys; with
  ``"keystore": "<dir>"`` the demo keys are read from that directory (a test's own var/unit-ca/ukey); with
  ``"certificate"`` + ``"private_key"`` (PEM) a key of the caller's making, with ``"chain"`` (PEM, one or more
  certificates) its intermediate CAs.
- ``POST /ukey/test/remove`` — pull the key out.

The demo keys are found in ``SHEBAO_UKEY_DIR``, else ``$SHEBAO_VAR_DIR/unit-ca/ukey`` (made on first use).
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from flask import Blueprint, jsonify, request

PREFIX = "/ukey"
bp = Blueprint("sandbox_ukey", __name__)
SLOTS = ("valid", "expired", "revoked")

_lock = threading.Lock()
# What is in the USB port: a certificate, its key and its chain, or nothing. Starts with the valid demo key.
_state: dict = {"keystore": None, "slot": "valid", "custom": None}


@bp.after_request
def _cors(response):
    # Called by the gateway's login page from another origin; Chrome also asks before a page reaches loopback.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Allow-Private-Network"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response


def _default_keystore() -> Path:
    explicit = os.environ.get("SHEBAO_UKEY_DIR")
    if explicit:
        return Path(explicit)
    from gateway.units.demo_ca import ensure_demo_pki

    return ensure_demo_pki(Path(os.environ.get("SHEBAO_VAR_DIR", "var")).resolve()).ukey_dir


def _inserted() -> tuple[x509.Certificate, object, tuple[x509.Certificate, ...]] | None:
    """The certificate, private key and intermediate CAs in the port, or None."""
    with _lock:
        if _state["custom"] is not None:
            return _state["custom"]
        slot, keystore = _state["slot"], _state["keystore"]
    if slot is None:
        return None
    keystore = keystore or _default_keystore()
    cert = x509.load_pem_x509_certificate((keystore / f"{slot}.pem").read_bytes())
    key = serialization.load_pem_private_key((keystore / f"{slot}.key.pem").read_bytes(), password=None)
    return cert, key, ()


def _cert_id(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def _der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _body() -> dict:
    return request.get_json(silent=True, force=True) or {}


@bp.get("/status")
def status():
    return jsonify({"inserted": _inserted() is not None, "vendor": "示例数字证书助手（沙箱）", "version": "1.0"})


@bp.get("/certs")
def certs():
    held = _inserted()
    if held is None:
        return jsonify({"certs": []})
    cert, _key, chain = held
    return jsonify(
        {
            "certs": [
                {
                    "id": _cert_id(cert),
                    "subject": _cn(cert.subject),
                    "issuer": _cn(cert.issuer),
                    "notBefore": cert.not_valid_before_utc.isoformat(),
                    "notAfter": cert.not_valid_after_utc.isoformat(),
                    "certificate": _der_b64(cert),
                    "chain": [_der_b64(c) for c in chain],
                }
            ]
        }
    )


@bp.post("/sign")
def sign():
    body = _body()
    held = _inserted()
    if held is None:
        return jsonify({"error": "no_key", "message": "未检测到证书介质（USB Key）。"}), 409
    cert, key, chain = held
    if str(body.get("certId", "")) != _cert_id(cert):
        return jsonify({"error": "unknown_cert", "message": "证书介质中没有该证书。"}), 404
    try:
        data = base64.b64decode(str(body.get("data", "")), validate=True)
    except (ValueError, binascii.Error):
        return jsonify({"error": "bad_data", "message": "待签名数据不是 Base64。"}), 400
    if not data or len(data) > 4096:
        return jsonify({"error": "bad_data", "message": "待签名数据长度不正确。"}), 400
    if isinstance(key, rsa.RSAPrivateKey):
        signature, algorithm = key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "SHA256withRSA"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature, algorithm = key.sign(data, ec.ECDSA(hashes.SHA256())), "SHA256withECDSA"
    else:  # pragma: no cover - the demo keys are RSA or EC
        return jsonify({"error": "unsupported_key"}), 500
    return jsonify(
        {
            "certId": _cert_id(cert),
            "algorithm": algorithm,
            "signature": base64.b64encode(signature).decode(),
            "certificate": _der_b64(cert),
            "chain": [_der_b64(c) for c in chain],
        }
    )


@bp.post("/test/insert")
def test_insert():
    body = _body()
    if body.get("certificate") and body.get("private_key"):
        try:
            cert = x509.load_pem_x509_certificate(str(body["certificate"]).encode())
            key = serialization.load_pem_private_key(str(body["private_key"]).encode(), password=None)
            chain = tuple(x509.load_pem_x509_certificates(str(body["chain"]).encode())) if body.get("chain") else ()
        except ValueError:
            return jsonify({"error": "bad_pem"}), 400
        with _lock:
            _state["custom"] = (cert, key, chain)
        return jsonify({"inserted": _cert_id(cert)})
    slot = body.get("slot", "valid")
    if slot not in SLOTS:
        return jsonify({"error": "unknown_slot", "slots": list(SLOTS)}), 400
    with _lock:
        _state["custom"] = None
        _state["slot"] = slot
        if body.get("keystore"):
            _state["keystore"] = Path(str(body["keystore"]))
    return jsonify({"inserted": slot})


@bp.post("/test/remove")
def test_remove():
    with _lock:
        _state["custom"] = None
        _state["slot"] = None
    return jsonify({"inserted": None})
