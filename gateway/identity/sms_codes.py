"""One-time SMS codes for assurance level 2 (DESIGN "Identity"): 6 digits, single use, 5 minutes,
at most 5 tries, only a keyed hash stored. Sending is ``notify.sms``'s job; this module knows no Flask."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.db import commit_claim
from gateway.identity.models import SmsCode, SmsPurpose
from gateway.identity.service import aware, utcnow
from gateway.security import keyring

CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5


def _hash(secret: str, phone: str, purpose: SmsPurpose, code: str) -> str:
    # Keyed: six digits hashed plainly could be reversed by trying all million of them.
    message = f"{purpose.value}:{phone}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def phone_digest(secret: str, phone: str) -> str:
    return hmac.new(secret.encode(), f"phone:{phone}".encode(), hashlib.sha256).hexdigest()


def issue_code(session: Session, secret: str, phone: str, purpose: SmsPurpose, now: datetime | None = None) -> str:
    """Make a fresh code for ``phone`` (earlier unused ones die with it); returns the code."""
    now = now or utcnow()
    digest = phone_digest(secret, phone)
    session.execute(
        update(SmsCode)
        .where(SmsCode.phone_digest == digest, SmsCode.purpose == purpose, SmsCode.used.is_(False))
        .values(used=True)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        SmsCode(
            phone_digest=digest,
            purpose=purpose,
            code_hash=_hash(secret, phone, purpose, code),
            attempts=0,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            used=False,
        )
    )
    session.flush()
    return code


def verify_code(
    session: Session, secret: str, phone: str, purpose: SmsPurpose, code: str, now: datetime | None = None
) -> bool:
    """True once for the right, unexpired code; a wrong try counts, and the 5th kills the code."""
    now = now or utcnow()
    keys = keyring.with_fallbacks(secret)  # a code sent just before the secret was rotated still works
    row = session.scalar(
        select(SmsCode)
        .where(
            SmsCode.phone_digest.in_([phone_digest(k, phone) for k in keys]),
            SmsCode.purpose == purpose,
            SmsCode.used.is_(False),
        )
        .order_by(SmsCode.id.desc())
        .limit(1)
    )
    if row is None or aware(row.expires_at) < now:
        return False
    typed = (code or "").strip()
    if not any([hmac.compare_digest(_hash(k, phone, purpose, typed), row.code_hash) for k in keys]):
        session.execute(
            update(SmsCode)
            .where(SmsCode.id == row.id)
            .values(attempts=SmsCode.attempts + 1, used=SmsCode.attempts + 1 >= MAX_TRIES)
        )
        commit_claim(session)  # a wrong guess counts even though the request that made it is refused
        return False
    # Single use even when two requests race: only one UPDATE finds the code still unused.
    claimed = session.execute(
        update(SmsCode).where(SmsCode.id == row.id, SmsCode.used.is_(False)).values(used=True)
    ).rowcount
    commit_claim(session)  # spent, whatever the request then answers
    return claimed == 1


def message_text(code: str) -> str:
    return f"【社会保险网上经办】您的验证码是{code}，5分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。"
