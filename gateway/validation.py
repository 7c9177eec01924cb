"""Validation at the edge: citizen ID numbers, credit codes, phones, pages, dates — with Chinese messages.

Pure Python (no Flask). Every function raises :class:`ValidationError`, whose ``message`` is a sentence a
citizen can act on and whose ``code`` is a stable slug for API clients (gateway.errors renders both).
The check-digit arithmetic is python-stdnum's; this module only words the answers and masks the output.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from gateway import clock

__all__ = [
    "ErrorCode",
    "ValidationError",
    "make_credit_code",
    "make_id_number",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_credit_code",
    "normalize_id_number",
    "normalize_phone",
    "parse_date",
    "parse_page",
]


class ErrorCode(StrEnum):
    """Stable error codes for API clients (one per field; the Chinese message says what is wrong)."""

    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_CREDIT_CODE = "invalid_credit_code"
    INVALID_PHONE = "invalid_phone"
    INVALID_PAGE = "invalid_page"
    INVALID_DATE = "invalid_date"


class ValidationError(ValueError):
    """Input a person typed is not acceptable; ``message`` tells them why, in Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ValidationError({self.code!r}, {self.message!r})"


def _prepare(value: str | None) -> str:
    """Fold full-width characters (common with Chinese IMEs) to ASCII and drop all whitespace."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


# ---------------------------------------------------------------- citizen ID number (GB 11643)

_ID_MESSAGES = {
    "empty": "请输入身份证号码。",
    "old": "请输入18位身份证号码（15位旧号码已停止使用）。",
    "length": "身份证号码应为18位，您输入了{n}位，请核对后重新输入。",
    "format": "身份证号码前17位应为数字，最后一位为数字或字母X，请核对后重新输入。",
    "birth": "身份证号码中的出生日期（第7至14位）不正确，请核对后重新输入。",
    "checksum": "身份证号码校验位不正确，请核对后重新输入。",
}


def _id_error(kind: str, **fmt: object) -> ValidationError:
    return ValidationError(ErrorCode.INVALID_ID_NUMBER, _ID_MESSAGES[kind].format(**fmt))


def normalize_id_number(value: str | None) -> str:
    """Return the 18-character citizen ID number in canonical form, or raise ValidationError."""
    number = _prepare(value).upper()  # GB 11643: the check character X is upper case
    if not number:
        raise _id_error("empty")
    # GB 11643: 6-digit address code + 8-digit birth date + 3-digit sequence + 1 check character.
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise _id_error("old")
    if len(number) != 18:
        raise _id_error("length", n=len(number))
    # stdnum only checks the first 17 are digits and reports a bad last character as a wrong check digit;
    # "1101...123A" is a typing slip in the character set, so say so.
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise _id_error("format")
    # The birth date is checked before the check digit: "0230" is certainly the typo, and saying where
    # helps more than "check digit wrong" (which stdnum would report first).
    try:
        birth = ric.get_birth_date(number)
    except InvalidComponent:
        raise _id_error("birth") from None
    if birth > clock.today():  # no upper age bound: survivors' claims (Art. 19) name the long dead
        raise _id_error("birth")
    try:
        return ric.validate(number)
    except InvalidLength:
        raise _id_error("length", n=len(number)) from None
    except InvalidFormat:
        raise _id_error("format") from None
    except InvalidChecksum:
        raise _id_error("checksum") from None
    except InvalidComponent:
        # The birth date passed above, so this is stdnum's birth-place check: it wants the address code to
        # have existed in the birth YEAR. The address code is the hukou's at the time the card was first
        # issued, not at birth (a Pudong pensioner born 1945 holds 310115…, a code created in 1993), and
        # stdnum's table lags new districts. Rejecting would lock real people out; the check digit stands.
        return number


def make_id_number(region: str, birth: date, seq: int) -> str:
    """Build a valid GB 11643 number for demo data and tests (seq 0..999; odd = male, even = female)."""
    if not re.fullmatch(r"[0-9]{6}", region):
        raise ValueError(f"region must be a 6-digit address code, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0..999, got {seq}")
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    # stdnum's calc_check_digit takes the full 18-character number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")


# ---------------------------------------------------------------- unified social credit code (GB 32100)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
# GB 32100 position 1, registration authority: 1–9, A (military establishment office), N (agriculture:
# rural collective economic organisations), Y (other). stdnum accepts digits only there.
_AUTHORITY_LETTERS = "ANY"

_USCC_MESSAGES = {
    "empty": "请输入统一社会信用代码。",
    "length": "统一社会信用代码应为18位，您输入了{n}位，请核对后重新输入。",
    "format": "统一社会信用代码包含无效字符（不使用字母I、O、S、V、Z，第3至8位为数字），请核对后重新输入。",
    "checksum": "统一社会信用代码校验位不正确，请核对后重新输入。",
}


def _uscc_error(kind: str, **fmt: object) -> ValidationError:
    return ValidationError(ErrorCode.INVALID_CREDIT_CODE, _USCC_MESSAGES[kind].format(**fmt))


def _letter_authority_code(number: str) -> str:
    """Validate a code whose first character is A, N or Y (GB 32100) with stdnum's check arithmetic."""
    if not (number[1:8].isascii() and number[1:8].isdigit()) or any(c not in _USCC_ALPHABET for c in number):
        raise _uscc_error("format")
    if number[-1] != uscc.calc_check_digit(number):
        raise _uscc_error("checksum")
    return number


