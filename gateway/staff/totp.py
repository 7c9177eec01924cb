"""Time-based one-time passwords (RFC 6238) for staff, with the replay rule: each time step is good once."""

from __future__ import annotations

import time

import pyotp

STEP_S = 30
DIGITS = 6
ISSUER = "社保网上经办网关"


def new_secret() -> str:
    """A fresh 160-bit base32 seed (RFC 4226 recommends at least 128 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(name=username, issuer_name=ISSUER)


def code_at(secret: str, at: float) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).at(at)


def accepted_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to when it is valid now (one step of clock drift either way) and newer than
    ``last_step``; otherwise None."""
    if not (len(code) == DIGITS and code.isdigit()):
        return None
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int(now // STEP_S)
    found = None
    for step in (current - 1, current, current + 1):
        # Compare every candidate (no early exit) so timing says nothing about which step matched.
        if pyotp.utils.strings_equal(totp.at(step * STEP_S), code):
            found = step
    if found is None or found <= last_step:
        return None
    return found
