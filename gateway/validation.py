"""Validation at the edge: identity documents, credit codes, phones, pages, dates — with Chinese messages.

Pure Python (no Flask). Every function raises :class:`ValidationError`, whose ``message`` is a sentence a
citizen can act on and whose ``code`` is a stable slug for API clients (gateway.errors renders both).
The check-digit arithmetic is python-stdnum's; this module only words the answers and masks the output.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from datetime import date
from enum import StrEnum

import pycountry
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from gateway import clock

__all__ = [
    "DocumentType",
    "ErrorCode",
    "ValidationError",
    "country_name",
    "describe_document",
    "make_credit_code",
    "make_id_number",
    "icao_check_digit",
    "make_permanent_residence_id_2017",
    "make_permanent_residence_id_2023",
    "make_residence_permit",
    "mask_card_number",
    "mask_document",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_card_number",
    "normalize_credit_code",
    "normalize_document",
    "normalize_id_number",
    "normalize_phone",
    "normalize_social_security_number",
    "parse_date",
    "parse_document_type",
    "parse_page",
    "passport_countries",
]


class ErrorCode(StrEnum):
    """Stable error codes for API clients (one per field; the Chinese message says what is wrong)."""

    INVALID_ID_NUMBER = "invalid_id_number"  # any identity document's number (the field is the same)
    INVALID_DOCUMENT_TYPE = "invalid_document_type"
    INVALID_CARD_NUMBER = "invalid_card_number"
    INVALID_CREDIT_CODE = "invalid_credit_code"
    INVALID_PHONE = "invalid_phone"
    INVALID_PAGE = "invalid_page"
    INVALID_YEAR = "invalid_year"
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
    "is_permit": "这是港澳台居民居住证号码，请在“证件类型”中选择“港澳台居民居住证”。",
    "is_foreign": "这是外国人永久居留身份证号码，请在“证件类型”中选择“外国人永久居留身份证”。",
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
    # A residence permit or a 2023 permanent residence ID has the same shape and check: name the right type.
    if number[:6] in _PERMIT_REGIONS:
        raise _id_error("is_permit")
    if number[0] == "9":
        raise _id_error("is_foreign")
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


# ---------------------------------------------------------------- identity documents (LD/T 01 6.2.3 b)


class DocumentType(StrEnum):
    """The identity documents a person registers with (LD/T 01 6.2.3 b)."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    RESIDENCE_PERMIT = "hmt_permit"  # 港澳台居民居住证
    PERMANENT_RESIDENCE = "foreign_pr"  # 外国人永久居留身份证 (2017 and 2023 forms)
    PASSPORT = "passport"  # 护照 (country + number)

    @property
    def label(self) -> str:
        """The document's name, as forms, certificates and the console print it."""
        return DOCUMENT_LABELS[self]


DOCUMENT_LABELS = {
    DocumentType.RESIDENT_ID: "居民身份证",
    DocumentType.RESIDENCE_PERMIT: "港澳台居民居住证",
    DocumentType.PERMANENT_RESIDENCE: "外国人永久居留身份证",
    DocumentType.PASSPORT: "护照",
}

# 《港澳台居民居住证申领发放办法》(国办发〔2018〕81号) 第六条: the permit's citizen identity number uses the
# address codes 810000 (Hong Kong), 820000 (Macao) and 830000 (Taiwan); the rest follows GB 11643.
_PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}


def parse_document_type(value: str | None) -> DocumentType:
    """The document type a form or API client named; blank means the resident ID (old clients send none)."""
    text = _prepare(value).lower()
    if not text:
        return DocumentType.RESIDENT_ID
    try:
        return DocumentType(text)
    except ValueError:
        raise ValidationError(ErrorCode.INVALID_DOCUMENT_TYPE, "请选择证件类型。") from None


def _doc_error(message: str) -> ValidationError:
    return ValidationError(ErrorCode.INVALID_ID_NUMBER, message)


def _gb11643_check(number: str, name: str) -> None:
    """The MOD 11-2 check character of GB 11643 (stdnum's arithmetic; it ignores the last character given)."""
    if number[-1] != ric.calc_check_digit(number):
        raise _doc_error(f"{name}号码校验位不正确，请核对后重新输入。")


