"""``/api/v1/auth``: mini-program login (``wx.login`` code → ``code2Session`` through wechatpy), binding an
unbound WeChat identity to a real-name person with an SMS code, e-SSC QR login for terminals, rotating refresh
tokens, and who the token belongs to. The access tokens issued here are what the gate reads on every other
operation (``gateway.access.edge``)."""

from __future__ import annotations

import logging
import secrets

import segno
from apiflask import APIBlueprint
from apiflask.fields import Integer, String
from flask import current_app, g, request, url_for

from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.schemas import Checked, Input, Output, Text, one_of
from gateway.catalog.model import AssuranceLevel
from gateway.channel_policy import LoginMethod, Operation, policy_for
from gateway.clients import get_backoffice, get_clients
from gateway.delivery import deliver_code
from gateway.factors import FactorChange, factor_changed
from gateway.identity.binding import (
    accept_agreement,
    check_agreement,
    claim_person,
    claimed_id_number,
    complete_binding,
    miniprogram_person,
    open_binding,
)
from gateway.identity.models import CredentialKind, EventKind, SmsPurpose
from gateway.identity.service import IdentityError, record_event
from gateway.identity.sms_codes import verify_code
from gateway.identity.tokens import issue_tokens, refresh_tokens, revoke_by_token
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import DocumentType, mask_id_number, mask_name, parse_document_type

bp = APIBlueprint("auth", __name__, url_prefix="/auth", tag="登录")
log = logging.getLogger("shebao.auth")
WECHAT_LEVEL = 2  # DESIGN "Identity": a bound third-party login is level 2
_REFUSED = {400: "参数或凭证无效", 401: "凭证过期或已被使用", 429: "请求过于频繁"}


def _refused(exc: IdentityError, status: int = 400) -> UserError:
    return UserError(exc.code, exc.message, status)


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _vault():
    return current_app.extensions["shebao_vault"]


# ---------------------------------------------------------------- declarations


class WechatCode(Input):
    code = Text(required=True, message="请提供登录凭证 code。")


class BindSms(Input):
    binding_ticket = Text(required=True, message="请提供绑定凭证。")
    # LD/T 01 6.2.3 b: the document's type; absent means the resident ID, so clients of before keep working.
    doc_type = Checked(
        parse_document_type,
        keep_raw=True,
        load_default="",
        metadata={
            "description": "证件类型，默认 resident_id（居民身份证）",
            "enum": [t.value for t in DocumentType],
        },
    )
    country = Text(
        load_default="",
        min_length=0,
        max_length=3,
        message="护照签发国家（地区）应为三位字母代码，例如 GBR。",
        metadata={"description": "持护照时：签发国家（地区）的 ISO 3166 三位字母代码"},
    )
    id_number = Text(required=True, message="请提供证件号码。", metadata={"description": "证件号码（护照：护照号码）"})
    name = Text(required=True, message="请提供姓名。")


class BindConfirm(Input):
    binding_ticket = Text(required=True, message="请提供绑定凭证。")
    code = Text(required=True, message="请提供短信验证码。")
    # LD/T 01 6.2.4: the version of the online service agreement the person read and accepted.
    agreement_version = Text(required=True, message="请阅读并同意《网上经办服务协议》后再绑定。")


class PollToken(Input):
    poll_token = Text(required=True, message="请提供轮询凭证。")


class RefreshToken(Input):
    refresh_token = Text(required=True, message="请提供刷新凭证。")


class AuthTokens(Output):
    status = String(required=True, validate=one_of(["ok", "unbound", "pending", "expired"]))
    message = String(metadata={"description": "过期等情况的中文说明"})
    access_token = String(metadata={"description": "JWT（HS256），有效期 10 分钟"})
    token_type = String(validate=one_of(["Bearer"]))
    expires_in = Integer()
    refresh_token = String(metadata={"description": "一次性刷新凭证，每次刷新轮换"})
    assurance_level = Integer(validate=one_of(AssuranceLevel))
    binding_ticket = String(metadata={"description": "未绑定时返回，需用短信验证码绑定实名身份"})


class CodeSent(Output):
    status = String(required=True, validate=one_of(["code_sent"]))
    phone = String(required=True, metadata={"description": "验证码发往的手机号（已脱敏）"})


class EsscQr(Output):
    poll_token = String(required=True, metadata={"description": "扫码登录时终端轮询用的凭证"})
    authorize_url = String(required=True)
    qr_svg = String(required=True, metadata={"description": "二维码图片（data URI）"})
    expires_in = Integer(required=True, metadata={"description": "有效秒数"})


class Done(Output):
    status = String(required=True, validate=one_of(["ok"]))


