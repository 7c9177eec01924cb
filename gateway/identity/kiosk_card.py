"""Social security card + PIN login at a kiosk (assurance level 3; DESIGN "Identity").

The kiosk's card-reader bridge reads the card and checks the PIN on its own keypad against the card's
chip; the gateway receives the signed card-read result and the PIN verdict, never the PIN. Here the
verdict is turned into a login: wrong PINs count toward a lockout of the card (LD/T 01 6.2.5 c), and the
card must be the one the back office has on record, in service, for the holder it names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.backoffice.interface import BackOffice
from gateway.backoffice.models import CardStatus
from gateway.db import commit_claim
from gateway.identity.documents import number_document
from gateway.identity.models import EventKind, LoginGuard
from gateway.identity.service import FAILURE_WINDOW as PASSWORD_FAILURE_WINDOW
from gateway.identity.service import LOCK_PERIOD as PASSWORD_LOCK_PERIOD
from gateway.identity.service import (
    MAX_FAILURES,
    Identity,
    IdentityError,
    _guard,
    aware,
    ensure_person,
    find_person,
    identity_of,
    record_event,
    utcnow,
)
from gateway.security.pii import PiiVault
from gateway.validation import ValidationError, normalize_social_security_number

METHOD = "card_pin"
CHANNEL = "kiosk"
# LD/T 01 6.2.5 c (account locking): 5 wrong PINs in 15 minutes lock kiosk logins with the card, as for
# passwords; the card's own chip blocks its PIN on its own count.
MAX_PIN_FAILURES = MAX_FAILURES
FAILURE_WINDOW = PASSWORD_FAILURE_WINDOW
LOCK_PERIOD = PASSWORD_LOCK_PERIOD
UNKNOWN_CARD = "未查询到与该社保卡一致的有效参保登记信息，请到咨询台核实。"


class PinVerdict(enum.StrEnum):
    """What the reader says about the PIN typed on its keypad."""

    OK = "ok"
    WRONG = "wrong"
    BLOCKED = "blocked"  # the card's own retry counter ran out: only a counter can unblock it


@dataclass(frozen=True)
class CardReading:
    """A verified card-read result from an enrolled kiosk's bridge."""

    card_number: str
    id_number: str
    name: str
    verdict: PinVerdict

    @classmethod
    def from_payload(cls, payload: dict) -> CardReading:
        """Parse the bridge's fields (aac002/aac003 as the card platform names them); IdentityError if bad."""
        try:
            verdict = PinVerdict(str(payload.get("pin_verdict", "")))
            # The card carries the social security number: a resident ID, a residence permit, a permanent
            # residence ID or an assigned number (LD/T 01 6.2.3 b–c), each with its own check.
            id_number = normalize_social_security_number(str(payload.get("aac002", "")))
        except (ValueError, ValidationError) as exc:
            raise IdentityError("card", "读卡结果格式不正确，请重新插卡。", "bad_card_read") from exc
        card_number = str(payload.get("card_number", "")).strip().upper()
        if not card_number or len(card_number) > 20:
            raise IdentityError("card", "读卡结果格式不正确，请重新插卡。", "bad_card_read")
        return cls(card_number, id_number, str(payload.get("aac003", "")).strip(), verdict)


def card_locked_until(session: Session, vault: PiiVault, card_number: str, now: datetime | None = None):
    """When the card's kiosk lock ends, or None when it is not locked."""
    guard = session.get(LoginGuard, _card_digest(vault, card_number))
    now = now or utcnow()
    if guard is None or guard.locked_until is None or aware(guard.locked_until) <= now:
        return None
    return guard.locked_until


def unlock_card(session: Session, vault: PiiVault, card_number: str, *, person_id: int | None, by: str) -> bool:
    """Staff unlock (LD/T 01 6.2.5 c) of kiosk logins with a card; ``by`` names the staff member."""
    guard = session.get(LoginGuard, _card_digest(vault, card_number))
    if guard is None or guard.locked_until is None:
        return False
    guard.locked_until = None
    guard.failures = 0
    guard.window_started_at = utcnow()
    record_event(session, EventKind.UNLOCKED, person_id=person_id, subject_digest=guard.subject_digest,
                 method=METHOD, channel=CHANNEL, detail=f"由 {by} 解锁社保卡终端登录")  # fmt: skip
    session.flush()
    return True


