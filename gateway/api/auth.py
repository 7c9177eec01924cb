"""``/api/v1/auth``: mini-program login (``wx.login`` code → ``code2Session`` through wechatpy), binding an
unbound WeChat identity to a real-name person with an SMS code, rotating refresh tokens, and the bearer
token check other API modules use (:func:`require_token`, :func:`bearer_identity`)."""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request

from gateway.backoffice import get_backoffice
from gateway.db import get_session
from gateway.identity.binding import (
    bound_person,
    claim_person,
    claimed_id_number,
    complete_binding,
    open_binding,
)
from gateway.identity.delivery import deliver_code
from gateway.identity.models import CredentialKind, EventKind, Person, SmsPurpose
from gateway.identity.service import Identity, IdentityError, identity_of, record_event
from gateway.identity.sms_codes import verify_code
from gateway.identity.tokens import issue_tokens, read_access_token, refresh_tokens, revoke_by_token
from gateway.problems import UserError
from gateway.security.limits import limiter
from gateway.validation import mask_id_number, mask_name

bp = Blueprint("api_auth", __name__, url_prefix="/api/v1/auth")
log = logging.getLogger("shebao.auth")
WECHAT_LEVEL = 2  # DESIGN "Identity": a bound third-party login is level 2


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError("bad_request", "请求内容应为 JSON 对象。", 400)
    return data


