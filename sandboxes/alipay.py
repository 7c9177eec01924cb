"""Alipay open platform sandbox: the web authorization page and the ``gateway.do`` open API methods the
gateway's Alipay login uses, signed and checked with RSA2 (SHA256withRSA) as Alipay's open API does.

- ``GET /alipay/oauth2/publicAppAuthorize.htm?app_id&scope=auth_user&redirect_uri&state``: the "authorize this
  app" page (openauth.alipay.com); confirming as a test user redirects to
  ``redirect_uri?app_id=…&source=alipay_wallet&scope=…&auth_code=…&state=…``.
- ``POST /alipay/gateway.do`` (form or query parameters): common parameters ``app_id, method, format=JSON,
  charset=utf-8, sign_type=RSA2, timestamp, version=1.0, sign``; the request ``sign`` is over every other
  non-empty parameter sorted by name as ``k=v&k=v`` (``sign_type`` included). Methods:
  ``alipay.system.oauth.token`` (``grant_type=authorization_code, code``) → ``user_id, open_id, access_token,
  expires_in, refresh_token, re_expires_in, auth_start``; an auth code works once (``isv.code-invalid``), and
  ``alipay.user.info.share`` (``auth_token``) → ``code=10000, user_id, nick_name``.
  The answer is ``{"<method with _>_response": {...}, "sign": "..."}`` (or ``error_response``) where ``sign``
  is the platform's RSA2 signature over the exact JSON text of the response node.

Sandbox controls: ``GET /alipay/sandbox/platform-key`` (the platform's public key, as the open platform console
shows it), ``POST /alipay/sandbox/apps`` ``{"app_id", "public_key"}`` registers another app's public key, and
``PUT /alipay/sandbox/fault`` ``{"fault": "bad_response_sign" | ""}`` makes the next answers carry a forged sign.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from html import escape
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Blueprint, Response, jsonify, redirect, request

PREFIX = "/alipay"
bp = Blueprint("sandbox_alipay", __name__)

CODE_SECONDS = 300
TOKEN_SECONDS = 3600
#: The app the gateway is registered as by default (its private half is the gateway's sandbox default).
SANDBOX_APP_ID = "2021000000000001"
# Made once for the sandbox with ``cryptography`` (RSA 2048); publishing them is harmless: nothing real trusts
# them, and production refuses the gateway's matching defaults (gateway/config.py).
SANDBOX_APP_PUBLIC_KEY = """\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAotsWUbeCA+jDJJHDTqFJ
zUa78w4bGLh5sZx2mlS83BP4uA/GTt6OQGsumqbIysrGKvgQypVewiYwECfIkTj6
05jffRRSi2q47psiHuvXH93CsdEWjKvL+C2fZSgOTaKFbssa4HEwKToY1x97tEFD
+MMBMYCg2+3Dobi0W+KcA27M0sBM53NBc3Bf5UygkHY9v3hgT7bKvjo6aivrfAjT
Xo3SZ52qkNtV2iN576TUKzNqipfcNXwaLgo/ut7vwlweveeEJ5EI6G/D0R5GbNQl
1GpXdw3n1GzbHn64NH3hm2Sahjui0sYwq/rNjcHUOhfllxCiUHFktEd6ZecjthGn
/QIDAQAB
-----END PUBLIC KEY-----
"""
PLATFORM_PRIVATE_KEY = """\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDB58gardjxS+Gf
PdF0limyeRbbWgzX/FongyK6Xkua7gzKyeVw4tbEV2M+U1zEcDvHBYDY/zgYMCp4
sCtJS8lmy9sAX+0HXcsC+hxvB0rF7ygXmpBu1vddekxbtAKw057xJYDvl2TQAi/1
TvwwQh21oTKqF2cwmr/8N+tpztHzOOWEm9JQm9F2Nk8JzPnVKcvr6Lhi0LyhZcCn
n2IpjHAnipV2gs2Ku2hCU5bXj4I7PR6et/4McFaPs7VxM4PxzQoPZiwwAKdfvO/5
0gABu0cpAqHG7GzSzs2czpBKQDRSt8xXrmm/fY/xTcBtLR/0xxUYWHS6gJVRU0D2
bIjF6Ul/AgMBAAECggEABCZMK3n98wf/L5O4mEigYs/hk9clADhHy6GsTBW5g3rF
rk9MyDIqi3AdUReinBeUx+kPvVUU47ugJQ4MFxj2mesR6DulTGuO7STiF+QtjvfT
wVGO9rhF+eukl6/OAO++boWxcS8puqPZV+QVVIkNrrXg6i/vBuTA6ApgUNbaulw7
Rn4CC8zCqwi/lmQgQ3oqgATTpL+sW7nqGYcCWGA5dnf9XfXZlT58QuZyUgVBwFZE
GN2vzpBqxRQiJfnUPE7ZTXyHU5VXYdp6/83i3DLdAAns0G2l35f4MLKRPuXGcFyj
Yl4WL6Lkx1FH0Nga9VIUC34zul7Ci11x50gDGEkANQKBgQDzToZWpachuTgcZ/EA
UIk+6GzVrjt21we72lCLUjobTF6S5FqRJpegcDfo6iFjBbqB9k8sKMPy2qmZD/Cs
vRA+3l3ZUzb0izNMRAG6mWHMdJ+B2nLxOk1mpNIwATvQvhNOPq1hZl+nMBM/uUH+
cUGDxfj46Zjpl5qb9ar3SppchQKBgQDMBXqZLoE9yPbIdwRJLJGWYVYpyZuM550d
dE3bylljbGJX0nW2ZWeuYOadI/4uQC9jxnmsJp8YUpTiaATVLFNcm5H8gTfFabDR
v1N7JcawHOZkN5fRtNOUqYqrZzjlhJDTVrRzdAaPjL1xzcLT3Dmow5aotJ1lbZuS
tWLbcZ3fMwKBgCxl3N+81LWzrciJMxIioBjJouqPI6y46mFeIip6M749fliBsQEh
sLOHJryq1LLUHcePYb0mJzOOsToMDZgH3AoM28VHiRSwvgihtEsPqCf99AlnCmh4
gh1D4FMANqENvkod59eJLdU9UZXkQWWj1xerrZYGUm/1yTHCb5M2mtpdAoGBAMRn
WdhxDnXeKsRc3sFaqGSuG3Zq4NXKelPKjNFTgK3XvuxwbGVERYV3P0pzRdRcccKJ
ZMQ3Ad02UqGKJWzaGP4DvYvpETl4P4ILv1/Dw/vyNlCvu/VjMHPiqt3Kptk8vvbU
dy7VuSMkB5Ow0yeEz/UJJNYP2Z204JlhCGPcgnBFAoGAYccsN6zaGjVBKNnGjOiR
ZRd1ia1V8gDBLQDDaSHp7b6JQBGtWG4ZCSfcpZZDZ9WDEF1mA/WQpRugNHshdxwx
4ykDW322zJxUwHvabrUZuC+bbuIeNNYk40dMoe4pUUHQD2tmoEG3Z+2dlncigTiZ
reMsUFFccKDiaTyx4Jxzpr8=
-----END PRIVATE KEY-----
"""

_lock = threading.Lock()
_apps: dict[str, bytes] = {SANDBOX_APP_ID: SANDBOX_APP_PUBLIC_KEY.encode()}
_codes: dict[str, dict] = {}  # auth_code → {app_id, user_id, nick_name, scope, expires}
_tokens: dict[str, dict] = {}  # access token → {app_id, user_id, nick_name, expires}
_fault = {"value": ""}
_platform_key = serialization.load_pem_private_key(PLATFORM_PRIVATE_KEY.encode(), password=None)


def sign_content(params: dict[str, str]) -> str:
    """Alipay's string to sign: non-empty parameters except ``sign``, sorted by name, ``k=v`` joined by ``&``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] not in ("", None))