def normalize_credit_code(value: str | None) -> str:
    """Return the 18-character unified social credit code in canonical form, or raise ValidationError."""
    number = _prepare(value).replace("-", "").upper()
    if not number:
        raise _uscc_error("empty")
    if len(number) != 18:
        raise _uscc_error("length", n=len(number))
    if number[0] in _AUTHORITY_LETTERS:
        return _letter_authority_code(number)
    try:
        return uscc.validate(number)
    except InvalidLength:
        raise _uscc_error("length", n=len(number)) from None
    except InvalidFormat:
        raise _uscc_error("format") from None
    except InvalidChecksum:
        raise _uscc_error("checksum") from None


def make_credit_code(body17: str) -> str:
    """Append the GB 32100 check character to a 17-character body (demo data and tests)."""
    body = body17.upper()
    if len(body) != 17 or any(c not in _USCC_ALPHABET for c in body):
        raise ValueError(f"credit code body must be 17 characters of {_USCC_ALPHABET}, got {body17!r}")
    return body + uscc.calc_check_digit(body)


# ---------------------------------------------------------------- mobile phone

_PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_PREFIX_RE = re.compile(r"^(?:\+86|0086|86)(?=1[0-9]{10}$)")


def normalize_phone(value: str | None) -> str:
    """Return an 11-digit mainland mobile number (an optional +86 prefix is dropped), or raise."""
    number = _prepare(value).replace("-", "")
    if not number:
        raise ValidationError(ErrorCode.INVALID_PHONE, "请输入手机号码。")
    number = _PHONE_PREFIX_RE.sub("", number)
    if not _PHONE_RE.fullmatch(number):
        raise ValidationError(
            ErrorCode.INVALID_PHONE, "手机号码应为以1开头的11位数字（第二位为3至9），请核对后重新输入。"
        )
    return number


# ---------------------------------------------------------------- query-string values


def parse_page(value: str | None, default: int = 1, max_page: int = 10000) -> int:
    """Parse a page number from a query string; absent or blank means ``default``."""
    text = _prepare(value)
    if not text:
        return default
    # Only plain digits: int() would also take "+3", "1_000" and "٣", and "1.5" must not round.
    # The length guard keeps a 5,000-digit value away from int() (which refuses > 4,300 digits).
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(max_page)) or not 1 <= int(text) <= max_page:
        raise ValidationError(ErrorCode.INVALID_PAGE, f"页码应为1至{max_page}之间的整数。")
    return int(text)


def parse_date(value: str | None) -> date:
    """Parse an ISO date "YYYY-MM-DD" (nothing else), or raise ValidationError."""
    text = _prepare(value)
    if not text:
        raise ValidationError(ErrorCode.INVALID_DATE, "请输入日期。")
    # date.fromisoformat in 3.11 also takes "20260105" and "2026-W02-1"; the API promises one format.
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValidationError(ErrorCode.INVALID_DATE, "日期格式应为“年-月-日”，例如 2026-01-05。")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(ErrorCode.INVALID_DATE, "该日期不存在，请核对后重新输入。") from None


# ---------------------------------------------------------------- masking (Regulation Art. 49)


def _mask_middle(value: str, keep_head: int, keep_tail: int) -> str:
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    return value[:keep_head] + "*" * (len(value) - keep_head - keep_tail) + value[len(value) - keep_tail :]


def mask_id_number(number: str | None) -> str:
    """Mask an ID number for display: first 3 and last 4 kept, e.g. "110***********1234"."""
    return _mask_middle(number or "", 3, 4)


def mask_phone(number: str | None) -> str:
    """Mask a mobile number for display: "138****5678"."""
    return _mask_middle(number or "", 3, 4)


# Common two-character surnames (复姓), kept whole so "欧阳娜娜" shows as "欧阳**" like on most
# government sites; a one-character surname keeps only itself ("张三" → "张*").
_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
        "夏侯", "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "呼延", "闻人", "赫连", "申屠",
        "澹台", "公冶", "太史", "濮阳", "淳于", "单于", "百里", "东郭", "拓跋", "万俟",
    }
)  # fmt: skip


def mask_name(name: str | None) -> str:
    """Mask a personal name for display, keeping the surname: "张*", "欧阳**"."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    keep = 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1
    # The middle dot of minority and transliterated names ("阿依古丽·买买提") stays, so the shape reads.
    return name[:keep] + "".join(c if c in "·•" else "*" for c in name[keep:])
