"""WeChat website login (网站应用微信登录, scope ``snsapi_login``; DESIGN "Identity") through wechatpy's
``WeChatOAuth``: the authorization URL on open.weixin.qq.com, then ``/sns/oauth2/access_token`` and
``/sns/userinfo`` on api.weixin.qq.com. wechatpy keeps both hosts in the class attributes ``OAUTH_BASE_URL``
and ``API_BASE_URL``, so each client instance is pointed at the configured hosts (the local sandbox by
default) without forking the library. Knows nothing of Flask."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from gateway.identity.service import IdentityError
from gateway.identity.wechat_ids import WeChatApp, join_by_unionid

log = logging.getLogger("shebao.auth")

REFUSED = "微信授权未通过，请重新扫码登录。"
UNAVAILABLE = "暂时无法连接微信，请稍后再试或使用其他方式登录。"
#: WeChat's own numbers for a spent or unknown code (the answer to a replayed callback).
CODE_USED, CODE_INVALID = 40163, 40029


@dataclass(frozen=True)
class WeChatWebConfig:
    open_url: str  # where /connect/qrconnect lives (open.weixin.qq.com)
    api_url: str  # where /sns/... lives (api.weixin.qq.com)
    appid: str
    secret: str
    redirect_uri: str


@dataclass(frozen=True)
class WeChatUser:
    openid: str
    unionid: str | None
    nickname: str


def config_from(settings, redirect_uri: str) -> WeChatWebConfig:
    """The website app's settings: the real hosts when configured, else the WeChat sandbox."""
    sandbox = settings.sandbox_url + "/wechat"
    return WeChatWebConfig(
        open_url=(settings.wechat_open_url or sandbox).rstrip("/"),
        api_url=(settings.wechat_api_url or sandbox).rstrip("/"),
        appid=settings.wechat_web_appid,
        secret=settings.wechat_web_secret,
        redirect_uri=redirect_uri,
    )


def oauth_client(cfg: WeChatWebConfig, state: str = "") -> WeChatOAuth:
    client = WeChatOAuth(cfg.appid, cfg.secret, cfg.redirect_uri, scope="snsapi_login", state=state)
    # Instance attributes shadow wechatpy's hard-coded hosts for this client only.
    client.OAUTH_BASE_URL = cfg.open_url + "/connect/"
    client.API_BASE_URL = cfg.api_url + "/"
    return client


def authorize_url(cfg: WeChatWebConfig, state: str) -> str:
    """The QR-connect page (``scope=snsapi_login``) with our single-use ``state``."""
    return oauth_client(cfg, state).qrconnect_url


def fetch_user(cfg: WeChatWebConfig, code: str) -> WeChatUser:
    """Exchange the one-time code for a web access token and read the user's openid, unionid and nickname."""
    if not code:
        raise IdentityError("wechat", REFUSED, "wechat_no_code")
    client = oauth_client(cfg)
    try:
        client.fetch_access_token(code)
        info = client.get_user_info()
    except WeChatOAuthException as exc:
        log.info("wechat web oauth refused", extra={"fields": {"errcode": exc.errcode}})
        if exc.errcode in (CODE_USED, CODE_INVALID):
            raise IdentityError("wechat", REFUSED, "wechat_code_used") from exc
        if exc.errcode is None:  # an HTTP-level failure, not an answer from WeChat
            raise IdentityError("wechat", UNAVAILABLE, "wechat_unavailable") from exc
        raise IdentityError("wechat", REFUSED, f"wechat_{exc.errcode}") from exc
    except OSError as exc:  # requests' connection errors
        raise IdentityError("wechat", UNAVAILABLE, "wechat_unavailable") from exc
    openid = str(info.get("openid") or "")
    if not openid or openid != client.open_id:
        raise IdentityError("wechat", REFUSED, "wechat_user_mismatch")
    return WeChatUser(openid=openid, unionid=info.get("unionid"), nickname=str(info.get("nickname") or ""))


def joined_openid(session: Session, cfg: WeChatWebConfig, code: str) -> str:
    """:func:`fetch_user`, then record the website openid and its unionid; an unbound website openid whose
    unionid belongs to a person's mini-program WeChat login is bound to that person (its own credential)."""
    user = fetch_user(cfg, code)
    join_by_unionid(session, WeChatApp.WEBSITE, user.openid, user.unionid, channel="web")
    return user.openid
