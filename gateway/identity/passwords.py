"""Password hashing with Argon2id at OWASP's parameters, and rehash-on-login for hashes made with older ones.

OWASP's Password Storage Cheat Sheet (Argon2id: m=19 MiB, t=2, p=1) rather than argon2-cffi's defaults
(RFC 9106 low-memory: 64 MiB, t=3, p=4): those cost about four times as much CPU per login, and on the opening
morning every login competes with every page for the same two cores. One lane (p=1) also means a login holds
one core, never all of them. argon2-cffi releases the GIL while it hashes, so under gunicorn's threaded
workers a login occupies one thread, not the whole worker.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

#: OWASP Password Storage Cheat Sheet, Argon2id, first recommended configuration.
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, hash_len=32, salt_len=16, type=Type.ID
)
# Verified when no account matches, so a miss costs as long as a hit (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("shebao-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no stored hash, spend the same time and say no."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with other parameters than today's (an older, dearer or weaker
    setting): after a successful login the caller stores :func:`hash_password` of the password just checked,
    the only moment the plain password is at hand."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


MIN_LENGTH = 8
MAX_LENGTH = 64
# The passwords people pick first; a longer list belongs in a breached-password check, not here.
_COMMON = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "qwertyui",
        "qwerty123",
        "11111111",
        "88888888",
        "a12345678",
        "abc12345",
        "woaini1314",
    }
)


def password_problem(password: str, id_number: str = "", phone: str = "") -> str | None:
    """Why ``password`` is too weak (a Chinese sentence), or None when it is acceptable."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return f"密码长度应为 {MIN_LENGTH} 至 {MAX_LENGTH} 位。"
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        return "密码应至少包含大写字母、小写字母、数字、符号中的三种。"
    if password.lower() in _COMMON:
        return "这个密码太常见，请换一个。"
    # Personal numbers are the first thing an attacker tries.
    lowered = password.lower()
    for personal in (id_number[6:14], id_number[-6:], phone, phone[-6:]):
        if personal and personal.lower() in lowered:
            return "密码不能包含身份证号码、出生日期或手机号码。"
    return None
