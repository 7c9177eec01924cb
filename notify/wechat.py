"""WeChat through wechatpy, pointed at any API base URL (the real api.weixin.qq.com or the local sandbox).

Access tokens are cached by wechatpy's session storage: in memory per process, or in Redis when
``SHEBAO_REDIS_URL`` is set so every node shares one token (WeChat caps how often tokens may be fetched).
The identity part uses :func:`wechat_client` for mini-program login (``client.wxa.code_to_session``).

Who receives a subscribe message (issue 14): only a mini-program openid of the person that accepted the
message's template (``wx.requestSubscribeMessage``), never the website app's openid (WeChat cannot deliver a
mini-program's subscribe message there), and one message per one-off acceptance, as WeChat counts them:
:func:`claim_recipient` takes one acceptance before sending, :func:`settle_grant` gives it back when WeChat did
not deliver (so the retry can use it), or forgets the acceptances WeChat says the person no longer has (43101).
"""

from __future__ import annotations

import threading

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from gateway.identity.models import Credential, CredentialKind
from gateway.identity.wechat_ids import SubscribeGrant, WeChatApp, WeChatIdentity

__all__ = ["WeChatClientException", "WeChatGateway", "claim_recipient", "settle_grant", "wechat_client"]

#: WeChat's answer when the user has not accepted (or no longer accepts) the template.
NOT_ACCEPTED = 43101

_clients: dict[tuple[str, str, str, str], WeChatGateway] = {}
_lock = threading.Lock()


class WeChatGateway(WeChatClient):
    """wechatpy's client with every endpoint (token, cgi-bin, sns) under ``base_url``."""

    def __init__(self, appid: str, secret: str, base_url: str, session=None, timeout: float = 5.0) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.API_BASE_URL = f"{self.base_url}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{self.base_url}/"
        self._token_lock = threading.Lock()

    @property
    def access_token(self) -> str:
        # wechatpy checks and refreshes without a lock: several sending threads would all fetch a new token
        # (and each fetch invalidates the previous one at WeChat).
        with self._token_lock:
            return super().access_token

    def fetch_access_token(self):
        """Fetch a token from ``{base_url}/cgi-bin/token`` (wechatpy hard-codes the real host here)."""
        return self._fetch_access_token(
            url=f"{self.base_url}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def wechat_client(base_url: str, appid: str, secret: str, redis_url: str = "") -> WeChatGateway:
    """One shared client per configuration, so its cached access token is reused between calls."""
    key = (base_url, appid, secret, redis_url)
    with _lock:
        client = _clients.get(key)
        if client is None:
            storage = None
            if redis_url:
                import redis
                from wechatpy.session.redisstorage import RedisStorage

                storage = RedisStorage(redis.Redis.from_url(redis_url, socket_timeout=2), prefix="shebao:wechat")
            client = _clients[key] = WeChatGateway(appid, secret, base_url, session=storage)
        return client


def claim_recipient(sessions: sessionmaker[Session], person_id: int, template_id: str | None) -> str | None:
    """Take one acceptance of ``template_id`` from a mini-program openid bound to the person; its openid, or None
    when no such openid has one left (then no WeChat message may be sent; the inbox copy is unaffected).

    The decrement is conditional (``remaining > 0``) and committed at once, so two workers sending two messages
    of one template cannot both use the last acceptance."""
    if not template_id:
        return None
    with sessions.begin() as s:
        candidates = s.execute(
            select(SubscribeGrant.id, SubscribeGrant.openid)
            .join(WeChatIdentity, WeChatIdentity.openid == SubscribeGrant.openid)
            .join(
                Credential,
                (Credential.identifier == SubscribeGrant.openid) & (Credential.kind == CredentialKind.WECHAT),
            )
            .where(
                Credential.person_id == person_id,
                WeChatIdentity.app == WeChatApp.MINIPROGRAM,
                SubscribeGrant.template_id == template_id,
                SubscribeGrant.remaining > 0,
            )
            .order_by(WeChatIdentity.last_seen_at.desc(), SubscribeGrant.id)
        ).all()
        for grant_id, openid in candidates:
            taken = s.execute(
                update(SubscribeGrant)
                .where(SubscribeGrant.id == grant_id, SubscribeGrant.remaining > 0)
                .values(remaining=SubscribeGrant.remaining - 1)
            ).rowcount
            if taken == 1:
                return openid
    return None


def settle_grant(sessions: sessionmaker[Session], openid: str, template_id: str, errcode: int | None) -> None:
    """After a send WeChat did not accept: 43101 means the person has no acceptance left at WeChat (it was
    withdrawn in the WeChat settings), so ours are forgotten; any other failure did not use it up, so the one
    taken is given back for the retry."""
    with sessions.begin() as s:
        where = (SubscribeGrant.openid == openid, SubscribeGrant.template_id == template_id)
        if errcode == NOT_ACCEPTED:
            s.execute(update(SubscribeGrant).where(*where).values(remaining=0))
        else:
            s.execute(update(SubscribeGrant).where(*where).values(remaining=SubscribeGrant.remaining + 1))
