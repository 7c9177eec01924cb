"""Server-side web sessions (DESIGN "Identity": sessions per channel).

The cookie carries only a random token; the data lives in the ``web_session`` table, or in Redis when
``SHEBAO_REDIS_URL`` is set, keyed by the token's SHA-256 so a leaked table or key list cannot be
replayed as cookies. The data is stored encrypted (AES-GCM under the ``web_session.data`` purpose key, bound to
the session's key as associated data): a half-done registration, reset or phone change holds ID and phone numbers,
and neither a database dump nor a Redis snapshot may show them (Regulation Art. 49; ASVS 5.0 V14.2). Idle and
absolute timeouts come from :mod:`gateway.channel_policy` for the channel of the request. :func:`rotate` gives
the session a new token (at login and step-up: no fixation).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import Flask, Request, Response, current_app, g, has_app_context, session
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from gateway import clock
from gateway.channel_policy import CHANNEL_HEADER, channel_for_request, policy_for
from gateway.identity.models import Person, WebSession
from gateway.request_db import get_session
from gateway.security.pii import PiiError, PiiVault, Purpose

_CREATED = "_created"
_SEEN = "_seen"

#: Where the person read with the session row waits for the request edge (issue 18: one statement, not two).
PERSON_KEY = "shebao_session_person"
#: The app's columns read on the session's person in the same statement (``read_with_person``).
_COMPANIONS = "shebao_session_companions"


@dataclass(frozen=True)
class SessionPerson:
    """The person a stored session row names, read with it (None when the account is gone), and the values of
    the columns registered with :func:`read_with_person`, in their order."""

    person_id: int
    person: Person | None
    extra: tuple[Any, ...]


def read_with_person(app: Flask, *columns: Callable[[Any], Any]) -> None:
    """Read these columns (each built from the person id column) with the session row and its person, so a page
    pays one statement for the session, the person and, say, the header's unread count (issue 18)."""
    app.extensions[_COMPANIONS] = app.extensions.get(_COMPANIONS, ()) + columns


def session_person() -> SessionPerson | None:
    """The person read with this request's session row (the SQL store only), or None."""
    return g.get(PERSON_KEY)


# Writing "last seen" on every click would cost a write per request: refresh it once a sixth of the idle
# timeout has passed (web: every 5 minutes; kiosk: every 15 s), which bounds the error to that slack.
def _touch_every(idle_timeout_s: int) -> float:
    return max(15, idle_timeout_s / 6)


class ServerSession(CallbackDict, SessionMixin):
    """Session data kept on the server; ``token`` is what the cookie holds."""

    def __init__(self, initial: dict | None = None, token: str | None = None) -> None:
        def on_update(_self: ServerSession) -> None:
            _self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.modified = False
        self.rotate_requested = False
        self.old_token: str | None = None


def rotate() -> None:
    """Give the current session a new token, keeping its data (call at login and step-up)."""
    if isinstance(session, ServerSession):
        session.rotate_requested = True
        session.modified = True


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionCodec:
    """Session data to and from its stored form: JSON sealed for the ``web_session.data`` purpose and its row."""

    def __init__(self, vault: PiiVault) -> None:
        self._vault = vault

    def dump(self, key: str, data: dict) -> str:
        return self._vault.encrypt(json.dumps(data, ensure_ascii=False), Purpose.WEB_SESSION, key)

    def load(self, key: str, stored: str | bytes) -> dict | None:
        text = stored.decode() if isinstance(stored, bytes) else stored
        if text.startswith("{"):
            return json.loads(text)  # written in clear before sessions were sealed: read once, sealed when saved
        try:
            return json.loads(self._vault.decrypt(text, Purpose.WEB_SESSION, key))
        except (PiiError, ValueError):
            return None  # damaged, or copied from another session: no session


class SessionStore(Protocol):
    def load(self, key: str) -> dict | None: ...
    def save(
        self, key: str, data: dict, person_id: int | None, ttl_s: int, *, new: bool = False, replaces: str | None = None
    ) -> None:
        """Store the session under ``key``; ``new``: the key was just made, so there is nothing to read first;
        ``replaces``: the key of the session this one takes over from (a rotation), deleted in the same write."""

    def delete(self, key: str) -> None: ...


