"""Property tests of the identity documents of LD/T 01 6.2.3 b (issue 20): valid numbers of each type pass and
come back canonical; invalid ones are refused with a message that names what is wrong, never a wrong reason."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from gateway.validation import (
    DocumentType,
    ErrorCode,
    ValidationError,
    describe_document,
    icao_check_digit,
    make_id_number,
    make_permanent_residence_id_2017,
    make_permanent_residence_id_2023,
    make_residence_permit,
    mask_document,
    normalize_document,
    parse_document_type,
)

births = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))
permit_regions = st.sampled_from(["810000", "820000", "830000"])
provinces = st.sampled_from(["11", "31", "44", "61"])
countries = st.sampled_from([("GBR", "826"), ("USA", "840"), ("DEU", "276"), ("KOR", "410"), ("CAN", "124")])
seqs = st.integers(min_value=0, max_value=999)


def refusal(doc_type: DocumentType, number: str, country: str | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        normalize_document(doc_type, number, country)
    assert caught.value.code == ErrorCode.INVALID_ID_NUMBER
    return caught.value.message


def wrong_check(number: str) -> str:
    right = number[-1]
    return number[:-1] + next(c for c in "0123456789X" if c != right)


# ---------------------------------------------------------------- HK / Macao / Taiwan residence permit


@given(permit_regions, births, seqs)
def test_a_residence_permit_with_its_region_and_check_is_accepted(region: str, birth: date, seq: int) -> None:
    number = make_residence_permit(region, birth, seq)
    assert normalize_document(DocumentType.RESIDENCE_PERMIT, " " + number.lower() + " ") == number
    # Typed as a resident ID, the answer names the right type (the complaint: not "校验位不正确").
    assert "港澳台居民居住证" in refusal(DocumentType.RESIDENT_ID, number)


@given(permit_regions, births, seqs)
def test_a_residence_permit_with_a_wrong_check_says_so(region: str, birth: date, seq: int) -> None:
    number = wrong_check(make_residence_permit(region, birth, seq))
    assert refusal(DocumentType.RESIDENCE_PERMIT, number) == "港澳台居民居住证号码校验位不正确，请核对后重新输入。"


@given(births, seqs, st.sampled_from(["610302", "110105", "440106"]))
def test_a_mainland_number_is_not_a_residence_permit(birth: date, seq: int, region: str) -> None:
    number = make_id_number(region, birth, seq)
    assert refusal(DocumentType.RESIDENCE_PERMIT, number).startswith("地区代码不是港澳台居住证")


@given(st.text(alphabet="0123456789", min_size=1, max_size=30).filter(lambda s: len(s) != 18))
def test_a_residence_permit_of_the_wrong_length_says_how_long(number: str) -> None:
    assert f"您输入了{len(number)}位" in refusal(DocumentType.RESIDENCE_PERMIT, number)


def test_a_residence_permit_with_an_impossible_birth_date_says_where() -> None:
    body = "810000" + "19900230" + "012"
    number = body + ric.calc_check_digit(body + "0")
    assert "出生日期" in refusal(DocumentType.RESIDENCE_PERMIT, number)


# ---------------------------------------------------------------- foreigner's permanent residence ID


@given(provinces, countries, births, seqs)
def test_a_2023_permanent_residence_id_is_accepted(province: str, country, birth: date, seq: int) -> None:
    number = make_permanent_residence_id_2023(province, country[1], birth, seq)
    assert len(number) == 18 and number[0] == "9"
    assert normalize_document(DocumentType.PERMANENT_RESIDENCE, number) == number
    assert "外国人永久居留身份证" in refusal(DocumentType.RESIDENT_ID, number)


@given(provinces, countries, births, seqs)
def test_a_2023_permanent_residence_id_with_a_wrong_check_says_so(province: str, country, birth, seq) -> None:
    number = wrong_check(make_permanent_residence_id_2023(province, country[1], birth, seq))
    message = refusal(DocumentType.PERMANENT_RESIDENCE, number)
    assert message == "外国人永久居留身份证号码校验位不正确，请核对后重新输入。"


@given(births, seqs)
def test_an_18_digit_number_not_starting_with_9_is_not_a_permanent_residence_id(birth: date, seq: int) -> None:
    number = make_id_number("610302", birth, seq)
    assert "以9开头" in refusal(DocumentType.PERMANENT_RESIDENCE, number)


@given(countries, provinces, births, st.integers(min_value=0, max_value=9))
def test_a_2017_permanent_residence_id_is_accepted(country, province: str, birth: date, seq: int) -> None:
    number = make_permanent_residence_id_2017(country[0], province, birth, seq)
    assert len(number) == 15
    assert number[3:7] == f"{province}00"
    assert number[7:13] == f"{birth:%y%m%d}"
    assert normalize_document(DocumentType.PERMANENT_RESIDENCE, number.lower()) == number


def test_the_2017_check_is_icao_9303s_seven_three_one() -> None:
    """ICAO Doc 9303 Part 3 §4.9.1's own worked example: document number L898902C3 has check digit 6; the date
    520727 has 3. Letters count 10–35 and the filler < counts 0."""
    assert icao_check_digit("L898902C3") == "6"
    assert icao_check_digit("520727") == "3"
    assert icao_check_digit("AB2134<<<") == "5"


@given(countries, provinces, births, st.integers(min_value=0, max_value=9))
def test_a_2017_number_with_a_wrong_check_says_so(country, province: str, birth: date, seq: int) -> None:
    number = make_permanent_residence_id_2017(country[0], province, birth, seq)
    wrong = number[:14] + str((int(number[14]) + 1) % 10)
    assert (
        refusal(DocumentType.PERMANENT_RESIDENCE, wrong) == "外国人永久居留身份证号码校验位不正确，请核对后重新输入。"
    )  # noqa: E501


@given(st.text(alphabet="QXZJ", min_size=3, max_size=3).filter(lambda c: c not in {"ZZZ"}), births)
def test_a_2017_number_with_an_unknown_nationality_names_it(code: str, birth: date) -> None:
    number = f"{code}3100{birth:%y%m%d}1"
    message = refusal(DocumentType.PERMANENT_RESIDENCE, number + icao_check_digit(number))
    assert f"国籍代码“{code}”" in message


@given(countries, births)
def test_a_2017_number_with_a_wrong_province_or_birth_says_which(country, birth: date) -> None:
    def signed(body: str) -> str:
        return body + icao_check_digit(body)

    assert "受理地代码" in refusal(DocumentType.PERMANENT_RESIDENCE, signed(f"{country[0]}9900{birth:%y%m%d}1"))
    assert "出生日期" in refusal(DocumentType.PERMANENT_RESIDENCE, signed(f"{country[0]}3100{birth:%y}13011"))


@given(st.text(alphabet="0123456789ABC", min_size=1, max_size=30).filter(lambda s: len(s) not in (15, 18)))
def test_a_permanent_residence_id_of_the_wrong_length_names_both_forms(number: str) -> None:
    assert "15位（2017年版）或18位（2023年版）" in refusal(DocumentType.PERMANENT_RESIDENCE, number)


# ---------------------------------------------------------------- passport


@given(countries, st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=17))
def test_a_passport_is_its_country_and_number(country, number: str) -> None:
    canonical = normalize_document(DocumentType.PASSPORT, number.lower(), country[0].lower())
    assert canonical == f"{country[0]}:{number}"
    assert normalize_document(DocumentType.PASSPORT, canonical) == canonical  # canonical form is stable
    name, masked = describe_document(DocumentType.PASSPORT, canonical)
    assert name.startswith("护照（") and masked[0] == number[0] and masked.endswith(number[-3:])
    assert number not in mask_document(DocumentType.PASSPORT, canonical)


@given(countries, st.text(alphabet="ABC123", min_size=0, max_size=4))
def test_a_short_or_missing_passport_number_is_refused(country, number: str) -> None:
    message = refusal(DocumentType.PASSPORT, number, country[0])
    wrong_length = f"护照号码应为5至17位字母或数字，您输入了{len(number)}位，请核对后重新输入。"
    assert message == ("请输入护照号码。" if not number else wrong_length)


@given(st.text(alphabet="!@#$%^&*()_+=.,/", min_size=1, max_size=3))
def test_a_passport_number_with_symbols_is_refused(symbols: str) -> None:
    message = refusal(DocumentType.PASSPORT, "E123" + symbols + "45", "GBR")
    assert message == "护照号码只包含字母和数字，请核对后重新输入。"


def test_a_passport_needs_a_real_country_and_not_china() -> None:
    assert refusal(DocumentType.PASSPORT, "E12345678", "") == "请选择护照签发国家（地区）。"
    assert "代码“XYZ”不正确" in refusal(DocumentType.PASSPORT, "E12345678", "XYZ")
    assert "居民身份证" in refusal(DocumentType.PASSPORT, "E12345678", "CHN")


# ---------------------------------------------------------------- types and masking


@settings(max_examples=50)
@given(st.sampled_from(list(DocumentType)))
def test_document_types_parse_and_blank_means_resident_id(doc_type: DocumentType) -> None:
    assert parse_document_type(doc_type.value.upper()) is doc_type
    assert parse_document_type("") is DocumentType.RESIDENT_ID
    assert parse_document_type(None) is DocumentType.RESIDENT_ID


def test_an_unknown_document_type_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_document_type("driving_licence")
    assert caught.value.code == ErrorCode.INVALID_DOCUMENT_TYPE and caught.value.message == "请选择证件类型。"


@given(permit_regions, births, seqs)
def test_masking_keeps_three_and_four(region: str, birth: date, seq: int) -> None:
    number = make_residence_permit(region, birth, seq)
    masked = mask_document(DocumentType.RESIDENCE_PERMIT, number)
    assert masked == number[:3] + "*" * 11 + number[-4:]
    assert describe_document(DocumentType.RESIDENCE_PERMIT, number) == ("港澳台居民居住证", masked)


@given(permit_regions, provinces, countries, births, seqs)
def test_a_social_security_number_is_any_numbered_document(region, province, country, birth, seq) -> None:
    """LD/T 01 6.2.3 c: the number a card carries — each form passes its own check; a bad check is refused."""
    from gateway.validation import normalize_social_security_number

    for number in (
        make_id_number("610302", birth, seq),
        make_residence_permit(region, birth, seq),
        make_permanent_residence_id_2023(province, country[1], birth, seq),
        make_permanent_residence_id_2017(country[0], province, birth, seq % 10),
    ):
        assert normalize_social_security_number(number.lower()) == number
    with pytest.raises(ValidationError):
        normalize_social_security_number(wrong_check(make_residence_permit(region, birth, seq)))
    with pytest.raises(ValidationError):
        normalize_social_security_number("123")