def _card_digest(vault: PiiVault, card_number: str) -> str:
    # A prefix keeps card guards apart from the password guards of ID numbers in the same table.
    return vault.digest("card:" + card_number)


def card_login(
    session: Session,
    vault: PiiVault,
    backoffice: BackOffice,
    reading: CardReading,
    *,
    device_id: str,
    ip: str | None = None,
    now: datetime | None = None,
) -> Identity:
    """Log in the holder of a verified card read, or raise IdentityError (wrong PIN, locked, unknown)."""
    now = now or utcnow()
    digest = _card_digest(vault, reading.card_number)
    guard = _guard(session, digest, now)
    known = find_person(session, vault, reading.id_number)
    # Failed tries are shown in the holder's own login log when the gateway knows them (LD/T 01 6.2.5 e).
    trail = {"person_id": known.id if known else None, "subject_digest": digest, "method": METHOD,
             "channel": CHANNEL, "ip": ip, "at": now}  # fmt: skip
    detail = f"终端 {device_id}"
    if guard.locked_until is not None and aware(guard.locked_until) > now:
        commit_claim(session)
        raise IdentityError("pin", _locked_message(), "card_locked")
    if guard.locked_until is not None or aware(guard.window_started_at) + FAILURE_WINDOW < now:
        guard.locked_until = None
        guard.failures = 0
        guard.window_started_at = now
    if reading.verdict is PinVerdict.BLOCKED:
        record_event(session, EventKind.LOGIN_FAILED, detail=f"{detail}：卡片密码已锁", **trail)
        commit_claim(session)
        raise IdentityError("pin", "社保卡密码已被卡片锁定，请持卡和身份证到服务窗口解锁。", "card_pin_blocked")
    if reading.verdict is PinVerdict.WRONG:
        _count_failure(session, guard, detail, trail)
    record = backoffice.find_person(reading.id_number)
    if record is None or record.card_number != reading.card_number or record.card_status is not CardStatus.ACTIVE:
        record_event(session, EventKind.LOGIN_FAILED, detail=f"{detail}：卡片与参保登记不符", **trail)
        commit_claim(session)
        raise IdentityError("card", UNKNOWN_CARD, "card_unknown")
    guard.failures = 0
    guard.window_started_at = now
    person = ensure_person(
        session, vault, record.id_number, record.name, shown=lambda: number_document(backoffice, record.id_number)
    )
    record_event(session, EventKind.LOGIN, person_id=person.id, method=METHOD, channel=CHANNEL, ip=ip,
                 detail=detail, at=now)  # fmt: skip
    session.flush()
    return identity_of(vault, person)


def _locked_message() -> str:
    minutes = int(LOCK_PERIOD.total_seconds() // 60)
    return (
        f"社保卡密码连续输错 {MAX_PIN_FAILURES} 次，已暂停在自助终端登录 {minutes} 分钟。请稍后再试，或到服务窗口办理。"
    )


def _count_failure(session: Session, guard: LoginGuard, detail: str, trail: dict) -> None:
    """One more wrong PIN (atomic, for several kiosks at once); raises with the tries left or the lock."""
    session.flush()
    session.execute(
        update(LoginGuard)
        .where(LoginGuard.subject_digest == guard.subject_digest)
        .values(failures=LoginGuard.failures + 1)
    )
    session.refresh(guard)
    record_event(session, EventKind.LOGIN_FAILED, detail=f"{detail}：密码错误", **trail)
    if guard.failures >= MAX_PIN_FAILURES:
        guard.locked_until = trail["at"] + LOCK_PERIOD
        record_event(session, EventKind.LOCKED, detail=detail, **trail)
        commit_claim(session)
        raise IdentityError("pin", _locked_message(), "card_locked")
    left = MAX_PIN_FAILURES - guard.failures
    commit_claim(session)
    raise IdentityError("pin", f"密码不正确，还可以再试 {left} 次，请重新输入。", "wrong_pin")
