"""e-SSC platform sandbox (电子社保卡): an OpenID Connect-style provider, hand-rolled with joserfc.

Hand-rolled rather than Authlib's server classes: the platform's quirks (a business serial confirmed
server to server, the QR mode, and injectable faults for the tests) are a few lines each here, while
Authlib's grant/storage models would need more glue than the whole provider.

Protocol:

- ``GET /essc/.well-known/openid-configuration``, ``GET /essc/jwks.json`` (RS256 signing key, made at start).
- ``GET /essc/authorize?response_type=code&client_id&redirect_uri&state&nonce[&mode=qr]`` — the holder's
  approval page (in real life the e-SSC app); ``POST /essc/authorize`` approves: the web mode redirects to
  ``redirect_uri?code&state``; the QR mode keeps the code for the relying party to poll.
- ``POST /essc/token`` (client_secret_post or Basic) — one-time code → ``{access_token, id_token}``; the ID
  token's claims: iss, aud, sub, iat, exp, nonce, aac002 (ID number), aac003 (name), aab301 (region),
  signNo, busiSeq, channel.
- ``GET /essc/qr/result?state=`` (client auth) — ``{"status": "pending"|"approved", "code"?}``.
- ``POST /essc/busi/confirm`` JSON ``{"busiSeq"}`` (client auth) — confirms once; a second time answers 409.

Test controls: the approval form's ``fault`` field (``bad_signature``, ``wrong_audience``, ``expired``) makes
the token endpoint issue that kind of broken ID token for the code.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from markupsafe import escape

PREFIX = "/essc"
bp = Blueprint("sandbox_essc", __name__)

CLIENTS = {"shebao-gateway": "sandbox-essc-secret"}
_KEY = RSAKey.generate_key(2048, parameters={"kid": "essc-1", "use": "sig", "alg": "RS256"})
_ROGUE = RSAKey.generate_key(2048, parameters={"kid": "essc-1", "alg": "RS256"})  # same kid, other key
_lock = threading.Lock()
_codes: dict[str, dict] = {}
_qr: dict[str, str] = {}  # state → code waiting to be polled
_busi: dict[str, bool] = {}  # busiSeq → confirmed yet?
CODE_TTL_S = 120


def _issuer() -> str:
    return request.host_url.rstrip("/") + PREFIX


def _client_ok() -> str | None:
    auth = request.authorization
    cid, secret = (
        (auth.username, auth.password) if auth else (request.form.get("client_id"), request.form.get("client_secret"))
    )
    if cid in CLIENTS and secret is not None and secrets.compare_digest(CLIENTS[cid], secret):
        return cid
    return None


@bp.get("/.well-known/openid-configuration")
def discovery():
    issuer = _issuer()
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "jwks_uri": issuer + "/jwks.json",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }
    )


@bp.get("/jwks.json")
def jwks():
    return jsonify(KeySet([_KEY]).as_dict(private=False))


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>电子社保卡授权（沙箱）</title></head><body>
<h1>电子社保卡授权登录</h1><p>{client} 申请使用您的电子社保卡登录。</p>
<form method="post">{hidden}
<p><label>身份证号码 <input name="aac002" required></label></p>
<p><label>姓名 <input name="aac003" required></label></p>
<p><label>参保地 <input name="aab301" value="610302"></label></p>
<p><label>测试故障 <select name="fault"><option value="">无</option><option>bad_signature</option>
<option>wrong_audience</option><option>expired</option></select></label></p>
<button type="submit">确认授权</button></form></body></html>"""


@bp.get("/authorize")
def authorize_page():
    args = request.args
    if args.get("response_type") != "code" or args.get("client_id") not in CLIENTS:
        return jsonify({"error": "invalid_request"}), 400
    keep = ("client_id", "redirect_uri", "state", "nonce", "mode")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(args.get(k, ""))}">' for k in keep if k in args)
    return _PAGE.format(client=escape(args["client_id"]), hidden=hidden)


@bp.post("/authorize")
def approve():
    f = request.form
    if f.get("client_id") not in CLIENTS or not f.get("state") or not f.get("aac002"):
        return jsonify({"error": "invalid_request"}), 400
    code = secrets.token_urlsafe(24)
    aac002 = f["aac002"].strip().upper()
    with _lock:
        _codes[code] = {
            "client_id": f["client_id"],
            "redirect_uri": f.get("redirect_uri", ""),
            "nonce": f.get("nonce"),
            "aac002": aac002,
            "aac003": f.get("aac003", "").strip(),
            "aab301": f.get("aab301", "").strip(),
            "fault": f.get("fault") or "",
            "channel": "qr" if f.get("mode") == "qr" else "web",
            "at": time.time(),
        }
        if f.get("mode") == "qr":
            _qr[f["state"]] = code
    if f.get("mode") == "qr":
        return "<!doctype html><html lang='zh-CN'><body><p>已授权，请回到电脑或自助终端继续。</p></body></html>"
    return redirect(f"{f['redirect_uri']}?{urlencode({'code': code, 'state': f['state']})}")


@bp.get("/qr/result")
def qr_result():
    if _client_ok() is None:
        return jsonify({"error": "invalid_client"}), 401
    with _lock:
        code = _qr.pop(request.args.get("state", ""), None)
    return jsonify({"status": "approved", "code": code} if code else {"status": "pending"})


@bp.post("/token")
def token():
    cid = _client_ok()
    if cid is None:
        return jsonify({"error": "invalid_client"}), 401
    if request.form.get("grant_type") != "authorization_code":
        return jsonify({"error": "unsupported_grant_type"}), 400
    with _lock:
        grant = _codes.pop(request.form.get("code", ""), None)  # one-time
    if (
        grant is None
        or grant["client_id"] != cid
        or grant["redirect_uri"] != request.form.get("redirect_uri", "")
        or time.time() - grant["at"] > CODE_TTL_S
    ):
        return jsonify({"error": "invalid_grant"}), 400
    now = int(time.time())
    busi_seq = secrets.token_hex(12)
    with _lock:
        _busi[busi_seq] = False
    claims = {
        "iss": _issuer(),
        "aud": "someone-else" if grant["fault"] == "wrong_audience" else cid,
        "sub": hashlib.sha256(grant["aac002"].encode()).hexdigest()[:32],
        "iat": now - (900 if grant["fault"] == "expired" else 0),
        "exp": now + (-600 if grant["fault"] == "expired" else 300),
        "nonce": grant["nonce"],
        "aac002": grant["aac002"],
        "aac003": grant["aac003"],
        "aab301": grant["aab301"],
        "signNo": "SN" + hashlib.sha256(("sign" + grant["aac002"]).encode()).hexdigest()[:16].upper(),
        "busiSeq": busi_seq,
        "channel": grant["channel"],
    }
    key = _ROGUE if grant["fault"] == "bad_signature" else _KEY
    id_token = jwt.encode({"alg": "RS256", "kid": "essc-1"}, claims, key)
    return jsonify(
        {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }
    )


@bp.post("/busi/confirm")
def busi_confirm():
    if _client_ok() is None:
        return jsonify({"error": "invalid_client"}), 401
    seq = (request.get_json(silent=True) or {}).get("busiSeq", "")
    with _lock:
        if seq not in _busi:
            return jsonify({"error": "unknown_busi_seq"}), 404
        if _busi[seq]:
            return jsonify({"error": "busi_seq_used"}), 409
        _busi[seq] = True
    return jsonify({"result": "confirmed", "busiSeq": seq})
