"""WeChat API sandbox: the subset of api.weixin.qq.com the gateway uses, with WeChat's own error codes.

- ``GET /wechat/cgi-bin/token?grant_type=client_credential&appid&secret`` → ``{"access_token", "expires_in"}``
  (the first secret used for an appid becomes its secret; a different one later is errcode 40125).
- ``POST /wechat/cgi-bin/message/subscribe/send?access_token=…`` JSON ``{touser, template_id, page?, data}``:
  40001 bad token, 42001 expired token, 43101 the user has not accepted the template, 47003 a field value
  breaks its type's limit (thing ≤ 20 characters, phrase ≤ 5, …), -1 system busy when told to fail.
- ``GET /wechat/sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`` →
  ``{"openid", "session_key", "unionid"?}``; a code works once (errcode 40029 when replayed or unknown).

Sandbox controls (what a phone and a person would do in real life):

- ``POST /wechat/sandbox/codes`` ``{"openid"?, "unionid"?}`` → ``{"code", "openid"}``: a ``wx.login`` code.
- ``POST /wechat/sandbox/subscriptions`` ``{"openid", "template_id", "count"? | "long_term"?}``: the user
  accepts a subscribe message (one-off grants are used up per send; government services may be long-term).
- ``PUT /wechat/sandbox/rules/<openid>`` ``{"fail_times": n (-1 = always), "errcode": -1}``; DELETE clears.
- ``GET /wechat/sandbox/messages?openid=…``, ``GET /wechat/sandbox/stats`` (tokens issued per appid).

Website login (open.weixin.qq.com + api.weixin.qq.com ``sns``), the routes at the end of this module:

- ``GET /wechat/connect/qrconnect?appid&redirect_uri&response_type=code&scope=snsapi_login&state`` (and
  ``/wechat/connect/oauth2/authorize``): a page standing in for "scan with WeChat and confirm"; confirming as a
  test user (any openid) redirects to ``redirect_uri?code=…&state=…``.
- ``GET /wechat/sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` → ``{access_token,
  expires_in, refresh_token, openid, scope, unionid}``; 40029 unknown/expired code, 40163 code already used.
- ``GET /wechat/sns/userinfo?access_token&openid`` → ``{openid, nickname, …, unionid}``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, jsonify, redirect, request

PREFIX = "/wechat"
bp = Blueprint("sandbox_wechat", __name__)

TOKEN_SECONDS = 7200
CODE_SECONDS = 300
LIMITS = {
    "thing": 20,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "character_string": 32,
    "time": 32,
    "date": 32,
    "amount": 32,
    "phone_number": 17,
    "car_number": 8,
    "name": 10,
    "phrase": 5,
}
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")

_lock = threading.Lock()
_secrets: dict[str, str] = {}
_tokens: dict[str, tuple[str, float]] = {}  # token → (appid, expires)
_issued: dict[str, int] = {}
_codes: dict[str, dict] = {}
_grants: dict[tuple[str, str], int] = {}  # (openid, template) → remaining; -1 long-term
_rules: dict[str, dict] = {}
_sent: list[dict] = []


def _err(errcode: int, errmsg: str):
    # WeChat answers HTTP 200 with an errcode for API errors.
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def _check_app(appid: str | None, secret: str | None):
    if not appid or not appid.startswith("wx"):
        return _err(40013, "invalid appid")
    if not secret:
        return _err(41004, "appsecret missing")
    with _lock:
        known = _secrets.setdefault(appid, secret)
    if known != secret:
        return _err(40125, "invalid appsecret")
    return None


@bp.get("/cgi-bin/token")
def token():
    if request.args.get("grant_type") != "client_credential":
        return _err(40002, "invalid grant_type")
    problem = _check_app(request.args.get("appid"), request.args.get("secret"))
    if problem is not None:
        return problem
    appid = request.args["appid"]
    value = secrets.token_urlsafe(48)
    with _lock:
        _tokens[value] = (appid, time.time() + TOKEN_SECONDS)
        _issued[appid] = _issued.get(appid, 0) + 1
    return jsonify({"access_token": value, "expires_in": TOKEN_SECONDS})


@bp.post("/cgi-bin/message/subscribe/send")
def subscribe_send():
    with _lock:
        entry = _tokens.get(request.args.get("access_token", ""))
    if entry is None:
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    if entry[1] < time.time():
        return _err(42001, "access_token expired")
    body = request.get_json(force=True, silent=True) or {}
    touser, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
    if not isinstance(touser, str) or not touser:
        return _err(40003, "invalid openid")
    if not isinstance(template_id, str) or not template_id:
        return _err(40037, "invalid template_id")
    if not isinstance(data, dict) or not data:
        return _err(47003, "argument invalid! data is empty")
    for key, field in data.items():
        m = _KEY.match(str(key))
        value = field.get("value") if isinstance(field, dict) else None
        if not m or m.group(1) not in LIMITS or not isinstance(value, str) or not value:
            return _err(47003, f"argument invalid! data.{key}.value invalid")
        if len(value) > LIMITS[m.group(1)]:
            return _err(47003, f"argument invalid! data.{key}.value exceeds limit")
    with _lock:
        rule = _rules.get(touser)
        if rule and rule.get("fail_times", 0):
            if rule["fail_times"] > 0:
                rule["fail_times"] -= 1
            return _err(int(rule.get("errcode", -1)), "system error")
        grant = _grants.get((touser, template_id), 0)
        if grant == 0:
            return _err(43101, "user refuse to accept the msg")
        if grant > 0:
            _grants[(touser, template_id)] = grant - 1
        msgid = len(_sent) + 1
        _sent.append(
            {
                "msgid": msgid,
                "appid": entry[0],
                "touser": touser,
                "template_id": template_id,
                "page": body.get("page"),
                "data": data,
            }
        )
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@bp.get("/sns/jscode2session")
def jscode2session():
    if request.args.get("grant_type") != "authorization_code":
        return _err(40002, "invalid grant_type")
    problem = _check_app(request.args.get("appid"), request.args.get("secret"))
    if problem is not None:
        return problem
    code = request.args.get("js_code", "")
    with _lock:
        # Single use: taken out of the table the first time it is presented.
        entry = _codes.pop(code, None)
    if entry is None or entry["expires"] < time.time():
        return _err(40029, "invalid code")
    answer = {"openid": entry["openid"], "session_key": secrets.token_urlsafe(16)}
    if entry.get("unionid"):
        answer["unionid"] = entry["unionid"]
    return jsonify(answer)


@bp.post("/sandbox/codes")
def mint_code():
    body = request.get_json(silent=True) or {}
    openid = body.get("openid") or "o" + secrets.token_urlsafe(20)[:27]
    code = secrets.token_urlsafe(24)
    with _lock:
        _codes[code] = {
            "openid": openid,
            "unionid": body.get("unionid"),
            "expires": time.time() + CODE_SECONDS,
        }
    return jsonify({"code": code, "openid": openid})


@bp.post("/sandbox/subscriptions")
def subscribe():
    body = request.get_json(silent=True) or {}
    openid, template_id = body.get("openid"), body.get("template_id")
    if not isinstance(openid, str) or not isinstance(template_id, str) or not openid or not template_id:
        return _err(47001, "openid and template_id required")
    with _lock:
        if body.get("long_term"):
            _grants[(openid, template_id)] = -1
        else:
            current = _grants.get((openid, template_id), 0)
            if current >= 0:
                _grants[(openid, template_id)] = current + int(body.get("count", 1))
    return jsonify({"errcode": 0, "errmsg": "ok"})


@bp.put("/sandbox/rules/<openid>")
def set_rule(openid: str):
    body = request.get_json(silent=True) or {}
    with _lock:
        _rules[openid] = {
            "fail_times": int(body.get("fail_times", 0)),
            "errcode": int(body.get("errcode", -1)),
        }
    return jsonify({"errcode": 0, "errmsg": "ok"})


@bp.delete("/sandbox/rules/<openid>")
def clear_rule(openid: str):
    with _lock:
        _rules.pop(openid, None)
    return ("", 204)


@bp.get("/sandbox/messages")
def sent():
    openid = request.args.get("openid")
    with _lock:
        found = [m for m in _sent if openid is None or m["touser"] == openid]
    return jsonify({"messages": found})


@bp.get("/sandbox/stats")
def stats():
    with _lock:
        return jsonify({"tokens_issued": dict(_issued)})


# ---------------------------------------------------------------- website / official-account web OAuth
# open.weixin.qq.com ``/connect/qrconnect`` (网站应用微信登录, scope snsapi_login) and ``/connect/oauth2/authorize``
# (公众号网页授权), then api.weixin.qq.com ``/sns/oauth2/access_token`` and ``/sns/userinfo``. WeChat's numbers:
# 40029 an unknown or expired code, 40163 a code already used, 40001 a bad access token, 42001 an expired one,
# 40003 an openid the token was not issued for, 10003 a bad redirect_uri, 10005 a scope the app may not use.

_WEB_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>微信登录（沙箱）</title></head><body>
<h1>微信登录</h1><p>应用 {appid} 申请使用您的微信帐号登录。请用微信扫一扫确认（沙箱：以测试用户身份确认）。</p>
<form method="post">{hidden}
<p><label>测试用户 openid <input name="openid" value="{openid}"></label></p>
<p><label>测试用户昵称 <input name="nickname" value="测试用户"></label></p>
<button type="submit" name="decision" value="allow">确认登录</button>
<button type="submit" name="decision" value="deny">拒绝</button></form></body></html>"""

