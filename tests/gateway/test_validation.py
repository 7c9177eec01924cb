"""Validation at the edge (gateway.validation): ID numbers, credit codes, phones, pages, dates, masks."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.validation import (
    ErrorCode,
    ValidationError,
    make_credit_code,
    make_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    parse_date,
    parse_page,
)

# The worked examples printed in GB 11643 itself.
GB_EXAMPLE_ID = "11010519491231002X"
GB_EXAMPLE_ID_1880 = "440524188001010014"
# python-stdnum's documented example of a valid unified social credit code.
USCC = "91110000600037341L"


def _error(fn, value) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(value)
    return info.value


# ---------------------------------------------------------------- ID numbers (GB 11643)


def test_valid_id_number_passes_unchanged() -> None:
    assert normalize_id_number(GB_EXAMPLE_ID) == GB_EXAMPLE_ID
    assert normalize_id_number(GB_EXAMPLE_ID_1880) == GB_EXAMPLE_ID_1880


def test_lowercase_x_spaces_and_full_width_are_accepted() -> None:
    assert normalize_id_number("11010519491231002x") == GB_EXAMPLE_ID
    assert normalize_id_number(" 110105 19491231 002x ") == GB_EXAMPLE_ID
    assert normalize_id_number("１１０１０５１９４９１２３１００２Ｘ") == GB_EXAMPLE_ID  # IME full-width


def test_wrong_check_digit() -> None:
    err = _error(normalize_id_number, "110105194912310021")
    assert err.code == ErrorCode.INVALID_ID_NUMBER == "invalid_id_number"
    assert "校验位" in err.message


def test_wrong_length() -> None:
    err = _error(normalize_id_number, "11010519491231002")
    assert "18位" in err.message and "17位" in err.message
    assert "15位旧号码" in _error(normalize_id_number, "110105491231002").message


def test_empty() -> None:
    assert _error(normalize_id_number, "").message == "请输入身份证号码。"
    assert _error(normalize_id_number, None).message == "请输入身份证号码。"
    assert _error(normalize_id_number, "   ").message == "请输入身份证号码。"


def test_bad_characters() -> None:
    assert "数字或字母X" in _error(normalize_id_number, "11010519491231002A").message
    assert "数字或字母X" in _error(normalize_id_number, "1101051949123100XX").message


def test_bad_birth_date_is_named_even_before_the_check_digit() -> None:
    # February 30th: the check digit is right for these 17 digits, stdnum reports an invalid component.
    body = "11010519490230002"
    assert "出生日期" in _error(normalize_id_number, body + "0").message
    # With the check digit also wrong, the birth date is still the more useful thing to point at.
    assert "出生日期" in _error(normalize_id_number, body + "3").message
    # Month 13.
    assert "出生日期" in _error(normalize_id_number, "110105194913310021").message


def test_birth_date_in_the_future_is_rejected() -> None:
    assert "出生日期" in _error(normalize_id_number, make_id_number("110105", date(2999, 1, 1), 1)).message


def test_address_code_newer_than_the_birth_year_is_accepted() -> None:
    # Pudong (310115) was created in 1993; a pensioner born in 1945 holds a 310115… card. stdnum's
    # birth-place check would reject it; the gateway must not lock such people out.
    assert normalize_id_number("310115194501011236") == "310115194501011236"


def test_make_id_number_matches_the_standard_example() -> None:
    assert make_id_number("110105", date(1949, 12, 31), 2) == GB_EXAMPLE_ID
    assert make_id_number("440524", date(1880, 1, 1), 1) == GB_EXAMPLE_ID_1880


def test_make_id_number_sex_digit_and_validity() -> None:
    male = make_id_number("110101", date(1990, 3, 7), 123)
    female = make_id_number("110101", date(1990, 3, 7), 124)
    assert male == "110101199003071233"  # check digit computed by hand with the GB 11643 weights
    assert int(male[16]) % 2 == 1 and int(female[16]) % 2 == 0
    assert normalize_id_number(female) == female


@pytest.mark.parametrize(("region", "seq"), [("11010", 1), ("1101011", 1), ("11010A", 1), ("110101", 1000)])
def test_make_id_number_rejects_bad_parts(region: str, seq: int) -> None:
    with pytest.raises(ValueError):
        make_id_number(region, date(1990, 1, 1), seq)


# ---------------------------------------------------------------- unified social credit codes (GB 32100)


def test_valid_credit_code() -> None:
    assert normalize_credit_code(USCC) == USCC
    assert normalize_credit_code(" 91110000-600037341l ") == USCC


def test_credit_code_wrong_check_character() -> None:
    err = _error(normalize_credit_code, "91110000600037341M")
    assert err.code == "invalid_credit_code"
    assert "校验位" in err.message


def test_credit_code_wrong_length() -> None:
    assert "18位" in _error(normalize_credit_code, "9111000060003734").message
    assert "16位" in _error(normalize_credit_code, "9111000060003734").message


@pytest.mark.parametrize(
    "code",
    [
        "9111000060003734OL",  # O is not in the GB 32100 character set
        "91110000600037341I",  # nor is I
        "9111000Z600037341L",  # region code (positions 3–8) must be digits
        "91110000600037341@",
    ],
)
def test_credit_code_bad_characters(code: str) -> None:
    assert "无效字符" in _error(normalize_credit_code, code).message


def test_credit_code_empty() -> None:
    assert _error(normalize_credit_code, "").message == "请输入统一社会信用代码。"


def test_credit_code_letter_authorities() -> None:
    # GB 32100 position 1 may be N (agriculture: rural collective economic organisations) or Y (other);
    # stdnum only allows digits there. Check characters below computed by hand (weights 3^i mod 31).
    assert normalize_credit_code("N2110105MA0000001H") == "N2110105MA0000001H"
    assert normalize_credit_code("Y1110000MA01ABCD36") == "Y1110000MA01ABCD36"
    assert "校验位" in _error(normalize_credit_code, "N2110105MA0000001J").message
    assert "无效字符" in _error(normalize_credit_code, "NA110105MA0000001H").message


def test_make_credit_code() -> None:
    assert make_credit_code("91110000600037341") == USCC
    assert make_credit_code("51110000500000001") == "51110000500000001E"
    with pytest.raises(ValueError):
        make_credit_code("9111000060003734")  # 16 characters
    with pytest.raises(ValueError):
        make_credit_code("9111000060003734O")  # O is not allowed


# ---------------------------------------------------------------- mobile phones


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
    ],
)
def test_phone_accepted(raw: str) -> None:
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12345678901", "1381234567", "138123456789", "23812345678", "1381234567a"])
def test_phone_rejected(raw: str) -> None:
    err = _error(normalize_phone, raw)
    assert err.code == "invalid_phone"
    assert "11位" in err.message


def test_phone_empty() -> None:
    assert _error(normalize_phone, "").message == "请输入手机号码。"


# ---------------------------------------------------------------- page numbers and dates


@pytest.mark.parametrize(("raw", "page"), [(None, 1), ("", 1), ("  ", 1), ("1", 1), ("3", 3), (" 2 ", 2)])
def test_page_accepted(raw: str | None, page: int) -> None:
    assert parse_page(raw) == page


def test_page_default_and_limit() -> None:
    assert parse_page(None, default=5) == 5
    assert parse_page("10000") == 10000
    assert parse_page("50", max_page=50) == 50


@pytest.mark.parametrize(
    "raw",
    ["-1", "0", "00", "abc", "1.5", "+1", "1e3", "1_0", "٣", "10001", "99999999999999999999", "9" * 5000],
)
def test_page_rejected(raw: str) -> None:
    err = _error(parse_page, raw)
    assert err.code == "invalid_page"
    assert err.message == "页码应为1至10000之间的整数。"


def test_date_iso_only() -> None:
    assert parse_date("2026-01-05") == date(2026, 1, 5)
    assert "不存在" in _error(parse_date, "2026-02-30").message
    for raw in ("20260105", "2026/01/05", "2026-1-5", "2026-W02-1", "2026-01-05T00:00"):
        err = _error(parse_date, raw)
        assert err.code == "invalid_date"
        assert "年-月-日" in err.message
    assert _error(parse_date, "").message == "请输入日期。"


def test_validation_error_is_a_value_error() -> None:
    err = _error(parse_date, "x")
    assert isinstance(err, ValueError)
    assert str(err) == err.message


# ---------------------------------------------------------------- masks (Regulation Art. 49)


def test_mask_id_number() -> None:
    assert mask_id_number(GB_EXAMPLE_ID) == "110***********002X"
    assert len(mask_id_number(GB_EXAMPLE_ID)) == 18
    assert mask_id_number("") == "" and mask_id_number(None) == ""
    assert mask_id_number("1234567") == "*******"  # too short to show anything


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) == ""


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳", "欧*"),  # a two-character name shows only one character
        ("阿依古丽·买买提", "阿***·***"),
        ("张", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked
