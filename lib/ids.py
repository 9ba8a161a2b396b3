"""Validation, normalisation and masking of Chinese identifiers (ID cards, USCC, mobiles)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

__all__ = [
    "DOCUMENT_TYPES",
    "RESIDENCE_PERMIT_REGIONS",
    "ResidentId",
    "mask_document",
    "mask_mobile",
    "mask_name",
    "mobile_warnings",
    "normalize_code",
    "normalize_mobile",
    "parse_resident_id",
    "resident_id_check_char",
    "uscc_check_char",
    "uscc_warnings",
    "validate_document",
    "validate_uscc",
]

# Raw input longer than this is refused before any other work, so a pasted 10 MB blob
# costs one len() call; 64 leaves room for an 18-char id written with spaces and hyphens.
MAX_RAW_LENGTH = 64

DOCUMENT_TYPES: tuple[str, ...] = (
    "resident_id",
    "hk_macau_permit",
    "taiwan_permit",
    "passport",
    "residence_permit",
    "other",
)

# Address codes of 港澳台居民居住证 (GB 11643 numbers issued to HK, Macau, Taiwan residents).
RESIDENCE_PERMIT_REGIONS: frozenset[str] = frozenset({"810000", "820000", "830000"})

_EARLIEST_BIRTH_DATE = date(1880, 1, 1)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_FIRST_CHARS = frozenset("123456789ANY")
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Separators people type inside numbers; removed before validation.
_SEPARATORS = frozenset(" \t\u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2212\uff0d")
_MOBILE_SEPARATORS = _SEPARATORS | frozenset("()\uff08\uff09")

_ID18_RE = re.compile(r"^\d{17}[\dX]$")
_ID15_RE = re.compile(r"^\d{15}$")
# What Excel (or a float-typed column) makes of a long number: 4.40303E+17, 4.4e17, 440…234.0
_SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
_FLOAT_RE = re.compile(r"^\d{6,}\.\d+$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_HK_MACAU_PERMIT_RE = re.compile(r"^[HM](?:\d{8}|\d{10})$")
_TAIWAN_PERMIT_RE = re.compile(r"^(?:\d{8}|[0-9A-Z]{10,12})$")
_CHINESE_PASSPORT_RE = re.compile(r"^E[0-9A-HJ-NP-Z]\d{7}$")
_FOREIGN_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
_OTHER_MAX_LENGTH = 40
# Punctuation that genuinely occurs in foreign document numbers; anything else (quotes,
# angle brackets, semicolons, equals signs) is refused rather than stored and escaped later.
_OTHER_PUNCTUATION = frozenset(" -./()#")


@dataclass(frozen=True)
class ResidentId:
    """A validated 18-character resident identity card number and what it encodes."""

    number: str
    birth_date: date
    sex: Literal["M", "F"]
    region_code: str
    converted_from_legacy: bool


def _is_code_char(char: str) -> bool:
    """Tell whether char is an ASCII or full-width digit or Latin letter."""
    if char.isascii():
        return char.isalnum()
    return (
        "\uff10" <= char <= "\uff19"  # ０-９
        or "\uff21" <= char <= "\uff3a"  # Ａ-Ｚ
        or "\uff41" <= char <= "\uff5a"  # ａ-ｚ
    )


def _check_raw_length(value: str) -> None:
    """Refuse absurdly long input before doing any per-character work."""
    if len(value) > MAX_RAW_LENGTH:
        raise ValidationError(
            _("This value is far too long (at most %(limit)d characters)."),
            code="length",
            params={"limit": MAX_RAW_LENGTH},
        )


def normalize_code(value: str) -> str:
    """Return value with full-width characters folded, separators removed and letters uppercased."""
    _check_raw_length(value)
    kept: list[str] = []
    for char in value.strip():
        if char in _SEPARATORS:
            continue
        # Checked per character before NFKC: NFKC also turns ², ① and similar into
        # digits, and normalisation must never repair junk into a valid-looking id.
        if not _is_code_char(char):
            raise ValidationError(
                _("Only digits and Latin letters are allowed (spaces and hyphens are ignored)."),
                code="invalid_characters",
            )
        kept.append(char)
    return unicodedata.normalize("NFKC", "".join(kept)).upper()


def _reject_excel_notation(value: str) -> None:
    """Refuse numbers that a spreadsheet has turned into scientific or float notation."""
    stripped = value.strip()
    if _SCIENTIFIC_RE.match(stripped) or _FLOAT_RE.match(stripped):
        raise ValidationError(
            _(
                "This number was damaged by Excel, which stored it as a number (for example "
                "4.40303E+17) and dropped digits. Format the column as text and enter the "
                "number again."
            ),
            code="excel_mangled",
        )


def _excel_truncation_error() -> ValidationError:
    """Build the error for an 18-digit number whose last digits Excel turned into 000."""
    return ValidationError(
        _(
            "The check digit does not match and the number ends in 000: Excel keeps only 15 "
            "significant digits and replaces the rest with zeros. Format the column as text "
            "and enter the number again."
        ),
        code="excel_mangled",
    )


def resident_id_check_char(body17: str) -> str:
    """Return the GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError("body17 must be exactly 17 ASCII digits")
    # stdnum's ric.calc_check_digit expects the full number and ignores its last character.
    return stdnum_ric.calc_check_digit(body17 + "0")


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC."""
    if len(body17) != 17 or any(char not in USCC_ALPHABET for char in body17):
        raise ValueError("body17 must be exactly 17 characters from the USCC alphabet")
    # stdnum's uscc.calc_check_digit zips with 17 weights, so letter-first bodies work too.
    return stdnum_uscc.calc_check_digit(body17)


def _birth_date(yyyymmdd: str, *, today: date) -> date:
    """Return the birth date encoded in 8 digits, or raise if it is not plausible."""
    try:
        born = date(int(yyyymmdd[0:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ValidationError(
            _("The birth date in this ID number is not a real date."), code="birth_date"
        ) from None
    if born < _EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in this ID number is before 1880."), code="birth_date"
        )
    if born > today:
        raise ValidationError(
            _("The birth date in this ID number is in the future."), code="birth_date"
        )
    return born


def _resident_id(number: str, *, born: date, legacy: bool) -> ResidentId:
    """Build a ResidentId from a checked 18-character number."""
    sex: Literal["M", "F"] = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(
        number=number,
        birth_date=born,
        sex=sex,
        region_code=number[:6],
        converted_from_legacy=legacy,
    )


def parse_resident_id(value: str, *, today: date, allow_legacy: bool = False) -> ResidentId:
    """Validate a resident ID number (GB 11643, or the 1989 15-digit form on legacy import)."""
    _check_raw_length(value)
    _reject_excel_notation(value)
    number = normalize_code(value)
    if len(number) not in (15, 18):
        raise ValidationError(
            _(
                "A resident ID number has 18 characters (15 on first-generation cards); "
                "this one has %(length)d."
            ),
            code="length",
            params={"length": len(number)},
        )
    if len(number) == 15:
        if not _ID15_RE.match(number):
            raise ValidationError(
                _("A 15-character ID number must consist of digits only."), code="format"
            )
        if not allow_legacy:
            raise ValidationError(
                _(
                    "First-generation 15-digit ID numbers are no longer valid; enter the "
                    "18-character number from the current card."
                ),
                code="legacy_not_allowed",
            )
        # The 1989 form has a 2-digit year that always means 19YY and no check digit.
        body17 = number[:6] + "19" + number[6:]
        born = _birth_date(body17[6:14], today=today)
        return _resident_id(body17 + resident_id_check_char(body17), born=born, legacy=True)
    if not _ID18_RE.match(number):
        raise ValidationError(
            _("An ID number has 17 digits followed by a digit or X."), code="format"
        )
    born = _birth_date(number[6:14], today=today)
    if number[17] != resident_id_check_char(number[:17]):
        if number.endswith("000"):
            raise _excel_truncation_error()
        raise ValidationError(
            _(
                "The check digit (last character) of this ID number does not match; please "
                "check the number for typing mistakes."
            ),
            code="checksum",
        )
    return _resident_id(number, born=born, legacy=False)


def validate_uscc(value: str) -> str:
    """Validate a Unified Social Credit Code (GB 32100-2015) and return it normalised."""
    _check_raw_length(value)
    _reject_excel_notation(value)
    code = normalize_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(code)},
        )
    if any(char not in USCC_ALPHABET for char in code):
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters except "
                "I, O, Z, S and V."
            ),
            code="format",
        )
    if code[0] not in _USCC_FIRST_CHARS:
        raise ValidationError(
            _("A unified social credit code starts with 1-9, A, N or Y."), code="format"
        )
    if code[17] != uscc_check_char(code[:17]):
        if code.isdigit() and code.endswith("000"):
            raise _excel_truncation_error()
        raise ValidationError(
            _(
                "The check character (last character) of this code does not match; please "
                "check the code for typing mistakes."
            ),
            code="checksum",
        )
    return code


def _gb11714_check_char(body8: str) -> str:
    """Return the GB 11714-1997 organisation code check character for 8 characters."""
    total = sum(
        (int(char) if char.isdigit() else ord(char) - 55) * weight
        for char, weight in zip(body8, _GB11714_WEIGHTS, strict=True)
    )
    remainder = 11 - total % 11
    if remainder == 10:
        return "X"
    if remainder == 11:
        return "0"
    return str(remainder)


def uscc_warnings(value: str) -> list[str]:
    """Return non-blocking doubts about a USCC; raises ValidationError if it is invalid."""
    code = validate_uscc(value)
    warnings: list[str] = []
    if code[16] != _gb11714_check_char(code[8:16]):
        warnings.append(
            str(
                _(
                    "The organisation code inside this credit code (characters 9-17) has a "
                    "wrong check character; please compare it with the business licence."
                )
            )
        )
    return warnings


def normalize_mobile(value: str) -> str:
    """Return a mainland mobile number as 11 digits, without +86/0086/86 prefix."""
    _check_raw_length(value)
    error = ValidationError(
        _("Enter an 11-digit mainland mobile number starting with 13-19."), code="mobile"
    )
    kept: list[str] = []
    for char in value.strip():
        if char in _MOBILE_SEPARATORS:
            continue
        # Per-character allowlist before NFKC, for the same reason as in normalize_code.
        if not (
            char in "+\uff0b" or (char.isascii() and char.isdigit()) or "\uff10" <= char <= "\uff19"
        ):
            raise error
        kept.append(char)
    number = unicodedata.normalize("NFKC", "".join(kept))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not _MOBILE_RE.match(number):
        raise error
    return number


def mobile_warnings(value: str) -> list[str]:
    """Return non-blocking doubts about a mobile number; raises ValidationError if invalid."""
    number = normalize_mobile(value)
    parsed = phonenumbers.parse(number, "CN")
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in mobile_types:
        return []
    # Only a warning: metadata lags behind new MIIT allocations, and SMS is the real check.
    return [
        str(
            _(
                "This number is not in a range known to be allocated to mobile networks; "
                "please double-check it."
            )
        )
    ]


def _validate_residence_permit(value: str, *, today: date) -> str:
    """Validate a HK/Macau/Taiwan residents' residence permit number (18 chars, 81/82/83)."""
    number = parse_resident_id(value, today=today, allow_legacy=False).number
    if number[:6] not in RESIDENCE_PERMIT_REGIONS:
        raise ValidationError(
            _(
                "A residence permit number for Hong Kong, Macau or Taiwan residents starts with "
                "810000, 820000 or 830000."
            ),
            code="region",
        )
    return number