def _sign(text: str) -> str:
    raw = _platform_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def _verify(app_id: str, text: str, sign: str) -> bool:
    pem = _apps.get(app_id)
    if pem is None:
        return False
    try:
        serialization.load_pem_public_key(pem).verify(
            base64.b64decode(sign, validate=True), text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _answer(node: str, payload: dict) -> Response:
    """``{"<node>": payload, "sign": …}`` with the sign over the node's exact JSON text."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    sign = _sign(body)
    if _fault["value"] == "bad_response_sign":
        sign = _sign(body + " ")  # a genuine signature, but over other bytes
    text = '{"' + node + '":' + body + ',"sign":"' + sign + '"}'
    return Response(text, content_type="application/json;charset=utf-8")


def _error(node: str, code: str, msg: str, sub_code: str, sub_msg: str) -> Response:
    # Alipay names the error node after the method when it knows it, else "error_response".
    return _answer(node, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg})


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>支付宝授权（沙箱）</title></head><body>
<h1>支付宝授权</h1><p>应用 {app_id} 申请获取您的支付宝会员信息（用户标识、昵称）。</p>
<form method="post">{hidden}
<p><label>测试用户 user_id <input name="user_id" value="{user_id}"></label></p>
<p><label>测试用户昵称 <input name="nick_name" value="支付宝用户"></label></p>
<button type="submit" name="decision" value="allow">同意授权</button>
<button type="submit" name="decision" value="deny">取消</button></form></body></html>"""


@bp.get("/oauth2/publicAppAuthorize.htm")
def authorize_page():
    args = request.args
    app_id, redirect_uri = args.get("app_id", ""), args.get("redirect_uri", "")
    if app_id not in _apps or not redirect_uri.startswith(("http://", "https://")):
        return (
            "<!doctype html><html lang='zh-CN'><body><p>参数错误：app_id 或 redirect_uri 无效。</p></body></html>",
            400,
        )
    keep = {"app_id": app_id, "redirect_uri": redirect_uri, "scope": args.get("scope", "auth_base")}
    keep["state"] = args.get("state", "")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in keep.items())
    user_id = "2088" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    return _PAGE.format(app_id=escape(app_id), hidden=hidden, user_id=user_id)


