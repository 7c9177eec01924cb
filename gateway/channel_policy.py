"""Channel policies in one place (DESIGN "Identity"): how each front end may log in, how long a
session lives there, and what it may do. Every request is tagged with its channel by
:func:`channel_for_request`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gateway.catalog.model import Channel


class LoginMethod(enum.StrEnum):
    PASSWORD = "password"
    PASSWORD_SMS = "password_sms"
    ESSC = "essc"
    ESSC_QR = "essc_qr"
    CERTIFICATE = "certificate"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CARD_PIN = "card_pin"
    STAFF_TOTP = "staff_totp"

    @property
    def label(self) -> str:
        """The method in words, as the login log shows it."""
        return METHOD_LABELS[self]


METHOD_LABELS = {
    LoginMethod.PASSWORD: "密码",
    LoginMethod.PASSWORD_SMS: "密码 + 短信验证码",
    LoginMethod.ESSC: "电子社保卡",
    LoginMethod.ESSC_QR: "电子社保卡扫码",
    LoginMethod.CERTIFICATE: "数字证书",
    LoginMethod.WECHAT: "微信",
    LoginMethod.ALIPAY: "支付宝",
    LoginMethod.CARD_PIN: "社保卡 + 密码",
    LoginMethod.STAFF_TOTP: "密码 + 动态口令",
}
#: Other ways an event's ``method`` column is filled (credential changes), in words.
OTHER_METHOD_LABELS = {"phone_change": "更换手机号码"}


def method_label(raw: str | None) -> str:
    """The ``|method_label`` filter: a stored login/credential method in words (never the raw code)."""
    if not raw:
        return ""
    try:
        return LoginMethod(raw).label
    except ValueError:
        return OTHER_METHOD_LABELS.get(raw, "其他方式")


class Operation(enum.StrEnum):
    QUERY = "query"
    APPLY = "apply"
    BOOK = "book"
    DOWNLOAD = "download"
    PRINT = "print"
    ACT_FOR_CALLER = "act_for_caller"
    LOGIN = "login"  # log in, step up, log out
    ACCOUNT = "account"  # one's own account: phone, password, bindings, proxies, inbox settings
    HANDLE = "handle"  # staff work on the console: applications, halls, audit trail, account unlocks
    EVALUATE = "evaluate"  # rate a finished service (好差评, LD/T 01 7)


@dataclass(frozen=True)
class ChannelPolicy:
    channel: Channel
    label: str
    login_methods: tuple[LoginMethod, ...]
    idle_timeout_s: int
    absolute_timeout_s: int
    operations: frozenset[Operation]
    #: How long acting for someone else lasts once they are verified (the hotline's caller delegation).
    delegation_s: int | None = None

    def allows(self, op: Operation) -> bool:
        return op in self.operations


POLICIES: dict[Channel, ChannelPolicy] = {
    Channel.WEB: ChannelPolicy(
        channel=Channel.WEB,
        label="网上服务大厅",
        login_methods=(
            LoginMethod.PASSWORD,
            LoginMethod.PASSWORD_SMS,
            LoginMethod.ESSC,
            LoginMethod.ESSC_QR,
            LoginMethod.CERTIFICATE,
            LoginMethod.WECHAT,
            LoginMethod.ALIPAY,
        ),
        idle_timeout_s=30 * 60,
        absolute_timeout_s=8 * 3600,
        operations=frozenset(
            {
                Operation.LOGIN,
                Operation.ACCOUNT,
                Operation.QUERY,
                Operation.APPLY,
                Operation.BOOK,
                Operation.DOWNLOAD,
                Operation.EVALUATE,
            }
        ),
    ),
    Channel.MINIPROGRAM: ChannelPolicy(
        channel=Channel.MINIPROGRAM,
        label="微信小程序",
        login_methods=(LoginMethod.WECHAT, LoginMethod.ESSC, LoginMethod.PASSWORD_SMS),
        idle_timeout_s=30 * 60,
        absolute_timeout_s=7 * 24 * 3600,
        operations=frozenset(
            {
                Operation.LOGIN,
                Operation.ACCOUNT,
                Operation.QUERY,
                Operation.APPLY,
                Operation.BOOK,
                Operation.DOWNLOAD,
                Operation.EVALUATE,
            }
        ),
    ),
    # A kiosk stands in a public hall: the session must die soon after the person walks away.
    Channel.KIOSK: ChannelPolicy(
        channel=Channel.KIOSK,
        label="自助服务终端",
        login_methods=(LoginMethod.CARD_PIN, LoginMethod.ESSC_QR),
        idle_timeout_s=90,
        absolute_timeout_s=10 * 60,
        operations=frozenset(
            {Operation.LOGIN, Operation.QUERY, Operation.APPLY, Operation.BOOK, Operation.PRINT, Operation.EVALUATE}
        ),
    ),
    # The staff console: a staff session lasts a shift but dies after 15 idle minutes; inside it, an agent acts
    # for a verified caller only for a short, scoped delegation.
    Channel.HOTLINE: ChannelPolicy(
        channel=Channel.HOTLINE,
        label="12333 热线坐席",
        login_methods=(LoginMethod.STAFF_TOTP,),
        idle_timeout_s=15 * 60,
        absolute_timeout_s=10 * 3600,
        operations=frozenset(
            {Operation.LOGIN, Operation.QUERY, Operation.BOOK, Operation.ACT_FOR_CALLER, Operation.HANDLE}
        ),
        delegation_s=15 * 60,
    ),
}

#: URL prefixes of the channels that have pages of their own; everything else is the web site.
_PREFIXES = (("/kiosk/", Channel.KIOSK), ("/hotline/", Channel.HOTLINE))
CHANNEL_HEADER = "X-Shebao-Channel"


def policy_for(channel: Channel) -> ChannelPolicy:
    return POLICIES[channel]


def channel_for_request(path: str, header_value: str | None) -> Channel:
    """The channel a request came through: by page prefix, or for the API by the client's header."""
    for prefix, channel in _PREFIXES:
        if path.startswith(prefix):
            return channel
    if path.startswith("/api/") and header_value:
        try:
            return Channel(header_value.strip().lower())
        except ValueError:
            return Channel.WEB
    return Channel.WEB
