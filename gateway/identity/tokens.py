"""API sessions for the mini-program and kiosk (DESIGN "Identity"): short-lived signed access tokens and
rotating refresh tokens whose reuse after rotation revokes the whole family. No Flask here.

JOSE library: joserfc (Authlib's own, maintained, typed) rather than python-jose: every decode names its
algorithm list explicitly (HS256 only, so a token claiming "none" or RS256 is refused), and claims are
checked by a registry instead of by hand.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.catalog.model import Channel
from gateway.channel_policy import policy_for
from gateway.db import commit_claim
from gateway.identity.models import Person, RefreshToken
from gateway.identity.service import IdentityError, aware, utcnow
from gateway.security import keyring

ACCESS_TTL = timedelta(minutes=10)
#: Two refreshes sent at once (two pages of the mini-program waking together) present the same token: the
#: immediately previous one is honoured this long after its rotation, as OAuth 2.0 security practice permits
#: (RFC 9700 4.14.2); an older one, or later, is a replay and ends the family.
REFRESH_GRACE = timedelta(seconds=30)
ALGORITHMS = ["HS256"]
ISSUER = "shebao-gateway"
EXPIRED = "登录已过期，请重新登录。"


def _key(secret: str) -> OctKey:
    # A key of its own, derived from the app secret: a leaked token key does not expose the PII keys.
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-tokens", info=b"access").derive(secret.encode())
    return OctKey.import_key(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    level: int

    def as_json(self) -> dict:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "assurance_level": self.level,
        }


@dataclass(frozen=True)
class AccessClaims:
    person_id: int
    level: int
    channel: str
    #: The person's session epoch when the token was made: an older one than the person's is revoked.
    epoch: int = 0


def _access_ttl(channel: str) -> timedelta:
    # Never longer than the channel's idle timeout (kiosk: 90 s), so an abandoned terminal dies quickly.
    return min(ACCESS_TTL, timedelta(seconds=policy_for(Channel(channel)).idle_timeout_s))


def _epoch(session: Session, person_id: int) -> int:
    return int(session.scalar(select(Person.session_epoch).where(Person.id == person_id)) or 0)


def _access_token(secret: str, person_id: int, level: int, channel: str, now: datetime, epoch: int = 0) -> str:
    claims = {
        "iss": ISSUER,
        "sub": str(person_id),
        "lvl": level,
        "chn": channel,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + _access_ttl(channel)).timestamp()),
        "jti": secrets.token_urlsafe(12),
        "sep": epoch,
    }
    return jwt.encode({"alg": "HS256"}, claims, _key(secret))


def _new_refresh(
    session: Session,
    person_id: int,
    channel: str,
    level: int,
    family: str,
    now: datetime,
    family_started: datetime | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    # Channel policy (DESIGN "Identity"): unused for the idle timeout, or past the absolute one, it is dead.
    policy = policy_for(Channel(channel))
    expires = min(
        now + timedelta(seconds=policy.idle_timeout_s),
        (family_started or now) + timedelta(seconds=policy.absolute_timeout_s),
    )
    session.add(
        RefreshToken(
            token_hash=_hash(token),
            family=family,
            person_id=person_id,
            channel=channel,
            level=level,
            created_at=now,
            expires_at=expires,
            rotated=False,
            revoked=False,
        )
    )
    return token


def issue_tokens(session: Session, secret: str, person_id: int, level: int, channel: str) -> TokenPair:
    """A new API session (a new refresh-token family)."""
    now = utcnow()
    refresh = _new_refresh(session, person_id, channel, level, secrets.token_hex(16), now)
    session.flush()
    ttl = int(_access_ttl(channel).total_seconds())
    access = _access_token(secret, person_id, level, channel, now, _epoch(session, person_id))
    return TokenPair(access, refresh, ttl, level)


def refresh_tokens(session: Session, secret: str, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent and a successor issued; presenting a spent one again means
    it was stolen, so the whole family is revoked (RFC 9700 4.14.2)."""
    now = utcnow()
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token or "")))
    if row is None or row.revoked or aware(row.expires_at) < now:
        raise IdentityError("refresh_token", EXPIRED, "invalid_refresh_token")
    # Only one request can spend a token, even two at once on two nodes.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.rotated.is_(False), RefreshToken.revoked.is_(False))
        .values(rotated=True)
    ).rowcount
    if spent != 1 and _within_grace(session, row, now):
        spent = 1  # the parallel twin of a refresh that just succeeded: it gets a successor of its own
    if spent != 1:
        revoke_family(session, row.family)
        commit_claim(session)  # the replay ends the family whatever the refused request does
        raise IdentityError(
            "refresh_token", "登录凭证已被使用，为保护账户安全已退出所有设备，请重新登录。", "refresh_reused"
        )
    started = session.scalar(select(func.min(RefreshToken.created_at)).where(RefreshToken.family == row.family))
    successor = _new_refresh(
        session, row.person_id, row.channel, row.level, row.family, now, aware(started) if started else now
    )
    session.flush()
    ttl = int(_access_ttl(row.channel).total_seconds())
    access = _access_token(secret, row.person_id, row.level, row.channel, now, _epoch(session, row.person_id))
    return TokenPair(access, successor, ttl, row.level)


def _within_grace(session: Session, row: RefreshToken, now: datetime) -> bool:
    """Whether spent ``row`` was rotated moments ago and its successor is still the live end of the family."""
    if row.revoked:
        return False
    successor = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.family == row.family, RefreshToken.id > row.id)
        .order_by(RefreshToken.id)
        .limit(1)
    )
    return (
        successor is not None
        and not successor.rotated
        and not successor.revoked
        and now - aware(successor.created_at) <= REFRESH_GRACE
    )


def revoke_family(session: Session, family: str) -> None:
    """End an API session everywhere."""
    session.execute(update(RefreshToken).where(RefreshToken.family == family).values(revoked=True))
    session.flush()


def revoke_person(session: Session, person_id: int) -> int:
    """End every API session of the person (a login factor changed); how many refresh tokens were live."""
    ended = session.execute(
        update(RefreshToken)
        .where(RefreshToken.person_id == person_id, RefreshToken.revoked.is_(False))
        .values(revoked=True)
    ).rowcount
    session.flush()
    return ended or 0


def revoke_by_token(session: Session, refresh_token: str) -> None:
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token or "")))
    if row is not None:
        revoke_family(session, row.family)


def _decode(secret: str, token: str):  # noqa: ANN202 - joserfc's Token
    """Verified under the current secret's key, else under a replaced secret's (a token issued just before a
    rotation lives out its few minutes)."""
    error: JoseError | None = None
    for key in keyring.with_fallbacks(secret):
        try:
            return jwt.decode(token, _key(key), algorithms=ALGORITHMS)
        except JoseError as exc:
            error = error or exc
    assert error is not None
    raise error


def read_access_token(secret: str, token: str, now: datetime | None = None) -> AccessClaims:
    """The claims of a genuine, unexpired access token; IdentityError otherwise."""
    now = now or utcnow()
    try:
        decoded = _decode(secret, token)
        JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=5,
            iss={"essential": True, "value": ISSUER},
            typ={"essential": True, "value": "access"},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
        return AccessClaims(
            int(decoded.claims["sub"]),
            int(decoded.claims["lvl"]),
            str(decoded.claims["chn"]),
            int(decoded.claims.get("sep", 0)),
        )
    except (JoseError, ValueError, KeyError) as exc:
        raise IdentityError("access_token", EXPIRED, "invalid_access_token") from exc
