"""Which channels carry which kind of message for a person (issue 7 "Preferences")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.wechat_ids import WeChatApp, WeChatIdentity
from notify.kinds import Channel, MessageKind
from notify.models import NotifyPreference


class PreferenceError(ValueError):
    """A choice of channels that cannot be saved; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parse(raw: str) -> frozenset[Channel]:
    return frozenset(Channel(c) for c in raw.split(",") if c)


def chosen_channels(session: Session, person_id: int, kind: MessageKind) -> frozenset[Channel]:
    """What the person chose for ``kind`` (or its defaults), with the inbox forced for legal notices."""
    row = session.get(NotifyPreference, (person_id, kind))
    channels = _parse(row.channels) if row is not None else kind.default_channels
    channels &= kind.allowed_channels
    if kind.legally_required:
        channels |= {Channel.INBOX}  # results and benefit stops always reach at least the inbox
    return channels


def has_wechat(session: Session, person_id: int) -> bool:
    """A subscribe message needs a mini-program openid: a website-app (扫码登录) openid cannot receive one, so a
    person who only ever scanned in on the website has no WeChat channel (issue 14)."""
    return (
        session.scalar(
            select(Credential.id)
            .join(WeChatIdentity, WeChatIdentity.openid == Credential.identifier)
            .where(
                Credential.person_id == person_id,
                Credential.kind == CredentialKind.WECHAT,
                WeChatIdentity.app == WeChatApp.MINIPROGRAM,
            )
            .limit(1)
        )
        is not None
    )


def delivery_channels(session: Session, person_id: int, kind: MessageKind) -> frozenset[Channel]:
    """The channels a message of ``kind`` is queued on now."""
    channels = chosen_channels(session, person_id, kind)
    if Channel.WECHAT in channels and not has_wechat(session, person_id):
        channels -= {Channel.WECHAT}
    return channels


def all_preferences(session: Session, person_id: int) -> dict[MessageKind, frozenset[Channel]]:
    """Every kind a person may configure, with the current choice."""
    return {k: chosen_channels(session, person_id, k) for k in MessageKind if k.configurable}


def set_channels(session: Session, person_id: int, kind: MessageKind, channels: set[Channel]) -> None:
    """Save a choice (no commit). Legal notices must keep the inbox; login codes cannot be configured."""
    kind = MessageKind(kind)
    channels = {Channel(c) for c in channels}
    if not kind.configurable:
        raise PreferenceError(f"“{kind.label}”只能通过短信发送，不能更改。")
    if kind.legally_required and Channel.INBOX not in channels:
        raise PreferenceError(f"“{kind.label}”是依法必须告知的消息，至少要保留站内信。")
    value = ",".join(sorted(c.value for c in channels))
    row = session.get(NotifyPreference, (person_id, kind))
    if row is None:
        session.add(NotifyPreference(person_id=person_id, kind=kind, channels=value, updated_at=clock.now()))
    else:
        row.channels, row.updated_at = value, clock.now()