def _birth_ok(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return born <= clock.today()


def normalize_residence_permit(value: str | None) -> str:
    """An 18-character HK / Macao / Taiwan residence permit number: GB 11643 shape and check, region 81/82/83."""
    name = "港澳台居民居住证"
    number = _prepare(value).upper()
    if not number:
        raise _doc_error(f"请输入{name}号码。")
    if len(number) != 18:
        raise _doc_error(f"{name}号码应为18位，您输入了{len(number)}位，请核对后重新输入。")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise _doc_error(f"{name}号码前17位应为数字，最后一位为数字或字母X，请核对后重新输入。")
    if number[:6] not in _PERMIT_REGIONS:
        raise _doc_error(
            "地区代码不是港澳台居住证：港澳台居民居住证号码以810000（香港）、820000（澳门）或830000（台湾）开头；"
            "内地居民请在“证件类型”中选择“居民身份证”。"
        )
    if not _birth_ok(number[6:14]):
        raise _doc_error(f"{name}号码中的出生日期（第7至14位）不正确，请核对后重新输入。")
    _gb11643_check(number, name)
    return number


def make_residence_permit(region: str, birth: date, seq: int) -> str:
    """A valid residence permit number (region 810000 / 820000 / 830000) for demo data and tests."""
    if region not in _PERMIT_REGIONS:
        raise ValueError(f"region must be one of {sorted(_PERMIT_REGIONS)}, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence must be 0..999, got {seq}")
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


# The foreigner's permanent residence ID (外国人永久居留身份证). Source: 国家移民管理局《新版外国人永久居留身份证
# 机读信息规则（2023版）》(October 2023), section 二: the 2017 number is 15 characters, 3 Latin letters (the
# nationality, ISO 3166-1 alpha-3) + 12 digits; the 2023 number is 18 characters (17 digits + 1 check
# character) modelled on GB 11643, its first digit "9" marks a foreigner, the letters became the numeric country
# code, and the last character is the MOD 11-2 check "the same as the citizen identity number's".
# The 2017 form (unchanged since the 2004 card): positions 1–3 the nationality, 4–7 the accepting authority (the
# province's two digits and the city's two, "00" at province level), 8–13 the birth date (YYMMDD), 14 a sequence
# digit, and 15 the check digit of the card's machine-readable zone: ICAO Doc 9303 Part 3 §4.9, weights 7-3-1
# over the first 14 characters with A–Z counted as 10–35, modulo 10.
# In the 2023 form the birth date sits where GB 11643 has it (positions 7–14).
_PROVINCES = frozenset(
    str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66))
)


def icao_check_digit(characters: str) -> str:
    """The check digit of ICAO Doc 9303 Part 3 §4.9: weights 7, 3, 1 repeating; 0–9 as themselves, A–Z as 10–35,
    the filler "<" as 0; the sum modulo 10."""
    values = (0 if c == "<" else int(c, 36) for c in characters.upper())
    return str(sum(v * w for v, w in zip(values, itertools.cycle((7, 3, 1)), strict=False)) % 10)


def _country(alpha3: str) -> object | None:
    return pycountry.countries.get(alpha_3=alpha3) if re.fullmatch(r"[A-Z]{3}", alpha3) else None


