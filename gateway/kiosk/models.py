"""Kiosk devices and the nonces their signed requests have used (DESIGN "Identity", kiosk channel)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime


class KioskDevice(Base):
    """One enrolled kiosk: where it stands and the public half of its signing key (Ed25519)."""

    __tablename__ = "kiosk_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("appt_hall.id"), index=True)
    # Only the public key is kept: a copy of this table cannot forge a kiosk's requests.
    public_key: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class KioskNonce(Base):
    """A nonce a device already used: a second request carrying it is a replay."""

    __tablename__ = "kiosk_nonces"
    __table_args__ = (UniqueConstraint("device_pk", "nonce", name="uq_kiosk_nonces_device_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_pk: Mapped[int] = mapped_column(ForeignKey("kiosk_devices.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