class Me(Output):
    name = String(required=True, metadata={"description": "姓名（已脱敏）"})
    id_number = String(required=True, metadata={"description": "身份证号码（已脱敏）"})
    assurance_level = Integer(validate=one_of(AssuranceLevel), required=True)


# ---------------------------------------------------------------- mini-program login


@bp.post("/wechat/login")
@public(Operation.LOGIN)
@limiter.limit("20 per minute")
@bp.input(WechatCode)
@bp.output(AuthTokens, description="已绑定：登录凭证；未绑定：绑定凭证（不含个人信息）")
@bp.doc(summary="小程序登录（wx.login code → code2Session）", operation_id="wechatLogin", responses=_REFUSED)
def wechat_login(json_data: dict):
    """``wx.login`` code → openid; bound: tokens; unbound: a binding ticket, and no personal data."""
    from wechatpy.exceptions import WeChatClientException

    try:
        session_info = get_clients().wechat.wxa.code_to_session(json_data["code"])
    except WeChatClientException as exc:
        # 40029: the code is unknown or was already used (codes are single-use).
        log.info("code2session refused", extra={"fields": {"errcode": exc.errcode}})
        raise UserError("invalid_code", "登录凭证无效或已使用，请重新进入小程序。", 400) from exc
    openid = session_info["openid"]
    db = get_session()
    person = miniprogram_person(db, openid, session_info.get("unionid"))
    if person is None:
        ticket = open_binding(db, CredentialKind.WECHAT, openid)
        return {"status": "unbound", "binding_ticket": ticket, "expires_in": 600}
    record_event(
        db, EventKind.LOGIN, person_id=person.id, method="wechat", channel="miniprogram", ip=request.remote_addr
    )
    pair = issue_tokens(db, _secret(), person.id, WECHAT_LEVEL, "miniprogram")
    return {"status": "ok", **pair.as_json()}


@bp.post("/wechat/bind/sms")
@public(Operation.LOGIN)
@limiter.limit("10 per minute")
@bp.input(BindSms)
@bp.output(CodeSent, status_code=202, description="验证码已发送")
@bp.doc(
    summary="未绑定的微信身份：填写身份证号码和姓名，向登记手机发送验证码",
    operation_id="wechatBindSms",
    responses={**_REFUSED, 502: "短信发送失败"},
)
def wechat_bind_sms(json_data: dict):
    """Name the real person (ID number + name); a code goes to the phone the back office has for them."""
    try:
        phone = claim_person(
            get_session(),
            _vault(),
            get_backoffice(),
            json_data["binding_ticket"],
            json_data["id_number"],
            json_data["name"],
            doc_type=json_data.get("doc_type"),
            country=json_data.get("country"),
        )
    except IdentityError as exc:
        raise _refused(exc, 429 if exc.code == "binding_too_many" else 400) from exc
    sent, info = deliver_code(phone, SmsPurpose.BIND)
    if not sent:
        raise UserError("sms_not_sent", info, 429 if "频繁" in info else 502)
    return {"status": "code_sent", "phone": info}


@bp.post("/wechat/bind/confirm")
@public(Operation.LOGIN)
@limiter.limit("10 per minute")
@bp.input(BindConfirm)
@bp.output(AuthTokens, description="已绑定并登录（安全级别 2）")
@bp.doc(
    summary="用短信验证码完成实名绑定并登录",
    operation_id="wechatBindConfirm",
    responses={**_REFUSED, 409: "该身份已绑定其他微信"},
)
def wechat_bind_confirm(json_data: dict):
    """The SMS code proves the person: bind the openid to them (once) and log in at level 2."""
    ticket = json_data["binding_ticket"]
    db = get_session()
    try:
        check_agreement(json_data["agreement_version"])
        id_number = claimed_id_number(db, _vault(), ticket)
        phone = get_backoffice().find_person(id_number).phone
        if not verify_code(db, _secret(), phone, SmsPurpose.BIND, json_data["code"]):
            raise UserError("invalid_sms_code", "验证码不正确或已失效，请重新获取。", 400)
        person = complete_binding(db, _vault(), get_backoffice(), ticket, "miniprogram")
        accept_agreement(db, person, json_data["agreement_version"], "miniprogram")
        factor_changed(db, person.id, FactorChange.BOUND, channel="miniprogram")
    except IdentityError as exc:
        raise _refused(exc, 409 if exc.code == "credential_taken" else 400) from exc
    record_event(
        db, EventKind.LOGIN, person_id=person.id, method="wechat", channel="miniprogram", ip=request.remote_addr
    )
    pair = issue_tokens(db, _secret(), person.id, WECHAT_LEVEL, "miniprogram")
    return {"status": "ok", **pair.as_json()}