def normalize_permanent_residence(value: str | None) -> str:
    """A foreigner's permanent residence ID number, the 2017 (15) or 2023 (18) form, or raise."""
    name = "外国人永久居留身份证"
    number = _prepare(value).upper()
    if not number:
        raise _doc_error(f"请输入{name}号码。")
    if len(number) == 18:
        if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
            raise _doc_error(f"18位（2023年版）{name}号码前17位应为数字，最后一位为数字或字母X，请核对后重新输入。")
        if number[0] != "9":
            raise _doc_error(
                f"18位（2023年版）{name}号码以9开头；以1至8开头的是居民身份证号码，"
                "请在“证件类型”中选择“居民身份证”或“港澳台居民居住证”。"
            )
        if not _birth_ok(number[6:14]):
            raise _doc_error(f"{name}号码中的出生日期（第7至14位）不正确，请核对后重新输入。")
        _gb11643_check(number, name)
        return number
    if len(number) == 15:
        if not re.fullmatch(r"[A-Z]{3}[0-9]{12}", number):
            raise _doc_error(f"15位（2017年版）{name}号码由3位国籍字母代码和12位数字组成，请核对后重新输入。")
        if _country(number[:3]) is None:
            raise _doc_error(f"{name}号码开头的国籍代码“{number[:3]}”不是有效的国家或地区代码，请核对后重新输入。")
        if number[3:5] not in _PROVINCES:
            raise _doc_error(f"{name}号码第4至7位的受理地代码不正确，请核对后重新输入。")
        yymmdd = number[7:13]
        if not (_birth_ok("19" + yymmdd) or _birth_ok("20" + yymmdd)):
            raise _doc_error(f"{name}号码中的出生日期（第8至13位）不正确，请核对后重新输入。")
        if icao_check_digit(number[:14]) != number[14]:
            raise _doc_error(f"{name}号码校验位不正确，请核对后重新输入。")
        return number
    raise _doc_error(f"{name}号码应为15位（2017年版）或18位（2023年版），您输入了{len(number)}位，请核对后重新输入。")


def normalize_social_security_number(value: str | None) -> str:
    """A social security number as a card or the back office carries it (社会保障号码, LD/T 01 6.2.3 c): a citizen's
    ID number, a HK / Macao / Taiwan resident's residence permit number, a foreigner's permanent residence ID
    number — each with its own check — or a number the agency assigned to a passport holder (letters first;
    no public check, so the back office's record decides)."""
    number = _prepare(value).upper()
    for check in (normalize_id_number, normalize_residence_permit, normalize_permanent_residence):
        try:
            return check(number)
        except ValidationError:
            continue
    if re.fullmatch(r"[A-Z]{3}[0-9A-Z]{12,15}", number):
        return number
    raise ValidationError(ErrorCode.INVALID_ID_NUMBER, "社会保障号码不正确，请核对后重新输入。")


def make_permanent_residence_id_2023(province: str, country_numeric: str, birth: date, seq: int) -> str:
    """A valid 2023-form number for demo data and tests: 9, province (2), numeric country code (3), birth date (8),
    sequence (3), MOD 11-2 check."""
    if province not in _PROVINCES or not re.fullmatch(r"[0-9]{3}", country_numeric) or not 0 <= seq <= 999:
        raise ValueError("province, country_numeric (3 digits) or seq (0..999) out of range")
    body = f"9{province}{country_numeric}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_permanent_residence_id_2017(alpha3: str, province: str, birth: date, seq: int) -> str:
    """A valid 2017-form number for demo data and tests: nationality, accepting authority (the province at
    province level), birth date (YYMMDD), sequence digit, ICAO 9303 check digit."""
    if _country(alpha3) is None or province not in _PROVINCES or not 0 <= seq <= 9:
        raise ValueError("alpha3, province or seq (0..9) out of range")
    body = f"{alpha3}{province}00{birth:%y%m%d}{seq}"
    return body + icao_check_digit(body)


def normalize_passport(country: str | None, value: str | None) -> str:
    """``"GBR:E12345678"``: the issuing country (ISO 3166-1 alpha-3) and the passport number, format only.

    A passport number has no public check digit outside the machine-readable zone (ICAO 9303), so the real-name
    proof is the back office's record and, where an item needs it, a face check or a visit."""
    alpha3 = _prepare(country).upper()
    if not alpha3:
        raise _doc_error("请选择护照签发国家（地区）。")
    if _country(alpha3) is None:
        raise _doc_error(f"护照签发国家（地区）代码“{alpha3[:8]}”不正确，请从列表中选择。")
    if alpha3 == "CHN":
        raise _doc_error("中国公民请使用居民身份证登记；港澳台居民请使用港澳台居民居住证。")
    number = _prepare(value).replace("-", "").upper()
    if not number:
        raise _doc_error("请输入护照号码。")
    # ICAO 9303's document number field holds 9 characters; longer national numbers continue in the optional
    # data, so 5 to 17 letters or digits covers the passports in use without guessing a country's own rule.
    if not (number.isascii() and number.isalnum()):
        raise _doc_error("护照号码只包含字母和数字，请核对后重新输入。")
    if not 5 <= len(number) <= 17:
        raise _doc_error(f"护照号码应为5至17位字母或数字，您输入了{len(number)}位，请核对后重新输入。")
    return f"{alpha3}:{number}"


