"""Kiosk enrolment and the check of a kiosk's signed requests (single-use nonce, fresh timestamp).

Each kiosk gets an Ed25519 key pair at enrolment: the private half is printed once for the installer to
put into the kiosk's card-reader bridge, the gateway keeps only the public half. A request the bridge
signs carries the device id, a timestamp and a random nonce; the gateway accepts it once, within
:data:`MAX_SKEW` of its own clock.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import clock
from gateway.appointments.models import Hall
from gateway.db import commit_claim
from gateway.identity.models import EventKind
from gateway.identity.service import record_event
from gateway.kiosk.models import KioskDevice, KioskNonce
from gateway.problems import UserError

#: How far a signed request's timestamp may be from the gateway's clock (both ways).
MAX_SKEW = timedelta(seconds=60)
# Nonces are kept a little longer than a timestamp can be accepted, so a replay always meets its nonce.
NONCE_KEEP = MAX_SKEW * 3


class DeviceRefused(UserError):
    """The request did not come from an enrolled, enabled kiosk of this hall, or was replayed or stale."""


@dataclass(frozen=True)
class EnrolledDevice:
    """What ``shebao kiosk enrol`` prints once: the bridge needs both to sign."""

    device_id: str
    hall_code: str
    private_key: str  # base64url of the raw 32-byte Ed25519 seed


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8 (the bridge builds the same)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(private_key: str, payload: dict[str, Any]) -> str:
    """Sign a payload with a device key (what the bridge does; the gateway only verifies)."""
    key = Ed25519PrivateKey.from_private_bytes(_unb64(private_key))
    return _b64(key.sign(canonical(payload)))


def utcnow() -> datetime:
    """Now, aware UTC, by the one clock."""
    return clock.now()


def enrol(session: Session, hall_code: str, now: datetime | None = None) -> EnrolledDevice:
    """Register a new kiosk at a hall and return its credentials (shown once, never stored)."""
    hall = session.scalar(select(Hall).where(Hall.code == hall_code))
    if hall is None:
        raise UserError("unknown_hall", f"没有编号为 {hall_code} 的服务网点。", 404)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    device_id = f"KSK-{hall.code}-{secrets.token_hex(4).upper()}"
    # LD/T 01 6.3.2: every change is traced, the kiosk register's too.
    record_event(session, EventKind.OPERATION, channel="kiosk", detail=f"登记自助终端 {device_id}（网点 {hall.code}）")
    session.add(
        KioskDevice(
            device_id=device_id, hall_id=hall.id, public_key=_b64(public), enabled=True, created_at=now or utcnow()
        )
    )
    session.flush()
    return EnrolledDevice(device_id=device_id, hall_code=hall.code, private_key=_b64(private))


def set_enabled(session: Session, device_id: str, enabled: bool) -> bool:
    """Switch a kiosk on or off (a stolen or retired kiosk is disabled at once)."""
    changed = session.execute(
        update(KioskDevice).where(KioskDevice.device_id == device_id).values(enabled=enabled)
    ).rowcount
    if changed == 1:
        record_event(session, EventKind.OPERATION, channel="kiosk",
                     detail=f"{'启用' if enabled else '停用'}自助终端 {device_id}")  # fmt: skip
    session.flush()
    return changed == 1


def devices(session: Session) -> list[tuple[KioskDevice, Hall]]:
    return list(
        session.execute(select(KioskDevice, Hall).join(Hall, Hall.id == KioskDevice.hall_id).order_by(KioskDevice.id))
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def verify(
    session: Session, hall_id: int, payload: Any, signature: Any, now: datetime | None = None
) -> tuple[KioskDevice, dict[str, Any]]:
    """Check a signed kiosk request: enrolled, enabled, this hall, genuine, fresh, first use. The nonce commits at once
    (``commit_claim``).

    The nonce is recorded only once the signature checked out, so nobody can burn a kiosk's nonces.
    """
    now = now or utcnow()
    if not isinstance(payload, dict) or not isinstance(signature, str) or len(signature) > 200:
        raise DeviceRefused("bad_request", "读卡结果格式不正确，请重新插卡。", 400)
    device = session.scalar(select(KioskDevice).where(KioskDevice.device_id == str(payload.get("device_id", ""))))
    if device is None:
        raise DeviceRefused("unknown_device", "本终端未登记，不能办理登录，请联系大厅工作人员。", 403)
    # The signature first: without the device key nobody learns whether a kiosk is disabled or where it stands.
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(device.public_key)).verify(_unb64(signature), canonical(payload))
    except (InvalidSignature, ValueError) as exc:
        raise DeviceRefused("bad_signature", "读卡结果校验未通过，请重新插卡。", 401) from exc
    if not device.enabled:
        raise DeviceRefused("device_disabled", "本终端已停用，请联系大厅工作人员。", 403)
    if device.hall_id != hall_id:
        raise DeviceRefused("wrong_hall", "本终端不属于此服务网点，请联系大厅工作人员。", 403)
    ts = payload.get("ts")
    nonce = payload.get("nonce")
    if not isinstance(ts, int) or abs(now.timestamp() - ts) > MAX_SKEW.total_seconds():
        raise DeviceRefused("stale_request", "读卡结果已过期，请重新插卡。", 401)
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        raise DeviceRefused("bad_request", "读卡结果格式不正确，请重新插卡。", 400)
    session.execute(delete(KioskNonce).where(KioskNonce.seen_at < now - NONCE_KEEP))
    session.add(KioskNonce(device_pk=device.id, nonce=nonce, seen_at=now))
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise DeviceRefused("replayed_request", "该读卡结果已使用过，请重新插卡。", 409) from exc
    device.last_seen_at = now
    commit_claim(session)  # the nonce stays spent even if the kiosk's request is then refused
    return device, payload