_web_codes: dict[str, dict] = {}  # code → {appid, openid, unionid, nickname, scope, expires}
_used_web_codes: set[str] = set()
_sns_tokens: dict[str, dict] = {}  # access token → {appid, openid, unionid, nickname, expires}
WEB_SCOPES = ("snsapi_login", "snsapi_base", "snsapi_userinfo")


def _web_authorize(default_scope: str):
    args = request.args
    appid, redirect_uri, scope = args.get("appid", ""), args.get("redirect_uri", ""), args.get("scope", "")
    if not appid.startswith("wx"):
        return _err(40013, "invalid appid"), 400
    if not redirect_uri.startswith(("http://", "https://")):
        return _err(10003, "redirect_uri 参数错误"), 400
    if args.get("response_type") != "code" or scope not in WEB_SCOPES:
        return _err(10005, "scope 参数错误或没有 scope 权限"), 400
    keep = {"appid": appid, "redirect_uri": redirect_uri, "scope": scope or default_scope}
    keep["state"] = args.get("state", "")
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v)}">' for k, v in keep.items())
    openid = "o" + secrets.token_urlsafe(20)[:27]
    return _WEB_PAGE.format(appid=escape(appid), hidden=hidden, openid=openid)


@bp.get("/connect/qrconnect")
def web_qrconnect():
    return _web_authorize("snsapi_login")