@bp.post("/oauth2/publicAppAuthorize.htm")
def authorize_approve():
    f = request.form
    redirect_uri = f.get("redirect_uri", "")
    if f.get("app_id") not in _apps or not redirect_uri.startswith(("http://", "https://")):
        return "参数错误", 400
    join = "&" if "?" in redirect_uri else "?"
    if f.get("decision") != "allow":
        return redirect(f"{redirect_uri}{join}{urlencode({'app_id': f['app_id'], 'state': f.get('state', '')})}")
    code = secrets.token_hex(16)
    user_id = (f.get("user_id") or "").strip() or "2088" + "".join(str(secrets.randbelow(10)) for _ in range(12))
    with _lock:
        _codes[code] = {
            "app_id": f["app_id"],
            "user_id": user_id,
            "nick_name": (f.get("nick_name") or "").strip() or "支付宝用户",
            "scope": f.get("scope", "auth_base"),
            "expires": time.time() + CODE_SECONDS,
        }
    query = {
        "app_id": f["app_id"],
        "source": "alipay_wallet",
        "scope": f.get("scope", "auth_base"),
        "auth_code": code,
        "state": f.get("state", ""),
    }
    return redirect(f"{redirect_uri}{join}{urlencode(query)}")


def _oauth_token(node: str, params: dict[str, str]) -> Response:
    if params.get("grant_type") != "authorization_code":
        return _error(node, "40002", "Invalid Arguments", "isv.grant-type-invalid", "grant_type参数不正确")
    with _lock:
        entry = _codes.pop(params.get("code", ""), None)  # single use
    if entry is None or entry["expires"] < time.time() or entry["app_id"] != params["app_id"]:
        return _error(node, "40002", "Invalid Arguments", "isv.code-invalid", "授权码code无效")
    token = "authusrB" + secrets.token_hex(16)
    with _lock:
        _tokens[token] = {**entry, "expires": time.time() + TOKEN_SECONDS}
    open_id = "0" + hashlib.sha256(f"{params['app_id']}:{entry['user_id']}".encode()).hexdigest()[:31]
    return _answer(
        node,
        {
            "user_id": entry["user_id"],
            "open_id": open_id,
            "access_token": token,
            "expires_in": TOKEN_SECONDS,
            "refresh_token": "authusrB" + secrets.token_hex(16),
            "re_expires_in": TOKEN_SECONDS * 24,
            "auth_start": (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S"),
        },
    )


def _user_info(node: str, params: dict[str, str]) -> Response:
    with _lock:
        entry = _tokens.get(params.get("auth_token", ""))
    if entry is None or entry["expires"] < time.time() or entry["app_id"] != params["app_id"]:
        return _error(node, "20001", "Invalid Token", "aop.invalid-auth-token", "无效的访问令牌")
    return _answer(
        node, {"code": "10000", "msg": "Success", "user_id": entry["user_id"], "nick_name": entry["nick_name"]}
    )


METHODS = {"alipay.system.oauth.token": _oauth_token, "alipay.user.info.share": _user_info}


@bp.route("/gateway.do", methods=["GET", "POST"])
def gateway():
    params = {k: v for k, v in {**request.args.to_dict(), **request.form.to_dict()}.items()}
    method = params.get("method", "")
    node = method.replace(".", "_") + "_response" if method in METHODS else "error_response"
    if method not in METHODS:
        return _error(node, "40004", "Business Failed", "isv.invalid-method", "不存在的方法名")
    if params.get("app_id") not in _apps:
        return _error(node, "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数")
    if params.get("sign_type") != "RSA2" or params.get("charset", "utf-8").lower() != "utf-8":
        return _error(node, "40002", "Invalid Arguments", "isv.invalid-signature-type", "无效的签名类型")
    if not _verify(params["app_id"], sign_content(params), params.get("sign", "")):
        return _error(node, "40002", "Invalid Arguments", "isv.invalid-signature", "验签出错")
    try:
        sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return _error(node, "40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数")
    # Alipay refuses requests whose timestamp is more than 15 minutes away from its clock (Beijing time).
    beijing_now = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=8)
    if abs((beijing_now - sent).total_seconds()) > 900:
        return _error(node, "40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数")
    return METHODS[method](node, params)


@bp.get("/sandbox/platform-key")
def platform_key():
    pem = _platform_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return jsonify({"public_key": pem.decode()})


@bp.post("/sandbox/apps")
def register_app():
    body = request.get_json(silent=True) or {}
    app_id, pem = body.get("app_id"), body.get("public_key")
    if not isinstance(app_id, str) or not isinstance(pem, str):
        return jsonify({"error": "app_id and public_key required"}), 400
    try:
        serialization.load_pem_public_key(pem.encode())
    except ValueError:
        return jsonify({"error": "public_key is not a PEM public key"}), 400
    with _lock:
        _apps[app_id] = pem.encode()
    return jsonify({"app_id": app_id})


@bp.put("/sandbox/fault")
def set_fault():
    body = request.get_json(silent=True) or {}
    _fault["value"] = str(body.get("fault") or "")
    return jsonify({"fault": _fault["value"]})