def _text(data: dict, name: str, label: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise UserError("invalid_parameter", f"请提供{label}。", 400)
    return value.strip()


def _refused(exc: IdentityError, status: int = 400) -> UserError:
    return UserError(exc.code, exc.message, status)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _vault():
    return current_app.extensions["shebao_vault"]


# ---------------------------------------------------------------- bearer tokens for other API modules


def bearer_identity() -> tuple[Identity, int] | None:
    """The person and level of this request's ``Authorization: Bearer`` access token, or None."""
    if "api_identity" in g:
        return g.api_identity
    g.api_identity = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            claims = read_access_token(_secret(), header.removeprefix("Bearer ").strip())
        except IdentityError as exc:
            raise _refused(exc, 401) from exc
        # A token serves the channel it was issued for (its policy set its timeouts): a kiosk's, nowhere else.
        if claims.channel != g.channel.value:
            raise UserError("wrong_channel", "登录凭证不适用于该渠道，请重新登录。", 401)
        person = get_session().get(Person, claims.person_id)
        if person is not None:
            g.api_identity = (identity_of(_vault(), person), claims.level)
    return g.api_identity


def api_identity() -> Identity | None:
    """Who calls a JSON view that serves every channel: the bearer token of the mini-program or kiosk, or else the
    web session's cookie. A bad or expired token is a 401 (that is what makes the client refresh), never a
    silent fall back to the cookie."""
    found = bearer_identity()
    if found is not None:
        return found[0]
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    from gateway.identity.current import current_identity

    return current_identity()


def require_token(level: int = 1):
    """Decorator: a valid access token of at least ``level`` (401 without one, 403 when too weak)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            found = bearer_identity()
            if found is None:
                raise UserError("login_required", "请先登录。", 401)
            if found[1] < level:
                raise UserError("step_up_required", f"该业务需要安全级别 {level}，请先完成身份核验。", 403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


# ---------------------------------------------------------------- mini-program login


def _wechat():
    from notify.wechat import wechat_client

    s = current_app.config["SETTINGS"]
    return wechat_client(s.wechat_api_url or s.sandbox_url + "/wechat", s.wechat_appid, s.wechat_secret, s.redis_url)


@bp.post("/wechat/login")
@limiter.limit("20 per minute")
def wechat_login():
    """``wx.login`` code → openid; bound: tokens; unbound: a binding ticket, and no personal data."""
    from wechatpy.exceptions import WeChatClientException

    code = _text(_body(), "code", "登录凭证 code")
    try:
        session_info = _wechat().wxa.code_to_session(code)
    except WeChatClientException as exc:
        # 40029: the code is unknown or was already used (codes are single-use).
        log.info("code2session refused", extra={"fields": {"errcode": exc.errcode}})
        raise UserError("invalid_code", "登录凭证无效或已使用，请重新进入小程序。", 400) from exc
    openid = session_info["openid"]
    db = get_session()
    person = bound_person(db, CredentialKind.WECHAT, openid)
    if person is None:
        ticket = open_binding(db, CredentialKind.WECHAT, openid)
        return jsonify({"status": "unbound", "binding_ticket": ticket, "expires_in": 600})
    record_event(
        db,
        EventKind.LOGIN,
        person_id=person.id,
        method="wechat",
        channel="miniprogram",
        ip=request.remote_addr,
    )
    pair = issue_tokens(db, _secret(), person.id, WECHAT_LEVEL, "miniprogram")
    return jsonify({"status": "ok", **pair.as_json()})


@bp.post("/wechat/bind/sms")
@limiter.limit("10 per minute")
def wechat_bind_sms():
    """Name the real person (ID number + name); a code goes to the phone the back office has for them."""
    data = _body()
    ticket = _text(data, "binding_ticket", "绑定凭证")
    id_number = _text(data, "id_number", "身份证号码")
    name = _text(data, "name", "姓名")
    try:
        phone = claim_person(get_session(), _vault(), get_backoffice(), ticket, id_number, name)
    except IdentityError as exc:
        raise _refused(exc) from exc
    sent, info = deliver_code(phone, SmsPurpose.BIND)
    if not sent:
        raise UserError("sms_not_sent", info, 429 if "频繁" in info else 502)
    return jsonify({"status": "code_sent", "phone": info}), 202


@bp.post("/wechat/bind/confirm")
@limiter.limit("10 per minute")
def wechat_bind_confirm():
    """The SMS code proves the person: bind the openid to them (once) and log in at level 2."""
    data = _body()
    ticket = _text(data, "binding_ticket", "绑定凭证")
    code = _text(data, "code", "短信验证码")
    db = get_session()
    try:
        id_number = claimed_id_number(db, _vault(), ticket)
        phone = get_backoffice().find_person(id_number).phone
        if not verify_code(db, _secret(), phone, SmsPurpose.BIND, code):
            raise UserError("invalid_sms_code", "验证码不正确或已失效，请重新获取。", 400)
        person = complete_binding(db, _vault(), get_backoffice(), ticket, "miniprogram")
    except IdentityError as exc:
        raise _refused(exc, 409 if exc.code == "credential_taken" else 400) from exc
    record_event(
        db,
        EventKind.LOGIN,
        person_id=person.id,
        method="wechat",
        channel="miniprogram",
        ip=request.remote_addr,
    )
    pair = issue_tokens(db, _secret(), person.id, WECHAT_LEVEL, "miniprogram")
    return jsonify({"status": "ok", **pair.as_json()})


# ---------------------------------------------------------------- e-SSC QR for kiosks and other terminals


def _essc_cfg():
    from flask import url_for

    from gateway.identity.essc import config_from

    return config_from(current_app.config["SETTINGS"], url_for("auth.essc_callback", _external=True))


@bp.post("/essc/qr")
@limiter.limit("20 per minute")
def essc_qr_start():
    """A QR for the e-SSC app to scan; the terminal polls with ``poll_token`` (expires in 2 minutes)."""
    import secrets

    import segno

    from gateway.channel_policy import LoginMethod, policy_for
    from gateway.identity.essc import QR_FLOW_TTL, start_flow

    # DESIGN "Identity": each channel offers only the login methods its policy names.
    if LoginMethod.ESSC_QR not in policy_for(g.channel).login_methods:
        raise UserError("method_not_allowed", "该渠道不提供电子社保卡扫码登录。", 403)
    poll_token = secrets.token_urlsafe(32)
    _, url = start_flow(get_session(), _essc_cfg(), "qr", g.channel.value, poll_token=poll_token)
    return jsonify(
        {
            "poll_token": poll_token,
            "authorize_url": url,
            "qr_svg": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
            "expires_in": int(QR_FLOW_TTL.total_seconds()),
        }
    ), 201


@bp.post("/essc/qr/status")
@limiter.limit("60 per minute")
def essc_qr_status():
    """``pending`` until the phone approves, then level-3 tokens for the calling channel; or ``expired``."""
    from gateway.identity.essc import finish_flow, pending_flow, person_for_holder, poll_qr

    token = _text(_body(), "poll_token", "轮询凭证")
    db = get_session()
    flow = pending_flow(db, poll_token=token)
    if flow is None:
        return jsonify({"status": "expired", "message": "二维码已过期，请重新生成。"})
    code = poll_qr(_essc_cfg(), flow.state)
    if code is None:
        return jsonify({"status": "pending"})
    try:
        holder = finish_flow(db, _essc_cfg(), flow, code)
        person = person_for_holder(db, _vault(), get_backoffice(), holder, flow.channel)
    except IdentityError as exc:
        db.rollback()
        raise _refused(exc) from exc
    record_event(
        db,
        EventKind.LOGIN,
        person_id=person.id,
        method="essc_qr",
        channel=flow.channel,
        ip=request.remote_addr,
    )
    pair = issue_tokens(db, _secret(), person.id, 3, flow.channel)
    return jsonify({"status": "ok", **pair.as_json()})


@bp.post("/token/refresh")
@limiter.limit("30 per minute")
def token_refresh():
    """Rotate the refresh token; a spent one presented again revokes its whole family."""
    token = _text(_body(), "refresh_token", "刷新凭证")
    try:
        pair = refresh_tokens(get_session(), _secret(), token)
    except IdentityError as exc:
        raise _refused(exc, 401) from exc
    return jsonify({"status": "ok", **pair.as_json()})


@bp.post("/logout")
def logout():
    token = _text(_body(), "refresh_token", "刷新凭证")
    revoke_by_token(get_session(), token)
    return jsonify({"status": "ok"})


@bp.get("/me")
@require_token(1)
def me():
    """Who the token belongs to, masked (the first personal data an API client may see)."""
    who, level = bearer_identity()
    return jsonify({"name": mask_name(who.name), "id_number": mask_id_number(who.id_number), "assurance_level": level})


_TOKENS = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "unbound", "pending", "expired", "code_sent"]},
        "poll_token": {"type": "string", "description": "扫码登录时终端轮询用的凭证"},
        "qr_svg": {"type": "string", "description": "二维码图片（data URI）"},
        "authorize_url": {"type": "string"},
        "access_token": {"type": "string", "description": "JWT（HS256），有效期 10 分钟"},
        "token_type": {"type": "string", "enum": ["Bearer"]},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string", "description": "一次性刷新凭证，每次刷新轮换"},
        "assurance_level": {"type": "integer", "enum": [1, 2, 3]},
        "binding_ticket": {"type": "string", "description": "未绑定时返回，需用短信验证码绑定实名身份"},
    },
}


def _post(op_id: str, summary: str, props: dict, required: list[str], ok: str = "200") -> dict:
    return {
        "post": {
            "operationId": op_id,
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object", "required": required, "properties": props}}
                },
            },
            "responses": {
                ok: {
                    "description": "成功",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuthTokens"}}},
                },
                "400": {"description": "参数或凭证无效", "content": _ERR},
                "401": {"description": "凭证过期或已被使用", "content": _ERR},
                "429": {"description": "请求过于频繁", "content": _ERR},
            },
        }
    }


_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_S = {"type": "string"}

AUTH_SCHEMAS = {"AuthTokens": _TOKENS}
AUTH_PATHS = {
    "/api/v1/auth/wechat/login": _post(
        "wechatLogin", "小程序登录（wx.login code → code2Session）", {"code": _S}, ["code"]
    ),
    "/api/v1/auth/wechat/bind/sms": _post(
        "wechatBindSms",
        "未绑定的微信身份：填写身份证号码和姓名，向登记手机发送验证码",
        {"binding_ticket": _S, "id_number": _S, "name": _S},
        ["binding_ticket", "id_number", "name"],
        ok="202",
    ),
    "/api/v1/auth/wechat/bind/confirm": _post(
        "wechatBindConfirm",
        "用短信验证码完成实名绑定并登录",
        {"binding_ticket": _S, "code": _S},
        ["binding_ticket", "code"],
    ),
    # No request body, and the answer is the QR to show, not tokens (schemathesis found the old entry wrong).
    "/api/v1/auth/essc/qr": {
        "post": {
            "operationId": "esscQrStart",
            "summary": "电子社保卡扫码登录：生成二维码（2 分钟有效）",
            "responses": {
                "201": {
                    "description": "二维码和轮询凭证",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["poll_token", "authorize_url", "qr_svg", "expires_in"],
                                "properties": {
                                    "poll_token": {"type": "string", "description": "扫码登录时终端轮询用的凭证"},
                                    "authorize_url": _S,
                                    "qr_svg": {"type": "string", "description": "二维码图片（data URI）"},
                                    "expires_in": {"type": "integer", "description": "有效秒数"},
                                },
                            }
                        }
                    },
                },
                "403": {"description": "该渠道不提供扫码登录", "content": _ERR},
                "429": {"description": "请求过于频繁", "content": _ERR},
            },
        }
    },
    "/api/v1/auth/essc/qr/status": _post(
        "esscQrStatus",
        "轮询扫码结果：pending / expired / ok（安全级别 3）",
        {"poll_token": _S},
        ["poll_token"],
    ),
    "/api/v1/auth/token/refresh": _post(
        "refreshToken",
        "轮换刷新凭证（重复使用旧凭证将注销整个登录）",
        {"refresh_token": _S},
        ["refresh_token"],
    ),
    "/api/v1/auth/logout": _post(
        "apiLogout", "退出（注销该刷新凭证所在的整个登录）", {"refresh_token": _S}, ["refresh_token"]
    ),
    "/api/v1/auth/me": {
        "get": {
            "operationId": "whoAmI",
            "summary": "当前登录用户（脱敏）",
            "security": [{"bearer": []}],
            "responses": {
                "200": {
                    "description": "当前用户",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name", "id_number", "assurance_level"],
                                "properties": {
                                    "name": _S,
                                    "id_number": _S,
                                    "assurance_level": {"type": "integer", "enum": [1, 2, 3]},
                                },
                            }
                        }
                    },
                },
                "401": {"description": "未登录或凭证过期", "content": _ERR},
            },
        }
    },
}
