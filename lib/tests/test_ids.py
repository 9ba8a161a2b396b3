"""Tests for lib.ids: Chinese identifier validation, normalisation and masking."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import date, timedelta

import django
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from lib.ids import (
    DOCUMENT_TYPES,
    ResidentId,
    mask_document,
    mask_mobile,
    mask_name,
    mobile_warnings,
    normalize_code,
    normalize_mobile,
    parse_resident_id,
    resident_id_check_char,
    uscc_check_char,
    uscc_warnings,
    validate_document,
    validate_uscc,
)

# Warnings are returned as rendered strings, which needs settings; the unit run uses
# `-p no:django`, so configure a minimal i18n-free setup unless a real one is available.
if not settings.configured:
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        django.setup()
    else:
        settings.configure(USE_I18N=False)

TODAY = date(2025, 6, 1)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def error_code(call: Callable[[], object]) -> str | None:
    """Run call and return the code of the ValidationError it raises."""
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.code


def reference_id_check_char(body17: str) -> str:
    """Compute the GB 11643 check character straight from the standard's weights."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def reference_uscc_check_char(body17: str) -> str:
    """Compute the GB 32100 check character straight from the standard's weights."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


# --- resident ID: §1.1 test vectors -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "born", "sex"),
    [
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), "F"),
        ("440524188001010014", "440524188001010014", date(1880, 1, 1), "M"),
        ("34052419800101001X", "34052419800101001X", date(1980, 1, 1), "M"),
        ("360426199101010071", "360426199101010071", date(1991, 1, 1), "M"),
        ("44011320141005001x", "44011320141005001X", date(2014, 10, 5), "M"),
        ("44030319650101123X", "44030319650101123X", date(1965, 1, 1), "M"),
    ],
)
def test_it_accepts_the_standard_resident_id_vectors(
    value: str, expected: str, born: date, sex: str
) -> None:
    parsed = parse_resident_id(value, today=TODAY)
    assert (
        parsed
        == ResidentId(
            number=expected,
            birth_date=born,
            sex=sex,  # type: ignore[arg-type]
            region_code=expected[:6],
            converted_from_legacy=False,
        )
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("36042619910102009X", "checksum"),
        ("360426199113010079", "birth_date"),
        ("T60426199101010078", "format"),
    ],
)
def test_it_rejects_the_standard_bad_resident_id_vectors(value: str, code: str) -> None:
    assert error_code(lambda: parse_resident_id(value, today=TODAY)) == code


def test_it_accepts_an_unknown_region_code() -> None:
    assert parse_resident_id("990426199112010074", today=TODAY).region_code == "990426"


def test_it_converts_a_legacy_15_digit_id_when_allowed() -> None:
    parsed = parse_resident_id("440524800101001", today=TODAY, allow_legacy=True)
    assert parsed.number == "440524198001010013"
    assert parsed.birth_date == date(1980, 1, 1)
    assert parsed.sex == "M"
    assert parsed.converted_from_legacy is True


def test_it_refuses_a_legacy_15_digit_id_by_default() -> None:
    assert error_code(lambda: parse_resident_id("440524800101001", today=TODAY)) == (
        "legacy_not_allowed"
    )


def test_it_refuses_a_15_character_id_with_a_letter() -> None:
    code = error_code(lambda: parse_resident_id("44052480010100X", today=TODAY, allow_legacy=True))
    assert code == "format"


def test_it_refuses_a_legacy_id_with_an_impossible_date() -> None:
    code = error_code(lambda: parse_resident_id("440524800230001", today=TODAY, allow_legacy=True))
    assert code == "birth_date"


# --- resident ID: normalisation and damaged input -----------------------------------------


def test_it_accepts_full_width_digits_and_separators() -> None:
    value = "４４０３０３ １９６５０１０１－１２３ｘ"
    assert parse_resident_id(value, today=TODAY).number == "44030319650101123X"


def test_it_refuses_superscript_digits_that_nfkc_would_repair() -> None:
    value = "44030319650101123²"
    assert error_code(lambda: parse_resident_id(value, today=TODAY)) == "invalid_characters"


def test_it_refuses_circled_digits() -> None:
    assert error_code(lambda: normalize_code("①1010519491231002X")) == "invalid_characters"


@pytest.mark.parametrize(
    "value", ["4.40303E+17", "4.40303e17", "4.40303199001011E+17", "440303199001011234.0"]
)
def test_it_recognises_excel_number_notation(value: str) -> None:
    assert error_code(lambda: parse_resident_id(value, today=TODAY)) == "excel_mangled"


def test_it_recognises_an_id_whose_last_digits_excel_zeroed() -> None:
    # The real check character of 44030319900101100 is X, so 000 cannot be right.
    assert resident_id_check_char("44030319900101100") == "X"
    code = error_code(lambda: parse_resident_id("440303199001011000", today=TODAY))
    assert code == "excel_mangled"


def test_it_rejects_a_future_birth_date() -> None:
    body = "44030320250602123"
    number = body + resident_id_check_char(body)
    assert error_code(lambda: parse_resident_id(number, today=TODAY)) == "birth_date"
    assert parse_resident_id(number, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_it_rejects_february_30() -> None:
    body = "44030319900230123"
    number = body + resident_id_check_char(body)
    assert error_code(lambda: parse_resident_id(number, today=TODAY)) == "birth_date"


def test_it_rejects_a_birth_date_before_1880() -> None:
    body = "44052418791231001"
    number = body + resident_id_check_char(body)
    assert error_code(lambda: parse_resident_id(number, today=TODAY)) == "birth_date"


@pytest.mark.parametrize("value", ["", "1234567890", "4403031990010112345", "11010519491231002X1"])
def test_it_rejects_a_wrong_length(value: str) -> None:
    assert error_code(lambda: parse_resident_id(value, today=TODAY)) == "length"


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_it_accepts_residence_permit_regions_as_resident_ids(region: str) -> None:
    body = region + "19900101001"
    number = body + resident_id_check_char(body)
    assert parse_resident_id(number, today=TODAY).region_code == region


def test_it_round_trips_random_synthetic_ids() -> None:
    rng = random.Random(20200209)
    for _ in range(500):
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(45000))
        body = f"{rng.randrange(110000, 660000)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = resident_id_check_char(body)
        assert check == reference_id_check_char(body)
        parsed = parse_resident_id(body + check.lower(), today=TODAY)
        assert parsed.number == body + check
        assert parsed.birth_date == born
        assert parsed.sex == ("M" if int(body[16]) % 2 else "F")
        wrong = rng.choice([c for c in "0123456789X" if c != check])
        with pytest.raises(ValidationError) as info:
            parse_resident_id(body + wrong, today=TODAY)
        assert info.value.code in ("checksum", "excel_mangled")


def test_it_refuses_a_bad_synthetic_body() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any refusal will do
        resident_id_check_char("1234")
    with pytest.raises(ValueError):  # noqa: PT011
        uscc_check_char("91110000600037341I")


# --- USCC: §1.2 test vectors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "91110000600037341L",
        "91440300568520498A",
        "9144030071526726XG",
        "121200004013590816",
        "92340602MA2PBMEM24",
        "91340600MA2PBM9HXD",
    ],
)
def test_it_accepts_the_standard_uscc_vectors(value: str) -> None:
    assert validate_uscc(value) == value
    assert uscc_warnings(value) == []
    assert uscc_check_char(value[:17]) == reference_uscc_check_char(value[:17]) == value[17]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91110000600037341N", "checksum"),
        ("9111000060003IOZSV", "format"),
        ("A1110000600037341L", "checksum"),
        ("12345", "length"),
        ("01110000600037341L", "format"),
        ("9.14403E+17", "excel_mangled"),
        ("121200004013590000", "excel_mangled"),
        ("<script>alert(1)</script>", "invalid_characters"),
    ],
)
def test_it_rejects_the_bad_uscc_vectors(value: str, code: str) -> None:
    assert error_code(lambda: validate_uscc(value)) == code


@pytest.mark.parametrize("first", ["A", "N", "Y"])
def test_it_accepts_a_letter_first_uscc(first: str) -> None:
    body = first + "1110000600037341"
    assert validate_uscc(body + uscc_check_char(body)) == body + uscc_check_char(body)


def test_it_normalises_a_uscc_typed_loosely() -> None:
    assert validate_uscc(" 9144 0300-5685 2049 8a ") == "91440300568520498A"


def test_it_warns_about_a_bad_embedded_organisation_code() -> None:
    body = "91440300568520497"  # organisation code 56852049-8 with its check char changed
    code = body + uscc_check_char(body)
    assert validate_uscc(code) == code
    assert len(uscc_warnings(code)) == 1


# --- mobile numbers: §1.3 vectors ----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["13800138000", "13123456789", "16212345678", "19912345678", "14512345678"]
)
def test_it_accepts_the_standard_mobile_vectors(value: str) -> None:
    assert normalize_mobile(value) == value
    assert mobile_warnings(value) == []


@pytest.mark.parametrize("value", ["12345678901", "10012345678", "1380013800", "138001380001"])
def test_it_rejects_the_bad_mobile_vectors(value: str) -> None:
    assert error_code(lambda: normalize_mobile(value)) == "mobile"


def test_it_only_warns_about_an_unallocated_mobile_range() -> None:
    assert normalize_mobile("15412345678") == "15412345678"
    assert len(mobile_warnings("15412345678")) == 1


@pytest.mark.parametrize(
    "value",
    [
        "+86 138 0013 8000",
        "0086-138-0013-8000",
        "8613800138000",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
        "＋８６　１３８００１３８０００",
    ],
)
def test_it_normalises_mobile_prefixes_and_separators(value: str) -> None:
    assert normalize_mobile(value) == "13800138000"


@pytest.mark.parametrize("value", ["①3800138000", "138oo138000", "13800138000;", "x" * 70])
def test_it_rejects_mobile_junk(value: str) -> None:
    assert error_code(lambda: normalize_mobile(value)) in ("mobile", "length")


# --- document types -----------------------------------------------------------------------


def test_it_knows_six_document_types() -> None:
    assert DOCUMENT_TYPES == (
        "resident_id",
        "hk_macau_permit",
        "taiwan_permit",
        "passport",
        "residence_permit",
        "other",
    )


def _permit(region: str) -> str:
    body = region + "19900101001"
    return body + resident_id_check_char(body)


@pytest.mark.parametrize(
    ("doc_type", "value", "expected"),
    [
        ("resident_id", "11010519491231002x", "11010519491231002X"),
        ("residence_permit", _permit("810000"), _permit("810000")),
        ("residence_permit", _permit("830000"), _permit("830000")),
        ("hk_macau_permit", "h12345678", "H12345678"),
        ("hk_macau_permit", "M1234567890", "M1234567890"),
        ("taiwan_permit", "12345678", "12345678"),
        ("taiwan_permit", "1234567890A", "1234567890A"),
        ("passport", "E12345678", "E12345678"),
        ("passport", "EA1234567", "EA1234567"),
        ("passport", "X1234567", "X1234567"),
        ("other", "  No. 12/AB  ", "No. 12/AB"),
        ("other", "ＡＢ１２３", "AB123"),
    ],
)
def test_it_accepts_good_documents(doc_type: str, value: str, expected: str) -> None:
    assert validate_document(doc_type, value, today=TODAY) == expected


def test_it_passes_allow_legacy_to_resident_ids() -> None:
    value = "440524800101001"
    assert validate_document("resident_id", value, today=TODAY, allow_legacy=True) == (
        "440524198001010013"
    )
    code = error_code(lambda: validate_document("resident_id", value, today=TODAY))
    assert code == "legacy_not_allowed"


@pytest.mark.parametrize(
    ("doc_type", "value", "code"),
    [
        ("resident_id", "36042619910102009X", "checksum"),
        ("residence_permit", "360426199101010071", "region"),
        ("residence_permit", _permit("810000")[:17] + "Y", "format"),
        ("hk_macau_permit", "C12345678", "format"),
        ("hk_macau_permit", "H123456789", "format"),
        ("taiwan_permit", "1234567", "format"),
        ("passport", "E123", "format"),
        ("passport", "A" * 21, "format"),
        ("other", "   ", "length"),
        ("other", "A" * 41, "length"),
        ("driving_licence", "12345678", "document_type"),
    ],
)
def test_it_rejects_bad_documents(doc_type: str, value: str, code: str) -> None:
    assert error_code(lambda: validate_document(doc_type, value, today=TODAY)) == code


JUNK = [
    "<script>alert(1)</script>",
    "1' OR 1=1 --",
    "'; DROP TABLE person; --",
    '"><img src=x onerror=alert(1)>',
    "\x00\x01\x02",
    "110105\u202e19491231002X",
    "🙂" * 18,
]


@pytest.mark.parametrize("value", JUNK)
@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
def test_it_refuses_html_and_sql_junk_with_a_validation_error(doc_type: str, value: str) -> None:
    with pytest.raises(ValidationError):
        validate_document(doc_type, value, today=TODAY)


@pytest.mark.parametrize("value", JUNK)
def test_it_refuses_junk_as_uscc_and_mobile(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_uscc(value)
    with pytest.raises(ValidationError):
        normalize_mobile(value)


def test_it_refuses_a_10_mb_string_on_length() -> None:
    huge = "1" * (10 * 1024 * 1024)
    assert error_code(lambda: parse_resident_id(huge, today=TODAY)) == "length"
    assert error_code(lambda: validate_uscc(huge)) == "length"
    assert error_code(lambda: normalize_mobile(huge)) == "length"
    for doc_type in DOCUMENT_TYPES:
        with pytest.raises(ValidationError) as info:
            validate_document(doc_type, huge, today=TODAY)
        assert info.value.code == "length"


# --- masking ------------------------------------------------------------------------------


def test_it_masks_an_18_character_id_hiding_the_birth_date() -> None:
    assert mask_document("440303199001011234") == "440303********1234"
    assert mask_document("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("H12345678", "H1*****78"),
        ("E12345678", "E1*****78"),
        ("123456", "12**56"),
        ("12345", "1***5"),
        ("123", "1*3"),
        ("12", "**"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_it_masks_other_documents(value: str, masked: str) -> None:
    assert mask_document(value) == masked


def test_it_never_shows_more_than_four_characters_of_another_document() -> None:
    for length in range(1, 41):
        masked = mask_document("A" * length)
        assert "*" in masked
        assert len(masked.replace("*", "")) <= 4


def test_it_masks_a_mobile() -> None:
    assert mask_mobile("13812345678") == "138****5678"


def test_it_masks_names() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("Li Ming") == "L******"
    assert mask_name("张") == "张*"
    assert mask_name("  ") == ""