def _validate_other_document(value: str) -> str:
    """Validate the free-form number of a document type we have no rule for."""
    _check_raw_length(value)
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not 1 <= len(text) <= _OTHER_MAX_LENGTH:
        raise ValidationError(
            _("Enter between 1 and %(limit)d characters."),
            code="length",
            params={"limit": _OTHER_MAX_LENGTH},
        )
    if any(not (char.isalnum() or char in _OTHER_PUNCTUATION) for char in text):
        raise ValidationError(
            _("Use letters, digits, spaces and - . / ( ) # only."), code="invalid_characters"
        )
    return text


def _match_or_raise(number: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """Return number if one of patterns matches it, else raise a format error."""
    if any(pattern.match(number) for pattern in patterns):
        return number
    raise ValidationError(
        _("This number does not have the format of the chosen document type."), code="format"
    )


def validate_document(doc_type: str, value: str, *, today: date, allow_legacy: bool = False) -> str:
    """Validate an identity document number of the given type and return it normalised."""
    if doc_type == "resident_id":
        return parse_resident_id(value, today=today, allow_legacy=allow_legacy).number
    if doc_type == "residence_permit":
        return _validate_residence_permit(value, today=today)
    if doc_type == "other":
        return _validate_other_document(value)
    if doc_type == "hk_macau_permit":
        return _match_or_raise(normalize_code(value), (_HK_MACAU_PERMIT_RE,))
    if doc_type == "taiwan_permit":
        return _match_or_raise(normalize_code(value), (_TAIWAN_PERMIT_RE,))
    if doc_type == "passport":
        # The loose pattern covers foreign passports; the Chinese one is kept for clarity.
        return _match_or_raise(normalize_code(value), (_CHINESE_PASSPORT_RE, _FOREIGN_PASSPORT_RE))
    raise ValidationError(_("Unknown document type."), code="document_type")


def _mask_middle(value: str, *, keep: int) -> str:
    """Keep keep characters at each end of value and star the rest (at least one star)."""
    if not value:
        return ""
    keep = min(keep, (len(value) - 1) // 2)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[len(value) - keep :]


def mask_document(value: str) -> str:
    """Mask a document number: 18-char IDs as 6+8*+4 (birth date hidden), others as 2+*+2."""
    if len(value) == 18 and value[:17].isascii() and value[:17].isdigit():
        return value[:6] + "*" * 8 + value[14:]
    # Other documents: at most 2 characters at each end; short values show less.
    return _mask_middle(value, keep=2 if len(value) >= 6 else 1)


def mask_mobile(value: str) -> str:
    """Mask a mobile number as its first 3 and last 4 digits (138****5678)."""
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return _mask_middle(value, keep=2 if len(value) >= 6 else 1)


def mask_name(value: str) -> str:
    """Mask a personal name as its first character followed by stars (张**)."""
    name = value.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)
