"""The last good answer to each query, per person and question, for when the core system does not answer
(LD/T 01 6.4.5, 6.5.3: the service degrades honestly instead of failing).

Answers hold personal data, so they are kept encrypted with their own purpose key (gateway.security.pii) and
bound to their row; the key of a row is a keyed digest of the operation and its arguments (no ID number in clear).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.backoffice.exchange_log import canonical
from gateway.db import Base, UtcDateTime
from gateway.security.pii import PiiVault, Purpose

__all__ = ["LastKnown", "LastKnownAnswer", "key_for", "load", "store"]


class LastKnown(Base):
    __tablename__ = "bo_last_known"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class LastKnownAnswer:
    wire: Any  # the answer in its wire form (gateway.backoffice.server.to_wire)
    fetched_at: datetime


def key_for(vault: PiiVault, operation: str, arguments: dict[str, Any]) -> str:
    return vault.digest(f"bo_last_known|{operation}|" + canonical(arguments).decode())


def store(
    session: Session, vault: PiiVault, operation: str, arguments: dict[str, Any], wire: Any, at: datetime
) -> None:
    key = key_for(vault, operation, arguments)
    payload = vault.encrypt(canonical(wire).decode(), Purpose.BACKOFFICE_ANSWER, key)
    row = session.get(LastKnown, key)
    if row is None:
        session.add(LastKnown(key=key, operation=operation, fetched_at=at, payload=payload))
    else:
        row.fetched_at, row.payload = at, payload
    session.flush()


def load(session: Session, vault: PiiVault, operation: str, arguments: dict[str, Any]) -> LastKnownAnswer | None:
    import json

    key = key_for(vault, operation, arguments)
    row = session.scalar(select(LastKnown).where(LastKnown.key == key))
    if row is None:
        return None
    return LastKnownAnswer(json.loads(vault.decrypt(row.payload, Purpose.BACKOFFICE_ANSWER, key)), row.fetched_at)
