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
#: zxcvbn's score (0–4, 3 = "safely unguessable: moderate protection from offline slow-hash attacks") a new
#: password must reach (OWASP ASVS 5.0 V6.2; NIST SP 800-63B 3.1.1.2: check against commonly used values).
MIN_SCORE = 3
# Passwords Chinese users pick first that the estimator's English-made lists do not hold: pinyin phrases and
# lucky numbers, checked after stripping digits and symbols around them.
_COMMON_CN = frozenset(
    {"woaini", "woaini1314", "5201314", "1314520", "aini1314", "wohenni", "zhang", "wang", "liu", "chen", "zhao"}
    | {"huang", "zhou", "admin", "abc", "abcd", "qaz", "qazwsx", "asd", "zxc", "aaa", "aa", "abcabc", "a1b2c3"}
)
WEAK_COMMON = "这个密码太常见，容易被猜到，请换一个。"
WEAK_GUESSABLE = (
    "这个密码容易被猜到（如常见单词、键盘顺序、重复或连续的字符、年份日期），请换一个更长、更不规则的密码。"
)
WEAK_PERSONAL = "密码不能包含身份证号码、出生日期或手机号码。"


def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    # The 30,000 most used passwords of real breaches, as zxcvbn ships them.
    return frozenset(FREQUENCY_LISTS["passwords"])


_COMMON: frozenset[str] | None = None


def _is_common(password: str) -> bool:
    global _COMMON
    if _COMMON is None:
        _COMMON = _common_passwords() | _COMMON_CN
    lowered = password.lower()
    # "Password123!" is "password" with the digits and symbol a character rule asks for: strip them.
    core = lowered.strip("0123456789!@#$%^&*()_+-=.,?~ ")
    return lowered in _COMMON or core in _COMMON


def _personal_parts(id_number: str, phone: str) -> list[str]:
    """What an attacker who knows the person tries first: the birth date (several ways), ID number tails, phone."""
    parts = [phone, phone[-6:], phone[-8:]] if phone else []
    if len(id_number) == 18:
        birth = id_number[6:14]
        parts += [id_number, birth, birth[2:], id_number[-6:]]
    return [p.lower() for p in parts if p]


def password_problem(password: str, id_number: str = "", phone: str = "") -> str | None:
    """Why ``password`` is too weak (a Chinese sentence), or None when it is acceptable: length, three character
    classes, not a common password (zxcvbn's list of 30,000 and our own), nothing from the person's ID number,
    birth date or phone, and hard enough to guess by zxcvbn's estimate."""
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
    lowered = password.lower()
    personal = _personal_parts(id_number, phone)
    if any(part in lowered for part in personal):
        return WEAK_PERSONAL
    if _is_common(password):
        return WEAK_COMMON
    from zxcvbn import zxcvbn

    # The person's own numbers go in as user inputs, so a variation of them scores as guessable too.
    if zxcvbn(password, user_inputs=personal)["score"] < MIN_SCORE:
        return WEAK_GUESSABLE
    return None
