"""The request edge of the Actor (DESIGN "Use cases and the Actor", steps 1 and 2): one function builds who is
acting on this request, and one gate enforces what each route declared before its view runs.

The Actor comes from the bearer token (mini-program, kiosk apps) when the request carries one, else from the
session cookie; a session serves only the channel it was made on (a kiosk session is nobody on the web site), a
kiosk session only at its own hall, and a hotline agent acts for a caller only inside a live delegation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from flask import Flask, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from gateway import clock
from gateway.access.needs import Audience, Need, need_of
from gateway.actor import Actor, ActorKind, audit
from gateway.callers import delegation as delegations
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel
from gateway.channel_policy import CHANNEL_HEADER, Operation, channel_for_request, policy_for
from gateway.identity import web_sessions
from gateway.identity.models import Person
from gateway.identity.service import FACTORS_CHANGED, Identity, IdentityError, identity_of, mask_ip
from gateway.identity.tokens import read_access_token
from gateway.problems import UserError
from gateway.proxies import service as proxies
from gateway.request_db import get_session
from gateway.staff.models import AuditAction, Staff
from gateway.units.models import UnitAccount
from gateway.units.service import clerk_actor, holder_actor
from notify.inbox import unread_count_column

#: Where the logged-in person's unread inbox count waits for the page header (read with the person: one query).
UNREAD_KEY = "inbox_unread"

log = logging.getLogger("shebao.access")

CHANNEL_KEY = "channel"
#: The person's session epoch when this session logged in; an older one than the person's is a dead session.
EPOCH_KEY = "epoch"
#: Clerks act for a unit only from a session of at least this level (unit data is about other people).
CLERK_LEVEL = 2
#: Endpoints Flask adds itself (static files): no view of ours, nothing to declare.
_FLASK_ENDPOINTS = frozenset({"static"})


def _vault():
    return current_app.extensions["shebao_vault"]


def request_channel() -> Channel:
    """The channel of this request (tagged by the request log; computed here when an earlier hook refused the
    request before the log ran, e.g. a CSRF failure rendering its error page)."""
    if "channel" not in g:
        g.channel = channel_for_request(request.path, request.headers.get(CHANNEL_HEADER))
    return g.channel


# ---------------------------------------------------------------- sessions: made on one channel


def begin_session(channel: Channel, **data: Any) -> None:
    """A fresh session with a new id (no fixation) on ``channel``, keeping only the elder-mode choice."""
    elder = session.get("elder")
    session.clear()
    web_sessions.rotate()
    if elder is not None:
        session["elder"] = elder
    session[CHANNEL_KEY] = channel.value
    session.update(data)
    if data.get("person_id") is not None:
        session[EPOCH_KEY] = _epoch_of(data["person_id"])
    session.permanent = False
    actor_changed()


def _epoch_of(person_id: int) -> int:
    person = get_session().get(Person, person_id)
    return person.session_epoch if person is not None else 0


def _keep_this_session(response):
    """A login factor of the person logged in here changed on this request: every other session ended, this one
    goes on under the new epoch with a new id (issue 13; ASVS 5.0 7.4.3)."""
    db = g.get("db_session")
    changed = db.info.get(FACTORS_CHANGED, set()) if db is not None else set()
    person_id = session.get("person_id")
    if response.status_code < 400 and person_id is not None and person_id in changed:
        session[EPOCH_KEY] = _epoch_of(person_id)
        web_sessions.rotate()
    return response


def start_staff_session(staff: Staff) -> None:
    """A fresh console session holding only the staff member (no fixation, no leftover citizen)."""
    begin_session(Channel.HOTLINE, staff_id=staff.id, staff_at=int(time.time()))


def end_session(*, keep_elder: bool = False) -> None:
    """Log out: the session is emptied (keeping the elder-mode choice when asked)."""
    elder = session.get("elder")
    session.clear()
    if keep_elder and elder is not None:
        session["elder"] = elder
    actor_changed()


def session_channel() -> str | None:
    """The channel this session was made on."""
    return session.get(CHANNEL_KEY)


# ---------------------------------------------------------------- the Actor


def current_actor() -> Actor:
    """Who is acting on this request, built once."""
    if "actor" not in g:
        g.actor = _build_actor()
    return g.actor


def _build_actor() -> Actor:
    channel = request_channel()
    base = {"channel": channel, "ip": mask_ip(request.remote_addr), "request_id": g.get("request_id")}
    need: Need | None = g.get("need")
    if need is not None and need.audience is Audience.OPERATOR:
        return Actor(**base)  # the operations token is a system's, never a person's
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and _is_api():  # bearer tokens are the API's; pages go by the cookie
        return _from_bearer(header.removeprefix("Bearer ").strip(), base)
    if session_channel() != channel.value:
        return Actor(**base)
    if _is_api() and channel is not Channel.WEB:
        # The kiosk and mini-program reach the API with their bearer tokens; a cookie there is only the web
        # site's own scripts.
        return Actor(**base)
    if channel is Channel.HOTLINE:
        return _staff_actor(base)
    if channel is Channel.KIOSK:
        # A kiosk session is good at the hall where it was made, nowhere else.
        hall = (request.view_args or {}).get("hall_code")
        if hall is not None and session.get("kiosk_hall") != hall:
            return Actor(**base)
    return _person_actor(base)


def _take_proxy_grant(need: Need) -> None:
    """A citizen booking for someone who authorised them (Regulation Art. 30): ``for`` names the grant, checked
    on every request, and the grantor goes on the Actor. Only booking operations carry it, so a grant never
    opens the grantor's other records: on any other page ``for`` means nothing."""
    raw = request.values.get("for")
    if not raw or need.operation is not Operation.BOOK:
        return
    actor = current_actor()
    if actor.kind is not ActorKind.PERSON:
        return
    db = get_session()
    grant = None
    if raw.isdigit() and len(raw) <= 9:
        grant = proxies.held_grant(db, grant_id=int(raw), proxy_id=actor.person.person_id, now=clock.now())
    if grant is not None:
        grantor = identity_of(_vault(), db.get(Person, grant.grantor_id))
        g.actor = replace(actor, on_behalf_of=grantor, proxy_grant_id=grant.id)
        return
    # The refusal page is rendered for the person as themselves (g.actor stays as built).
    raise UserError("invalid_parameter", "代办授权已失效或不存在，请返回重新选择。", 400)


