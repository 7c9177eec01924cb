"""Alipay login (DESIGN "Identity"): the web authorization-code flow of Alipay's open platform, the
``gateway.do`` methods ``alipay.system.oauth.token`` and ``alipay.user.info.share``, with requests signed
and answers verified by RSA2 (SHA256withRSA) exactly as Alipay's open API does it:

- request: every non-empty parameter except ``sign`` (``sign_type`` included), sorted by name, joined as
  ``k=v&k=v`` with raw (not URL-encoded) values, UTF-8, signed with the app's private key;
- answer: ``{"<method, dots as underscores>_response": {...}, "sign": "..."}`` (or ``error_response``), where
  ``sign`` is Alipay's signature over the exact JSON text of the response node, checked with Alipay's public key.

Knows nothing of Flask; uses ``cryptography`` for RSA and ``requests`` for HTTP.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gateway.identity.service import IdentityError

REFUSED = "支付宝授权未通过，请重新登录。"
UNAVAILABLE = "暂时无法连接支付宝，请稍后再试或使用其他方式登录。"
BEIJING = timedelta(hours=8)  # Alipay's ``timestamp`` is Beijing time, "yyyy-MM-dd HH:mm:ss"

# The sandbox app's private key and the sandbox platform's public key (their other halves live in
# sandboxes/alipay.py). Used only while SHEBAO_ALIPAY_APP_PRIVATE_KEY / SHEBAO_ALIPAY_PUBLIC_KEY are unset,
# which production refuses (gateway/config.py).
SANDBOX_APP_PRIVATE_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCi2xZRt4ID6MMk
kcNOoUnNRrvzDhsYuHmxnHaaVLzcE/i4D8ZO3o5Aay6apsjKysYq+BDKlV7CJjAQ
J8iROPrTmN99FFKLarjumyIe69cf3cKx0RaMq8v4LZ9lKA5NooVuyxrgcTApOhjX
H3u0QUP4wwExgKDb7cOhuLRb4pwDbszSwEznc0FzcF/lTKCQdj2/eGBPtsq+Ojpq
K+t8CNNejdJnnaqQ21XaI3nvpNQrM2qKl9w1fBouCj+63u/CXB6954QnkQjob8PR
HkZs1CXUald3DefUbNsefrg0feGbZJqGO6LSxjCr+s2NwdQ6F+WXEKJQcWS0R3pl
5yO2Eaf9AgMBAAECggEAF33N5uS3IvQ47fX+u8FlQXCiHOnce8DkgPvGWfW+NmrF
FlvkKa1NzLoJQ3KqhSIh2sHkviw0uoHCrhnnAxe6irpDBqpfS9ANtBF5pwczBVw6
QOcdvxXq+rYuB2vzQDygzb4LdvOs1E2WlrVqZTKC6QfMDMV2rrLJ5PKdRaHXCmF+
zwVxkhC+NGxxuOZVSz7QFCv5Ub9H8TUlbWgzmlA9SHECkvHV9IjsNO1953OetSr3
DgnNi1mASt9PLwnPS1gF3BrnsCIFWFxll/o8uR2BULpiYuHH6nCPSfMTyhbA6otS
blpRCNXJVJDrgH2+Ivkw1Q+tnmBpAkmUgO5dBoMNYQKBgQDMp+eRQUczGp2qVX2Y
a/PQ5Lw70nrprHmwBYqcExLzY7s2y/cVH4dNpAYc1ZMGitlxbhvwtGJOuoBfxnKX
ysA9uHAHdROa5E81MBbyw2CDUIKQQrF+AuW1O9rAuXd0BxbRli0aKmDgzcJ/D+aj
ilek5hAP8oU8bOHWnlHA9A7YDQKBgQDLto8BZKhDqa3/mjuk5IDRl5a+00AjnllB
DymTeZd/sTYnOEGedrvncuBsxOOWR+BusTKBCRTSXDFjwcHCGlEXn+H/fgDgUtsA
7Feq4HVXvcUO/+4Dlfdf4G/mLAglwVu+yqOgF2M8Y1aKHEfYSrT6q2IDkq/afIn5
HyZp17ajsQKBgQCmD9As4yUc6InqvvfsiBwM8q1ydTXbCmKrW7O/NRL5f4FX02Uo
NK8bZu620u48LsqF6eyuAhCLBXZJQMOXO6OF8XSl+G/yDTPgWqckUTitFNT8rcFM
GJm/11OHcnblJSN06UCrrJtzjkI1y/c/2G+JlEyQRB+sikUuWsTHpsGsuQKBgQDJ
QFStMq0NE4+jadKsx1YAOfsiEH9X8PMKVBll6YTjEMaIHoqtK23dbN8MdcLFT8MI
eCSF19vrKktc2yk5QliEt15E0024UAKuOc8uMEuc4AzTEcIpZrmZzZee1DdEXW7u
4TCfUxulqBnxnZjYtI1w62mMUBlNByYjqEOB4ys7MQKBgAPgjvpSA1EmUH99HtXI
+nbSHK0bT50eS456XJnRGPWzcx1WRv/OdlCfmEm1X0ctDIAi5zQW898oKTl5fXO+
ujNveSELtJOsWk5FzEIgQjJdm0b8aN0E7bp0zGAPTaThbaM8BTlPbqmY9QgEMfFs
X81zbH7q83oaKLYtEQPKRF4j
-----END PRIVATE KEY-----
"""
SANDBOX_ALIPAY_PUBLIC_KEY = """\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwefIGq3Y8Uvhnz3RdJYp
snkW21oM1/xaJ4Miul5Lmu4MysnlcOLWxFdjPlNcxHA7xwWA2P84GDAqeLArSUvJ
ZsvbAF/tB13LAvocbwdKxe8oF5qQbtb3XXpMW7QCsNOe8SWA75dk0AIv9U78MEId
taEyqhdnMJq//Dfrac7R8zjlhJvSUJvRdjZPCcz51SnL6+i4YtC8oWXAp59iKYxw
J4qVdoLNirtoQlOW14+COz0enrf+DHBWj7O1cTOD8c0KD2YsMACnX7zv+dIAAbtH
KQKhxuxs0s7NnM6QSkA0UrfMV65pv32P8U3AbS0f9McVGFh0uoCVUVNA9myIxelJ
fwIDAQAB
-----END PUBLIC KEY-----
"""


