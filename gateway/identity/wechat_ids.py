"""WeChat identities kept apart and joined correctly (issue 14).

WeChat gives one person a different openid in every app: the mini-program's openid and the website app's
(``snsapi_login``) openid are two credentials, each good only for its own app. What ties them to one WeChat user
is the unionid, the same across the apps of one open-platform account. So every openid the gateway learns from
WeChat is recorded with the app it belongs to and its unionid (:class:`WeChatIdentity`), and an openid seen for
the first time whose unionid already belongs to a bound openid of another app is bound to that person.

A subscribe message can only be sent to the openid that accepted its template, in the mini-program, and each
one-off acceptance allows one message (:class:`SubscribeGrant`; the notify side consumes them). No Flask here.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.db import Base, UtcDateTime, enum_column
from gateway.identity.models import Credential, CredentialKind, EventKind, Person
from gateway.identity.service import bind_credential, record_event, utcnow


class WeChatApp(enum.StrEnum):
    """Which of the agency's WeChat apps issued an openid."""

    MINIPROGRAM = "miniprogram"  # wx.login → code2Session
    WEBSITE = "website"  # 网站应用微信登录 (snsapi_login)

    @property
    def label(self) -> str:
        return {"miniprogram": "微信小程序", "website": "微信扫码登录（网站）"}[self.value]


class WeChatIdentity(Base):
    """One openid as WeChat named it: the app it belongs to and, when WeChat told us, its unionid."""

    __tablename__ = "wechat_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(128), unique=True)
    app: Mapped[WeChatApp] = mapped_column(enum_column(WeChatApp, 16))
    unionid: Mapped[str | None] = mapped_column(String(128), index=True, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubscribeGrant(Base):
    """How many more messages of one template a mini-program openid accepted (``wx.requestSubscribeMessage``:
    each one-off "允许" allows one message)."""

    __tablename__ = "wechat_subscribe_grant"
    __table_args__ = (UniqueConstraint("openid", "template_id", name="uq_wechat_subscribe_grant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(ForeignKey("wechat_identity.openid", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


#: The most one-off acceptances kept per openid and template: a person tapping "允许" a hundred times does not
#: buy a hundred messages from the gateway's side (WeChat keeps its own count and refuses with 43101).
MAX_REMAINING = 10


def seen(session: Session, app: WeChatApp, openid: str, unionid: str | None) -> WeChatIdentity:
    """Record (or refresh) what WeChat told us about ``openid``. Flushes.

    An openid never changes app; a unionid once learnt is kept (WeChat omits it in some answers)."""
    now = utcnow()
    row = session.scalar(select(WeChatIdentity).where(WeChatIdentity.openid == openid))
    if row is None:
        row = WeChatIdentity(openid=openid, app=app, unionid=unionid or None, first_seen_at=now, last_seen_at=now)
        session.add(row)
    else:
        row.last_seen_at = now
        if unionid and not row.unionid:
            row.unionid = unionid
    session.flush()
    return row


def app_of(session: Session, openid: str) -> WeChatApp | None:
    return session.scalar(select(WeChatIdentity.app).where(WeChatIdentity.openid == openid))


def person_by_unionid(session: Session, unionid: str | None, besides: str) -> Person | None:
    """The person a bound openid with this unionid (other than ``besides``) belongs to, if exactly one."""
    if not unionid:
        return None
    owners = set(
        session.scalars(
            select(Credential.person_id)
            .join(WeChatIdentity, WeChatIdentity.openid == Credential.identifier)
            .where(
                Credential.kind == CredentialKind.WECHAT,
                WeChatIdentity.unionid == unionid,
                WeChatIdentity.openid != besides,
            )
        )
    )
    # Two people behind one unionid cannot happen through the gateway; if it did, join nobody.
    return session.get(Person, owners.pop()) if len(owners) == 1 else None


def join_by_unionid(session: Session, app: WeChatApp, openid: str, unionid: str | None, channel: str) -> Person | None:
    """Record the openid; if it is bound, its person; if not, and its unionid belongs to someone's other WeChat
    credential, bind this openid to them as a credential of its own and return them. Flushes.

    The unionid is WeChat's word that both openids are the same WeChat user, who was proved to be this real
    person when the first one was bound (SMS code to the registered phone): the second app needs no new proof."""
    seen(session, app, openid, unionid)
    bound = session.scalar(
        select(Credential).where(Credential.kind == CredentialKind.WECHAT, Credential.identifier == openid)
    )
    if bound is not None:
        return bound.person
    person = person_by_unionid(session, unionid, besides=openid)
    if person is None:
        return None
    bind_credential(session, person, CredentialKind.WECHAT, openid, channel=channel)
    record_event(
        session,
        EventKind.OPERATION,
        person_id=person.id,
        method=CredentialKind.WECHAT.value,
        channel=channel,
        detail=f"{app.label}按微信 UnionID 关联到已绑定的微信账号",
    )
    return person


def grant(session: Session, openid: str, accepted: list[str], now: datetime | None = None) -> dict[str, int]:
    """Add one one-off acceptance per template id in ``accepted`` for a mini-program openid. Flushes.

    Returns the remaining count per template after the addition."""
    now = now or utcnow()
    out: dict[str, int] = {}
    for template_id in dict.fromkeys(accepted):
        row = session.scalar(
            select(SubscribeGrant).where(SubscribeGrant.openid == openid, SubscribeGrant.template_id == template_id)
        )
        if row is None:
            row = SubscribeGrant(openid=openid, template_id=template_id, remaining=0, updated_at=now)
            session.add(row)
        row.remaining = min(MAX_REMAINING, (row.remaining or 0) + 1)
        row.updated_at = now
        out[template_id] = row.remaining
    session.flush()
    return out