def _from_bearer(token: str, base: dict) -> Actor:
    try:
        claims = read_access_token(current_app.config["SECRET_KEY"], token)
    except IdentityError as exc:
        # A bad or expired token is a 401 (that makes the client refresh), never a fall back to the cookie.
        raise UserError(exc.code, exc.message, 401) from exc
    # A token serves the channel it was issued for (its policy set its timeouts): a kiosk's, nowhere else.
    if claims.channel != base["channel"].value:
        raise UserError("wrong_channel", "登录凭证不适用于该渠道，请重新登录。", 401)
    person = get_session().get(Person, claims.person_id)
    if person is None:
        return Actor(**base)
    if claims.epoch != person.session_epoch:
        # A login factor changed after the token was made: its API session ended then (ASVS 5.0 7.4.3).
        raise UserError("session_revoked", "账户登录信息已变更，请重新登录。", 401)
    return Actor(**base, kind=ActorKind.PERSON, level=claims.level, person=identity_of(_vault(), person))


def _person_actor(base: dict) -> Actor:
    db = get_session()
    level = int(session.get("auth_level", 0))
    identity = None
    person_id = session.get("person_id")
    if person_id is not None:
        # The person and the header's unread count came with the session row (issue 18: one statement for the
        # three); a store that cannot join them (Redis) costs one more.
        found = web_sessions.session_person()
        if found is not None and found.person_id == person_id and found.extra:
            person, unread = found.person, found.extra[0]
        else:
            row = db.execute(select(Person, unread_count_column(person_id)).where(Person.id == person_id)).first()
            person, unread = (row[0], row[1]) if row is not None else (None, 0)
        if person is not None:
            g.setdefault(UNREAD_KEY, int(unread or 0))
        if person is not None and int(session.get(EPOCH_KEY, 0)) != person.session_epoch:
            # A login factor changed on another session: this one ended then (ASVS 5.0 7.4.3, issue 13).
            end_session(keep_elder=True)
            return Actor(**base)
        identity = identity_of(_vault(), person) if person is not None else None
    unit = None
    if session.get("unit_id") is not None and session.get("unit_cert"):
        account = db.get(UnitAccount, session["unit_id"])
        unit = holder_actor(account, session["unit_cert"]) if account is not None else None
    elif session.get("acting_clerk_id") is not None and identity is not None and level >= CLERK_LEVEL:
        unit = clerk_actor(
            db,
            _vault(),
            session["acting_clerk_id"],
            identity.person_id,
            identity.id_number,
            identity.name,
            clock.today(),
        )
    if unit is None and session.get("acting_clerk_id") is not None:
        session.pop("acting_clerk_id", None)  # revoked or expired: the clerkship ends at once
    if unit is not None:
        return Actor(**base, kind=ActorKind.UNIT, level=level, person=identity, unit=unit)
    if identity is None:
        return Actor(**base)
    return Actor(**base, kind=ActorKind.PERSON, level=level, person=identity)


def _staff_actor(base: dict) -> Actor:
    staff_id = session.get("staff_id")
    staff = get_session().get(Staff, staff_id) if staff_id is not None else None
    if staff is None or not staff.active:
        return Actor(**base)
    caller = None
    found = delegations.read(session.get(delegations.SESSION_KEY), staff.id)
    if found is not None and delegations.is_live(found, hotline_clock()):
        person = get_session().get(Person, found.person_id)
        caller = identity_of(_vault(), person) if person is not None else None
    return Actor(
        **base,
        kind=ActorKind.STAFF,
        level=2,  # password + TOTP
        staff_id=staff.id,
        staff_roles=frozenset(staff.roles),
        staff_department=staff.department,
        on_behalf_of=caller,
    )


