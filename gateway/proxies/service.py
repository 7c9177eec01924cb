"""Grant, list, use and revoke proxies. The grantor names the proxy by ID number and name, both checked against the
back office; the proxy must have a real-name account of their own, so every action is done as a known person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import clock
from gateway.backoffice.interface import BackOffice
from gateway.factors import FactorChange, factor_changed
from gateway.identity.documents import Document
from gateway.identity.models import Person
from gateway.identity.service import find_person, identity_of, record_operation
from gateway.problems import UserError
from gateway.proxies.models import ProxyGrant, ProxyScope
from gateway.security.pii import PiiVault
from gateway.validation import DocumentType, mask_id_number, mask_name

MAX_ACTIVE = 3
#: The periods a grant can run for; a year at most, so grants are renewed on purpose rather than forgotten.
PERIODS = {3: "3 个月", 6: "6 个月", 12: "1 年"}
#: One answer for an unknown person, a wrong name and a person without an account: no way to probe who exists.
NOT_FOUND = "没有找到与该身份证号码和姓名相符的已实名注册用户。代办人需先在本平台实名注册。"


class ProxyRefused(UserError):
    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True)
class GrantView:
    grant: ProxyGrant
    other_masked_name: str
    other_masked_id: str

    @property
    def id(self) -> int:
        return self.grant.id


ALREADY_GRANTED = "您已授权过这位代办人。如需更改期限，请先解除后重新授权。"


def grant(
    session: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    *,
    grantor_id: int,
    proxy_id_number: str,
    proxy_name: str,
    months: int,
    now: datetime,
    proxy_document: Document | None = None,
) -> ProxyGrant:
    """Let the person named by ``proxy_id_number`` + ``proxy_name`` book for the grantor; ``proxy_document`` names
    them by another identity document instead (LD/T 01 6.2.3 b: the back office says whose it is).
    ``now`` is an instant (a naive value is Beijing wall-clock time), as in every function here."""
    now = clock.utc(now)
    if months not in PERIODS:
        raise ProxyRefused("bad_period", "请选择授权期限。", 400)
    shown = mask_id_number(proxy_id_number)
    if proxy_document is not None and proxy_document.doc_type is not DocumentType.RESIDENT_ID:
        record = backoffice.find_by_document(proxy_document.doc_type, proxy_document.number)
        proxy_id_number = record.id_number if record else proxy_document.number
        shown = f"{proxy_document.doc_type.label} {proxy_document.masked}"
    else:
        record = backoffice.find_person(proxy_id_number)
    proxy = find_person(session, vault, proxy_id_number)
    if record is None or proxy is None or record.name != proxy_name.strip():
        raise ProxyRefused("proxy_not_found", NOT_FOUND, 404)
    if proxy.id == grantor_id:
        raise ProxyRefused("self_grant", "不能授权本人为自己的代办人。", 400)
    live = active_grants_by(session, grantor_id, now)
    if any(g.proxy_id == proxy.id for g in live):
        raise ProxyRefused("already_granted", ALREADY_GRANTED)
    if len(live) >= MAX_ACTIVE:
        raise ProxyRefused("too_many", f"最多可同时授权 {MAX_ACTIVE} 位代办人，请先解除一位。")
    row = ProxyGrant(
        grantor_id=grantor_id,
        proxy_id=proxy.id,
        scope=ProxyScope.BOOK,
        created_at=now,
        valid_until=now + timedelta(days=30 * months),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # The same grant made in another request at this instant: the failed flush rolled the transaction back.
        session.rollback()
        raise ProxyRefused("already_granted", ALREADY_GRANTED) from None
    record_operation(session, grantor_id, f"授权 {mask_name(record.name)}（{shown}）代办预约，{PERIODS[months]}")
    record_operation(session, proxy.id, "被授权为他人代办预约")
    # Someone else may now act for the grantor: their other sessions end and they are told (issue 13).
    factor_changed(session, grantor_id, FactorChange.PROXY_GRANTED)
    return row


#: A grant not revoked and not run out at the bind parameter ``now`` (give it :func:`live_at`).
LIVE = and_(ProxyGrant.revoked_at.is_(None), ProxyGrant.valid_until > bindparam("now"))


def live_at(now: datetime, **params: object) -> dict[str, object]:
    """The parameters of a statement that uses :data:`LIVE`."""
    return {"now": clock.utc(now), **params}


def held_grant(session: Session, *, grant_id: int, proxy_id: int, now: datetime) -> ProxyGrant | None:
    """Grant ``grant_id`` if ``proxy_id`` holds it and it is live now, else None."""
    return session.scalar(
        select(ProxyGrant).where(ProxyGrant.id == grant_id, ProxyGrant.proxy_id == proxy_id, LIVE), live_at(now)
    )


def live_grant_exists(*, proxy_id, grantor_id) -> ColumnElement[bool]:
    """A SQL condition: ``proxy_id`` holds a booking grant from ``grantor_id`` live at ``now`` (each a value, a
    column or a bind parameter, so a query over bookings can keep only those whose proxy may still act; the
    query is given ``now`` by :func:`live_at`)."""
    return exists().where(
        ProxyGrant.proxy_id == proxy_id,
        ProxyGrant.grantor_id == grantor_id,
        ProxyGrant.scope == ProxyScope.BOOK,
        LIVE,
    )


# Built once: on the booking page, building these statements cost more than running them (issue 18).
_GRANTS_BY = select(ProxyGrant).where(ProxyGrant.grantor_id == bindparam("person_id"), LIVE)
_GRANTS_HELD = select(ProxyGrant).where(ProxyGrant.proxy_id == bindparam("person_id"), LIVE)


def active_grants_by(session: Session, grantor_id: int, now: datetime) -> list[ProxyGrant]:
    return list(session.scalars(_GRANTS_BY, live_at(now, person_id=grantor_id)))


def _views(session: Session, vault: PiiVault, grants: list[ProxyGrant], other: str) -> list[GrantView]:
    out = []
    for g in grants:
        person = session.get(Person, getattr(g, other))
        who = identity_of(vault, person)
        out.append(GrantView(g, mask_name(who.name), mask_id_number(who.id_number)))
    return out


def my_proxies(session: Session, vault: PiiVault, grantor_id: int, now: datetime) -> list[GrantView]:
    """The people who may act for ``grantor_id`` now."""
    return _views(session, vault, active_grants_by(session, grantor_id, now), "proxy_id")


def acting_for(session: Session, vault: PiiVault, proxy_id: int, now: datetime) -> list[GrantView]:
    """The people ``proxy_id`` may act for now."""
    grants = list(session.scalars(_GRANTS_HELD, live_at(now, person_id=proxy_id)))
    return _views(session, vault, grants, "grantor_id")


def may_act(session: Session, *, proxy_id: int, grantor_id: int, scope: ProxyScope, now: datetime) -> bool:
    return (
        session.scalar(
            select(ProxyGrant.id).where(
                ProxyGrant.proxy_id == proxy_id,
                ProxyGrant.grantor_id == grantor_id,
                ProxyGrant.scope == scope,
                LIVE,
            ),
            live_at(now),
        )
        is not None
    )


def revoke(session: Session, *, grant_id: int, person_id: int, now: datetime) -> None:
    """End a grant; either side may."""
    now = clock.utc(now)
    row = session.get(ProxyGrant, grant_id)
    if row is None or person_id not in (row.grantor_id, row.proxy_id) or row.revoked_at is not None:
        raise ProxyRefused("no_such_grant", "没有找到该授权。", 404)
    side = "grantor" if person_id == row.grantor_id else "proxy"
    session.execute(
        update(ProxyGrant)
        .where(ProxyGrant.id == grant_id, ProxyGrant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=side)
    )
    detail = "解除代办授权" if side == "grantor" else "放弃代办授权"
    record_operation(session, row.grantor_id, detail)
    record_operation(session, row.proxy_id, detail)
    session.flush()