class SqlSessionStore:
    """Sessions in the gateway's database (the embedded mode, and any node without Redis)."""

    def __init__(self, app: Flask, codec: SessionCodec) -> None:
        self._sessions = app.extensions["shebao_sessionmaker"]
        self._codec = codec
        self._queries: dict[tuple, Select] = {}
        self._dropped_at: datetime | None = None

    def load(self, key: str) -> dict | None:
        if not has_app_context():
            with self._sessions() as db:
                row = db.get(WebSession, key)
                if row is None or row.expires_at < clock.now():
                    return None
                return self._codec.load(key, row.data)
        # In a request: on the request's own database session, with the person it names (and whatever columns
        # the edge asked for), so the person is in that session's identity map when the Actor is built.
        row = get_session().execute(self._query(current_app.extensions.get(_COMPANIONS, ())), {"key": key}).first()
        if row is None or row.expires_at < clock.now():
            return None
        if row.person_id is not None:
            g.setdefault(PERSON_KEY, SessionPerson(row.person_id, row[3], tuple(row[4:])))
        return self._codec.load(key, row.data)

    def _query(self, companions: tuple) -> Select:
        # Built once per set of columns: building the statement (its subqueries) cost more than running it.
        query = self._queries.get(companions)
        if query is None:
            query = (
                select(WebSession.data, WebSession.expires_at, WebSession.person_id, Person)
                .add_columns(*(column(WebSession.person_id) for column in companions))
                .outerjoin(Person, Person.id == WebSession.person_id)
                .where(WebSession.id == bindparam("key"))
            )
            self._queries[companions] = query
        return query

    def save(
        self, key: str, data: dict, person_id: int | None, ttl_s: int, *, new: bool = False, replaces: str | None = None
    ) -> None:
        now = clock.now()
        values = {
            "data": self._codec.dump(key, data),
            "person_id": person_id,
            "last_seen_at": now,
            "expires_at": now + timedelta(seconds=ttl_s),
        }
        # One transaction and no read: a new key is inserted, a known one updated in place (inserted after all
        # only if it was deleted meanwhile). Each statement is a round trip to PostgreSQL, and on the opening
        # morning every visitor's first page, every login's rotation and the page after it save (issue 18).
        with self._sessions() as db:
            if replaces is not None:
                db.execute(delete(WebSession).where(WebSession.id == replaces))
            if new or db.execute(update(WebSession).where(WebSession.id == key).values(values)).rowcount == 0:
                self._drop_dead(db, now)
                db.add(WebSession(id=key, created_at=now, **values))
            db.commit()

    def _drop_dead(self, db: Session, now: datetime) -> None:
        """Delete expired sessions, at most once a minute per process (``shebao cleanup`` does it too).

        A new session is a good moment, but not every one: under a rush every visitor's first page makes a
        session, and a DELETE per visitor took SQLite's write lock 16 times a second (issue 18)."""
        if self._dropped_at is not None and (now - self._dropped_at).total_seconds() < 60:
            return
        self._dropped_at = now
        db.execute(delete(WebSession).where(WebSession.expires_at < now))

    def delete(self, key: str) -> None:
        with self._sessions() as db:
            db.execute(delete(WebSession).where(WebSession.id == key))
            db.commit()


class RedisSessionStore:
    """Sessions in Redis, shared by every gateway node; Redis expires idle ones itself."""

    def __init__(self, url: str, codec: SessionCodec) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._codec = codec

    def load(self, key: str) -> dict | None:
        raw = self._redis.get(f"shebao:session:{key}")
        return self._codec.load(key, raw) if raw else None

    def save(
        self, key: str, data: dict, person_id: int | None, ttl_s: int, *, new: bool = False, replaces: str | None = None
    ) -> None:
        with self._redis.pipeline() as pipe:  # MULTI/EXEC: the old key goes with the new one's arrival
            if replaces is not None:
                pipe.delete(f"shebao:session:{replaces}")
            pipe.set(f"shebao:session:{key}", self._codec.dump(key, data), ex=ttl_s)
            pipe.execute()

    def delete(self, key: str) -> None:
        self._redis.delete(f"shebao:session:{key}")


class ServerSessionInterface(SessionInterface):
    """Flask's session, stored server-side, with the channel policy's timeouts."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    @staticmethod
    def _policy(request: Request):
        return policy_for(channel_for_request(request.path, request.headers.get(CHANNEL_HEADER)))

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app))
        if token and len(token) < 100:
            data = self.store.load(_key(token))
            if data is not None and self._alive(data, self._policy(request)):
                return ServerSession(data, token=token)
            if data is not None:
                self.store.delete(_key(token))
            # An unknown, expired or forged token: start afresh; the client's token is never adopted.
            fresh = ServerSession()
            fresh.old_token = token
            return fresh
        return ServerSession()

    @staticmethod
    def _alive(data: dict[str, Any], policy) -> bool:
        now = clock.timestamp()
        created = float(data.get(_CREATED, 0))
        seen = float(data.get(_SEEN, 0))
        return now - seen <= policy.idle_timeout_s and now - created <= policy.absolute_timeout_s

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        user_data = {k: v for k, v in session.items() if k not in (_CREATED, _SEEN)}
        if not user_data:
            if session.token:
                self.store.delete(_key(session.token))
            if session.token or session.old_token:
                response.delete_cookie(name, domain=domain, path=path)
            return
        now = clock.timestamp()
        policy = self._policy(_request())
        stale = now - float(session.get(_SEEN, 0)) > _touch_every(policy.idle_timeout_s)
        if not (session.modified or session.rotate_requested or stale or session.token is None):
            return
        replaces = None
        if session.token is not None and session.rotate_requested:
            replaces = _key(session.token)
            session.token = None
        new = session.token is None
        if new:
            session.token = secrets.token_urlsafe(32)
        # The absolute timeout runs from login (which clears the session), not from a rotation.
        if _CREATED not in session:
            dict.__setitem__(session, _CREATED, now)
        dict.__setitem__(session, _SEEN, now)
        ttl = min(policy.idle_timeout_s, policy.absolute_timeout_s)
        self.store.save(_key(session.token), dict(session), session.get("person_id"), ttl, new=new, replaces=replaces)
        response.vary.add("Cookie")
        # No Expires: a browser-session cookie; the server enforces the timeouts.
        response.set_cookie(
            name,
            session.token,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app) or "Lax",
            domain=domain,
            path=path,
        )


def _request() -> Request:
    from flask import request

    return request


def init_app(app: Flask) -> None:
    """Install server-side sessions: Redis when configured, otherwise the database table."""
    redis_url = app.config["SETTINGS"].redis_url
    codec = SessionCodec(app.extensions["shebao_vault"])
    store: SessionStore = RedisSessionStore(redis_url, codec) if redis_url else SqlSessionStore(app, codec)
    app.session_interface = ServerSessionInterface(store)