def end_delegation(actor: Actor, reason: str) -> None:
    """Drop the agent's delegation from the session and record why, naming the caller (no commit)."""
    found = delegations.read(session.pop(delegations.SESSION_KEY, None), actor.staff_id or -1)
    if found is not None:
        delegations.record_end(get_session(), actor, found, reason)


def current_identity() -> Identity | None:
    """The citizen logged in on this request's channel (None for a session made on another channel)."""
    return current_actor().person


def current_level() -> int:
    """The assurance level this request's actor reached (0 when nobody is logged in)."""
    actor = current_actor()
    return actor.level if actor.person is not None or actor.unit is not None else 0


def current_staff() -> Staff | None:
    """The logged-in, still active staff member of this request (the console's own pages)."""
    actor = current_actor()
    return get_session().get(Staff, actor.staff_id) if actor.is_staff else None


def audit_here(action: AuditAction, *, person_id: int | None = None, detail: str = "") -> None:
    """Record what the current staff member did, with this request's masked IP and request id (no commit)."""
    audit(get_session(), current_actor(), action, person_id=person_id, detail=detail)


def hotline_clock() -> float:
    """Epoch seconds for delegations and caller codes, by the one clock (tests move it with
    ``gateway.clock.set_clock``)."""
    return clock.timestamp()


def actor_changed() -> None:
    """The session changed who is acting (login, logout, step-up): build the Actor afresh when next asked."""
    g.pop("actor", None)


# ---------------------------------------------------------------- the one gate


def level_needed(need: Need) -> int:
    """The level a need asks for: its catalog item's, else its own."""
    item_id = need.item_id(request.view_args or {}, request.values)
    if item_id:
        catalog = load_catalog()
        if item_id in catalog:
            return max(need.level, int(catalog.get(item_id).assurance_level))
    return need.level


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _next_path() -> str:
    return request.full_path.rstrip("?")


def _refuse(code: str, message: str, status: int):
    raise UserError(code, message, status)


def check(need: Need):
    """Enforce ``need`` on this request: None to go on, or the response that replaces the view."""
    if need.audience is Audience.OPERATOR:
        return None  # the view checks the operations token itself
    if not policy_for(request_channel()).allows(need.operation):
        log.warning("operation %s refused on channel %s", need.operation, request_channel())
        _refuse("channel_forbidden", "该渠道不提供此项服务。", 403)
    if need.audience is Audience.PUBLIC:
        return None
    actor = current_actor()
    if need.audience in (Audience.STAFF, Audience.CALLER):
        return _check_staff(need, actor)
    if need.audience is Audience.UNIT:
        return _check_unit(actor)
    if actor.person is None:
        if _is_api():
            _refuse("login_required", "请先登录。", 401)
        return _to_login()
    level = level_needed(need)
    if actor.level < level:
        if _is_api():
            _refuse("step_up_required", f"该业务需要安全级别 {level}，请先完成身份核验。", 403)
        if request_channel() is Channel.WEB:
            return redirect(url_for("auth.step_up", level=level, next=_next_path()))
        _refuse("step_up_required", f"该业务需要安全级别 {level}，请先完成身份核验。", 403)
    return None


def _to_login():
    if request_channel() is Channel.KIOSK:
        hall = (request.view_args or {}).get("hall_code")
        if hall:
            return redirect(url_for("kiosk.home", hall_code=hall))
        return redirect(url_for("kiosk.index"))
    return redirect(url_for("auth.login", next=_next_path()))


def _check_unit(actor: Actor):
    if actor.unit is not None:
        return None
    if actor.person is not None:
        return redirect(url_for("units.act"))
    return redirect(url_for("auth_cert.login_certificate"))


def _check_staff(need: Need, actor: Actor):
    if not actor.is_staff:
        if _is_api():
            _refuse("login_required", "请先登录。", 401)
        return redirect(url_for("hotline.login", next=_next_path()))
    if need.roles and not actor.holds(*need.roles):
        _refuse("forbidden", "您没有权限进行此操作。", 403)
    if need.audience is Audience.CALLER and actor.on_behalf_of is None:
        found = delegations.read(session.get(delegations.SESSION_KEY), actor.staff_id)
        if found is not None:
            end_delegation(actor, "授权满 15 分钟，自动结束")
            return redirect(url_for("hotline_callers.start", ended="expired"))
        session.pop(delegations.SESSION_KEY, None)
        return redirect(url_for("hotline_callers.start"))
    return None


def _gate():
    endpoint = request.endpoint
    if endpoint is None or endpoint in _FLASK_ENDPOINTS:
        return None  # a 404 or 405 answers on its own
    need = need_of(current_app.view_functions[endpoint])
    if need is None:
        # Deny by default: a route that declared nothing is a programming error, never an open door.
        log.error("route %s declares no need", endpoint)
        _refuse("forbidden", "您没有权限进行此操作。", 403)
    g.need = need
    answer = check(need)
    if answer is None:
        _take_proxy_grant(need)
    return answer


def init_app(app: Flask) -> None:
    """Run the one gate before every view (after the request log has tagged the channel)."""
    app.before_request(_gate)
    app.after_request(_keep_this_session)
    web_sessions.read_with_person(app, unread_count_column)
