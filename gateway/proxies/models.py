"""Proxy grants. Times are instants (aware UTC, :class:`gateway.db.UtcDateTime`)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime, enum_column


class ProxyScope(enum.StrEnum):
    """What a proxy may do for the grantor."""

    BOOK = "book"  # book and cancel window appointments

    @property
    def label(self) -> str:
        return {"book": "预约和取消窗口办理"}[self.value]


class ProxyGrant(Base):
    __tablename__ = "proxy_grant"
    __table_args__ = (
        # One live grant per pair: granting again is refused rather than stacked.
        Index(
            "uq_proxy_grant_live_pair",
            "grantor_id",
            "proxy_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    scope: Mapped[ProxyScope] = mapped_column(enum_column(ProxyScope, 16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Who ended it: the grantor, or the proxy declining (both may, at any time).
    revoked_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
