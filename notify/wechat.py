"""WeChat through wechatpy, pointed at any API base URL (the real api.weixin.qq.com or the local sandbox).

Access tokens are cached by wechatpy's session storage: in memory per process, or in Redis when
``SHEBAO_REDIS_URL`` is set so every node shares one token (WeChat caps how often tokens may be fetched).
The identity part uses :func:`wechat_client` for mini-program login (``client.wxa.code_to_session``).
"""

from __future__ import annotations

import threading

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

__all__ = ["WeChatClientException", "WeChatGateway", "wechat_client"]

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