@bp.get("/connect/oauth2/authorize")
def web_oauth_authorize():
    return _web_authorize("snsapi_base")


def _web_approve():
    f = request.form
    redirect_uri = f.get("redirect_uri", "")
    if not f.get("appid", "").startswith("wx") or not redirect_uri.startswith(("http://", "https://")):
        return _err(10003, "redirect_uri 参数错误"), 400
    join = "&" if "?" in redirect_uri else "?"
    if f.get("decision") != "allow":
        # The user refused: WeChat comes back with the state and no code.
        return redirect(f"{redirect_uri}{join}{urlencode({'state': f.get('state', '')})}")
    code = secrets.token_urlsafe(24)
    openid = (f.get("openid") or "").strip() or "o" + secrets.token_urlsafe(20)[:27]
    with _lock:
        _web_codes[code] = {
            "appid": f["appid"],
            "openid": openid,
            "unionid": "u" + hashlib.sha256(openid.encode()).hexdigest()[:27],
            "nickname": (f.get("nickname") or "").strip() or "微信用户",
            "scope": f.get("scope", "snsapi_login"),
            "expires": time.time() + CODE_SECONDS,
        }
    return redirect(f"{redirect_uri}{join}{urlencode({'code': code, 'state': f.get('state', '')})}")


bp.add_url_rule("/connect/qrconnect", "web_qrconnect_approve", _web_approve, methods=["POST"])
bp.add_url_rule("/connect/oauth2/authorize", "web_oauth_approve", _web_approve, methods=["POST"])


@bp.get("/sns/oauth2/access_token")
def sns_access_token():
    if request.args.get("grant_type") != "authorization_code":
        return _err(40002, "invalid grant_type")
    problem = _check_app(request.args.get("appid"), request.args.get("secret"))
    if problem is not None:
        return problem
    code = request.args.get("code", "")
    with _lock:
        if code in _used_web_codes:
            return _err(40163, "code been used")
        entry = _web_codes.pop(code, None)
        if entry is not None:
            _used_web_codes.add(code)
    if entry is None or entry["expires"] < time.time() or entry["appid"] != request.args["appid"]:
        return _err(40029, "invalid code")
    token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with _lock:
        _sns_tokens[token] = {**entry, "expires": time.time() + TOKEN_SECONDS}
    return jsonify(
        {
            "access_token": token,
            "expires_in": TOKEN_SECONDS,
            "refresh_token": refresh,
            "openid": entry["openid"],
            "scope": entry["scope"],
            "unionid": entry["unionid"],
        }
    )


@bp.get("/sns/userinfo")
def sns_userinfo():
    with _lock:
        entry = _sns_tokens.get(request.args.get("access_token", ""))
    if entry is None:
        return _err(40001, "invalid credential, access_token is invalid or not latest")
    if entry["expires"] < time.time():
        return _err(42001, "access_token expired")
    if request.args.get("openid") != entry["openid"]:
        return _err(40003, "invalid openid")
    if entry["scope"] == "snsapi_base":
        return _err(48001, "api unauthorized")
    return jsonify(
        {
            "openid": entry["openid"],
            "nickname": entry["nickname"],
            "sex": 0,
            "province": "",
            "city": "",
            "country": "CN",
            "headimgurl": "",
            "privilege": [],
            "unionid": entry["unionid"],
        }
    )
