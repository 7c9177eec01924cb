"""Sign-in flows with an outside provider (e-SSC, WeChat, Alipay): a fresh state and nonce, then spent once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from gateway.db import commit_claim
from gateway.identity.models import AuthFlow, FlowStatus
from gateway.identity.service import utcnow


def open_flow(session: Session, kind: str, channel: str, ttl: timedelta, *, poll_token: str | None = None) -> AuthFlow:
    """A new pending flow with a fresh state and nonce, living ``ttl`` (flushed, not committed)."""
    now = utcnow()
    flow = AuthFlow(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        kind=kind,
        channel=channel,
        poll_digest=hashlib.sha256(poll_token.encode()).hexdigest() if poll_token else None,
        status=FlowStatus.PENDING,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(flow)
    session.flush()
    return flow


def spend(session: Session, *which: ColumnElement[bool]) -> bool:
    """Spend the pending flow matching ``which``: True once. The claim commits at once (``commit_claim``), like a
    one-time code's, so a replay is refused even when the rest of the request fails."""
    spent = session.execute(
        update(AuthFlow).where(AuthFlow.status == FlowStatus.PENDING, *which).values(status=FlowStatus.DONE)
    ).rowcount
    commit_claim(session)
    return spent == 1
