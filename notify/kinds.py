"""The kinds of message, the channels that carry them, and the life of one outbox row."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a message is delivered (LD/T 01 5.1 b, 5.3.1 c: platform message, SMS, instant messaging)."""

    INBOX = "inbox"
    SMS = "sms"
    WECHAT = "wechat"

    @property
    def label(self) -> str:
        return {"inbox": "站内信", "sms": "短信", "wechat": "微信订阅消息"}[self.value]


class MessageKind(StrEnum):
    """What a message is about (LD/T 01 5.4.4 a: policy, progress, results; b: data, account, benefits)."""

    APPOINTMENT_BOOKED = "appointment_booked"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_REMINDER = "appointment_reminder"
    APPLICATION_PROGRESS = "application_progress"
    APPLICATION_RESULT = "application_result"
    LOGIN_CODE = "login_code"
    DOCUMENT_LINK = "document_link"  # a download link a 12333 agent sends while the caller is on the line
    BENEFIT_CHANGE = "benefit_change"
    ACCOUNT_CHANGE = "account_change"
    POLICY = "policy"
    #: A reply, a request for more information or the outcome of a consultation or complaint (LD/T 01 5.5.3, 5.5.5).
    CONSULT_UPDATE = "consult_update"

    @property
    def legally_required(self) -> bool:
        """Handling results and benefit changes must reach the person: always at least the inbox."""
        # Regulation Art. 20, 22 (results are notified); benefit stops and changes are decisions (5.4.4 b).
        return self in (MessageKind.APPLICATION_RESULT, MessageKind.BENEFIT_CHANGE)

    @property
    def urgent(self) -> bool:
        """Urgent SMS ignore quiet hours: a login code is useless at 08:00 the next morning."""
        return self in _ON_REQUEST

    @property
    def configurable(self) -> bool:
        """Whether a person chooses its channels; not for what they asked for this minute (codes, links)."""
        return self not in _ON_REQUEST

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def default_channels(self) -> frozenset[Channel]:
        """Channels used when the person has chosen nothing for this kind."""
        return _DEFAULTS[self]

    @property
    def allowed_channels(self) -> frozenset[Channel]:
        """Channels a person may choose for this kind (login codes only ever go by SMS)."""
        if self in _ON_REQUEST:
            return frozenset({Channel.SMS})
        return frozenset(Channel)


#: Sent by SMS at once, whatever the hour and preferences: the person asked for it and is waiting.
_ON_REQUEST = frozenset({MessageKind.LOGIN_CODE, MessageKind.DOCUMENT_LINK})

_LABELS = {
    MessageKind.APPOINTMENT_BOOKED: "预约成功",
    MessageKind.APPOINTMENT_CANCELLED: "预约取消",
    MessageKind.APPOINTMENT_REMINDER: "预约提醒",
    MessageKind.APPLICATION_PROGRESS: "办理进度",
    MessageKind.APPLICATION_RESULT: "办理结果",
    MessageKind.LOGIN_CODE: "短信验证码",
    MessageKind.DOCUMENT_LINK: "证明下载链接",
    MessageKind.BENEFIT_CHANGE: "待遇变动",
    MessageKind.ACCOUNT_CHANGE: "账户与个人信息变动",
    MessageKind.POLICY: "政策与服务通知",
    MessageKind.CONSULT_UPDATE: "咨询投诉答复",
}

_INBOX = frozenset({Channel.INBOX})
_INBOX_SMS = frozenset({Channel.INBOX, Channel.SMS})
_INBOX_SMS_WECHAT = frozenset({Channel.INBOX, Channel.SMS, Channel.WECHAT})
_DEFAULTS = {
    MessageKind.APPOINTMENT_BOOKED: _INBOX_SMS_WECHAT,
    MessageKind.APPOINTMENT_CANCELLED: _INBOX_SMS_WECHAT,
    MessageKind.APPOINTMENT_REMINDER: _INBOX_SMS_WECHAT,
    MessageKind.APPLICATION_PROGRESS: frozenset({Channel.INBOX, Channel.WECHAT}),
    MessageKind.APPLICATION_RESULT: _INBOX_SMS_WECHAT,
    MessageKind.LOGIN_CODE: frozenset({Channel.SMS}),
    MessageKind.DOCUMENT_LINK: frozenset({Channel.SMS}),
    MessageKind.BENEFIT_CHANGE: _INBOX_SMS,
    MessageKind.ACCOUNT_CHANGE: _INBOX_SMS,
    MessageKind.POLICY: _INBOX,
    MessageKind.CONSULT_UPDATE: _INBOX_SMS,
}


class MessageStatus(StrEnum):
    """created → sending → accepted (SMS awaiting its receipt) → delivered;
    or temporary_failure → retried with backoff → permanent_failure."""

    CREATED = "created"
    SENDING = "sending"
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"

    @property
    def label(self) -> str:
        return {
            "created": "待发送",
            "sending": "发送中",
            "accepted": "已提交，等待回执",
            "delivered": "已送达",
            "temporary_failure": "暂时失败，等待重试",
            "permanent_failure": "发送失败",
        }[self.value]


#: Statuses the dispatcher may claim.
DUE_STATUSES = (MessageStatus.CREATED, MessageStatus.TEMPORARY_FAILURE)
