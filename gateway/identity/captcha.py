"""The bot check after repeated failed logins: an ALTCHA proof-of-work challenge instead of a picture or a
question a script answers (the arithmetic captcha it replaces was plain HTML). It needs no sight, hearing or
reading of distorted text, so it is accessible as the MIIT ageing and accessibility rules ask; the person only
ticks a box (with the keyboard too), and their browser spends a moment of work.

The challenge is made and verified with ALTCHA's own library (signed with an HMAC key derived from the secret, valid
:data:`TTL_S`), and each solved challenge is spent once: its signature's digest is written to ``spent_challenge``
and committed at once (``commit_claim``), so a replayed solution is refused even when the login itself is."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta

import altcha
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway import clock
from gateway.db import Base, UtcDateTime, commit_claim
from gateway.security import keyring

#: SHA-256 key derivation rounds per try; with the key prefix "00" about 256 tries: well under a second in a
#: phone's browser (Web Workers, WebCrypto), a real cost for a script that logs in by the thousand.
COST = 1000
ALGORITHM = "SHA-256"
TTL_S = 600
#: The form field the widget fills with its payload.
FIELD = "altcha"


class SpentChallenge(Base):
    """A solved challenge already used (the digest of its signature), kept until it would have expired anyway."""

    __tablename__ = "spent_challenge"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


def _hmac_key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao-altcha", info=b"altcha:v2").derive(secret.encode())


def new_challenge(secret: str) -> str:
    """A fresh signed challenge as the JSON the widget's ``challenge`` attribute takes."""
    challenge = altcha.create_challenge(
        ALGORITHM, COST, hmac_secret=_hmac_key(secret), expires_at=int(time.time()) + TTL_S
    )
    return json.dumps(challenge.to_dict(), separators=(",", ":"))


def verify(session: Session, secret: str, payload: str | None) -> bool:
    """Whether ``payload`` (the widget's form field) solves a challenge we signed, in time, for the first time.
    A good solution is spent at once (committed), whatever the rest of the request does."""
    if not payload or len(payload) > 4096:
        return False
    verified = False
    for key in keyring.with_fallbacks(secret):  # a challenge shown just before a rotation is still solvable
        try:
            verified = altcha.verify_solution(payload, _hmac_key(key)).verified
        except (ValueError, KeyError, TypeError):
            return False
        if verified:
            break
    if not verified:
        return False
    return _spend(session, payload)


def _signature(payload: str) -> str:
    return altcha.v2.Payload.from_base64(payload).challenge.signature


def _spend(session: Session, payload: str) -> bool:
    try:
        digest = hashlib.sha256(_signature(payload).encode()).hexdigest()
    except (ValueError, AttributeError, KeyError, TypeError):
        return False
    now = clock.now()
    session.execute(delete(SpentChallenge).where(SpentChallenge.expires_at < now))
    session.add(SpentChallenge(digest=digest, expires_at=now + timedelta(seconds=TTL_S)))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False  # already used: a replay
    commit_claim(session)
    return True