def normalize_document(doc_type: DocumentType, value: str | None, country: str | None = None) -> str:
    """The canonical number of a document of ``doc_type`` (passport: ``"GBR:E12345678"``), or raise."""
    if doc_type is DocumentType.RESIDENT_ID:
        return normalize_id_number(value)
    if doc_type is DocumentType.RESIDENCE_PERMIT:
        return normalize_residence_permit(value)
    if doc_type is DocumentType.PERMANENT_RESIDENCE:
        return normalize_permanent_residence(value)
    if country is None and value and ":" in value:  # an already canonical passport "GBR:E12345678"
        country, value = value.split(":", 1)
    return normalize_passport(country, value)


def country_name(alpha3: str) -> str:
    """The country's Chinese name where pycountry has one (``"GBR"`` → ``"英国"``), else the code."""
    found = _country(alpha3)
    if found is None:
        return alpha3
    return _zh_countries().gettext(found.name)  # type: ignore[attr-defined]


# Both are built once per process: the login page offers the list, and building it (249 gettext look-ups) was
# a tenth of a login page's cost under the issue-18 rush.
@functools.cache
def passport_countries() -> tuple[tuple[str, str], ...]:
    """(alpha-3, "英国（GBR）") for a passport's issuing country select, by code; China is not offered (citizens
    register with the resident ID)."""
    return tuple(
        sorted(
            (c.alpha_3, f"{country_name(c.alpha_3)}（{c.alpha_3}）") for c in pycountry.countries if c.alpha_3 != "CHN"
        )
    )


@functools.cache
def _zh_countries():  # noqa: ANN202 — gettext's translation object
    import gettext

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)


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


def normalize_card_number(value: str | None) -> str:
    """A social security card number (社会保障卡卡号, LD/T 01 6.2.3 d): the 9 letters and digits printed on the
    card (the back office decides whether such a card exists)."""
    number = _prepare(value).upper()
    if not number:
        raise ValidationError(ErrorCode.INVALID_CARD_NUMBER, "请输入社会保障卡卡号。")
    if len(number) != 9 or not (number.isascii() and number.isalnum()):
        raise ValidationError(
            ErrorCode.INVALID_CARD_NUMBER, "社会保障卡卡号为卡面上印的9位字母或数字，请核对后重新输入。"
        )
    return number


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


def parse_year(value: str | None) -> int | None:
    """A year from a query string (``2024``), between 1951 (the first labour insurance rules) and next year;
    absent or blank means None."""
    text = _prepare(value)
    if not text:
        return None
    last = clock.today().year + 1
    if not (text.isascii() and text.isdigit() and len(text) == 4) or not 1951 <= int(text) <= last:
        raise ValidationError(ErrorCode.INVALID_YEAR, f"年份应为1951至{last}之间的四位数字。")
    return int(text)


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


def mask_document(doc_type: DocumentType, number: str | None) -> str:
    """Mask a document number for display and logs (Art. 49): first 3 and last 4 kept for the 15/18-character
    numbers (the 2017 form keeps its nationality letters); a passport keeps its country, the number's first
    character and last 3: ``"GBR E*****678"``."""
    number = number or ""
    if doc_type is DocumentType.PASSPORT and ":" in number:
        alpha3, rest = number.split(":", 1)
        return f"{alpha3} {_mask_middle(rest, 1, 3)}"
    return _mask_middle(number, 3, 4)


def describe_document(doc_type: DocumentType, number: str | None) -> tuple[str, str]:
    """(the document's name, its masked number) as a certificate prints them: ``("护照（英国）", "E*****678")``."""
    number = number or ""
    if doc_type is DocumentType.PASSPORT and ":" in number:
        alpha3, rest = number.split(":", 1)
        return f"护照（{country_name(alpha3)}）", _mask_middle(rest, 1, 3)
    return doc_type.label, mask_document(doc_type, number)


def mask_card_number(number: str | None) -> str:
    """Mask a social security card number (LD/T 01 6.2.3 d) for display: "A****5678"."""
    return _mask_middle(number or "", 1, 4)


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