# ---------------------------------------------------------------- e-SSC QR for kiosks and other terminals


def _essc_cfg():
    from gateway.identity.essc import config_from

    return config_from(current_app.config["SETTINGS"], url_for("auth.essc_callback", _external=True))


@bp.post("/essc/qr")
@public(Operation.LOGIN)
@limiter.limit("20 per minute")
@bp.output(EsscQr, status_code=201, description="二维码和轮询凭证")
@bp.doc(
    summary="电子社保卡扫码登录：生成二维码（2 分钟有效）",
    operation_id="esscQrStart",
    responses={403: "该渠道不提供扫码登录", 429: "请求过于频繁"},
)
def essc_qr_start():
    """A QR for the e-SSC app to scan; the terminal polls with ``poll_token`` (expires in 2 minutes)."""
    from gateway.identity.essc import QR_FLOW_TTL, start_flow

    # DESIGN "Identity": each channel offers only the login methods its policy names.
    if LoginMethod.ESSC_QR not in policy_for(g.channel).login_methods:
        raise UserError("method_not_allowed", "该渠道不提供电子社保卡扫码登录。", 403)
    poll_token = secrets.token_urlsafe(32)
    _, url = start_flow(get_session(), _essc_cfg(), "qr", g.channel.value, poll_token=poll_token)
    return {
        "poll_token": poll_token,
        "authorize_url": url,
        "qr_svg": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
        "expires_in": int(QR_FLOW_TTL.total_seconds()),
    }


@bp.post("/essc/qr/status")
@public(Operation.LOGIN)
@limiter.limit("60 per minute")
@bp.input(PollToken)
@bp.output(AuthTokens, description="pending、expired，或登录凭证（安全级别 3）")
@bp.doc(summary="轮询扫码结果：pending / expired / ok（安全级别 3）", operation_id="esscQrStatus", responses=_REFUSED)
def essc_qr_status(json_data: dict):
    """``pending`` until the phone approves, then level-3 tokens for the calling channel; or ``expired``."""
    from gateway.identity.essc import finish_flow, pending_flow, person_for_holder, poll_qr

    db = get_session()
    flow = pending_flow(db, poll_token=json_data["poll_token"])
    if flow is None:
        return {"status": "expired", "message": "二维码已过期，请重新生成。"}
    code = poll_qr(_essc_cfg(), flow.state)
    if code is None:
        return {"status": "pending"}
    try:
        holder = finish_flow(db, _essc_cfg(), flow, code)
        person = person_for_holder(db, _vault(), get_backoffice(), holder, flow.channel)
    except IdentityError as exc:
        db.rollback()
        raise _refused(exc) from exc
    record_event(
        db, EventKind.LOGIN, person_id=person.id, method="essc_qr", channel=flow.channel, ip=request.remote_addr
    )
    pair = issue_tokens(db, _secret(), person.id, 3, flow.channel)
    return {"status": "ok", **pair.as_json()}


# ---------------------------------------------------------------- tokens


@bp.post("/token/refresh")
@public(Operation.LOGIN)
@limiter.limit("30 per minute")
@bp.input(RefreshToken)
@bp.output(AuthTokens, description="新的一对凭证")
@bp.doc(summary="轮换刷新凭证（重复使用旧凭证将注销整个登录）", operation_id="refreshToken", responses=_REFUSED)
def token_refresh(json_data: dict):
    """Rotate the refresh token; a spent one presented again revokes its whole family."""
    try:
        pair = refresh_tokens(get_session(), _secret(), json_data["refresh_token"])
    except IdentityError as exc:
        raise _refused(exc, 401) from exc
    return {"status": "ok", **pair.as_json()}


@bp.post("/logout")
@public(Operation.LOGIN)
@bp.input(RefreshToken)
@bp.output(Done, description="已退出")
@bp.doc(summary="退出（注销该刷新凭证所在的整个登录）", operation_id="apiLogout", responses={400: "参数不正确"})
def logout(json_data: dict):
    revoke_by_token(get_session(), json_data["refresh_token"])
    return {"status": "ok"}


@bp.get("/me")
@gate(Operation.QUERY, level=1)
@bp.output(Me, description="当前用户")
@bp.doc(summary="当前登录用户（脱敏）", operation_id="whoAmI")
def me():
    """Who the token belongs to, masked (the first personal data an API client may see)."""
    actor = current_actor()
    who = actor.person
    return {"name": mask_name(who.name), "id_number": mask_id_number(who.id_number), "assurance_level": actor.level}