@dataclass(frozen=True)
class AlipayConfig:
    gateway_url: str
    auth_url: str
    app_id: str
    app_private_key: bytes
    alipay_public_key: bytes
    redirect_uri: str


@dataclass(frozen=True)
class AlipayUser:
    """Who Alipay says authorised us: the member's user id (our credential identifier) and nickname."""

    user_id: str
    nick_name: str


def _pem(value: str, default: str) -> bytes:
    """A PEM given inline, or read from a file path; the sandbox default when empty."""
    if not value:
        return default.encode()
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    return Path(value).read_bytes()


def config_from(settings, redirect_uri: str) -> AlipayConfig:
    """The configured Alipay app, or the sandbox's under ``sandbox_url``."""
    base = settings.sandbox_url + "/alipay"
    return AlipayConfig(
        gateway_url=settings.alipay_gateway_url or base + "/gateway.do",
        auth_url=settings.alipay_auth_url or base + "/oauth2/publicAppAuthorize.htm",
        app_id=settings.alipay_app_id,
        app_private_key=_pem(settings.alipay_app_private_key, SANDBOX_APP_PRIVATE_KEY),
        alipay_public_key=_pem(settings.alipay_public_key, SANDBOX_ALIPAY_PUBLIC_KEY),
        redirect_uri=redirect_uri,
    )


def authorize_url(cfg: AlipayConfig, state: str) -> str:
    """The page where the member agrees (``scope=auth_user``: user id and nickname)."""
    query = {"app_id": cfg.app_id, "scope": "auth_user", "redirect_uri": cfg.redirect_uri, "state": state}
    return f"{cfg.auth_url}?{urlencode(query)}"


def sign_content(params: dict[str, str]) -> str:
    """Alipay's string to sign: non-empty parameters except ``sign``, sorted by name, as ``k=v&k=v``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in ("", None))


def rsa2_sign(private_key_pem: bytes, content: str) -> str:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the Alipay app key must be an RSA key")
    return base64.b64encode(key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key_pem: bytes, content: str, sign: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(base64.b64decode(sign, validate=True), content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def response_node_text(body: str, node: str) -> str | None:
    """The exact JSON text of ``node`` in Alipay's answer (the signed bytes), or None when it is absent."""
    marker = f'"{node}"'
    start = body.find(marker)
    if start < 0:
        return None
    colon = body.find(":", start + len(marker))
    if colon < 0:
        return None
    begin = colon + 1
    while begin < len(body) and body[begin] in " \t\r\n":
        begin += 1
    try:
        _value, end = json.JSONDecoder().raw_decode(body, begin)
    except ValueError:
        return None
    return body[begin:end]


def call(cfg: AlipayConfig, method: str, params: dict[str, str], *, now: datetime | None = None) -> dict:
    """One signed ``gateway.do`` call; the verified response node, or IdentityError."""
    now = now or datetime.now(UTC)
    request_params = {
        "app_id": cfg.app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": (now.astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
        **params,
    }
    request_params["sign"] = rsa2_sign(cfg.app_private_key, sign_content(request_params))
    try:
        resp = requests.post(cfg.gateway_url, data=request_params, timeout=5)
        resp.raise_for_status()
    except requests.RequestException as exc:
        raise IdentityError("alipay", UNAVAILABLE, "alipay_unavailable") from exc
    body = resp.content.decode("utf-8")
    try:
        outer = json.loads(body)
    except ValueError as exc:
        raise IdentityError("alipay", REFUSED, "alipay_bad_response") from exc
    node = method.replace(".", "_") + "_response"
    if node not in outer:
        node = "error_response"
    text = response_node_text(body, node)
    sign = outer.get("sign") if isinstance(outer, dict) else None
    # Never trust an answer whose signature does not check: it did not come from Alipay unaltered.
    if text is None or not isinstance(sign, str) or not rsa2_verify(cfg.alipay_public_key, text, sign):
        raise IdentityError("alipay", REFUSED, "alipay_bad_signature")
    payload = json.loads(text)
    if node == "error_response" or ("code" in payload and payload["code"] != "10000"):
        raise IdentityError("alipay", REFUSED, f"alipay_{payload.get('sub_code') or payload.get('code')}")
    return payload


def fetch_user(cfg: AlipayConfig, auth_code: str) -> AlipayUser:
    """Exchange the one-time ``auth_code`` for a token, then read the member's id and nickname."""
    if not auth_code:
        raise IdentityError("alipay", REFUSED, "alipay_no_code")
    token = call(cfg, "alipay.system.oauth.token", {"grant_type": "authorization_code", "code": auth_code})
    info = call(cfg, "alipay.user.info.share", {"auth_token": str(token.get("access_token", ""))})
    user_id = str(token.get("user_id") or "")
    if not user_id or str(info.get("user_id") or "") != user_id:
        raise IdentityError("alipay", REFUSED, "alipay_user_mismatch")
    return AlipayUser(user_id=user_id, nick_name=str(info.get("nick_name") or ""))
