"""Labels and text cleaning shared by the PDF and .docx renderers."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from plans.packet.data import SHANGHAI, ChecklistItem

# C0/C1 controls except tab and newline, and the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


def clean(value: object) -> str:
    """Printable text: controls removed, NFC, CR/LF normalised; None → ''."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def bmp_only(text: str) -> str:
    """Replace characters outside the Basic Multilingual Plane (emoji…) by U+25A1 □.

    The CID font STSong-Light covers GB 18030's BMP repertoire; astral characters
    would otherwise be dropped or break the encoder.
    """
    return "".join(ch if ord(ch) <= 0xFFFF else "\u25a1" for ch in text)


def answer_label(item: ChecklistItem) -> str:
    labels = {"yes": _("Yes"), "no": _("No"), "na": _("Not applicable"), "": _("Not answered")}
    return labels.get(item.answer, item.answer)


def required_label(item: ChecklistItem) -> str:
    return _("Required") if item.required else _("Optional")


def number_text(value: Decimal | int | None, unit: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = value.normalize() if value == value.to_integral() else value
        text = f"{value:f}"
    else:
        text = str(value)
    if unit and not unit[:1].isascii():
        return f"{text}{unit}"  # 38人, not 38 人
    return f"{text} {unit}".strip()


def note_text(item: ChecklistItem) -> str:
    parts = [number_text(item.number, item.unit), item.note]
    return "；".join(p for p in parts if p)


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def document_titles() -> list[str]:
    """The six documents, in order (the title page lists them)."""
    return [
        _("Application form for resuming work"),
        _("Commitment letter"),
        _("Epidemic prevention plan"),
        _("Emergency plan"),
        _("Staff roster summary"),
        _("Prevention supplies list"),
    ]


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (1–99; larger numbers stay Arabic)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens == 1 else _DIGITS[tens]) + "十" if tens else ""
    return text + (_DIGITS[ones] if ones else "")


def heading(number: int, title: str) -> str:
    """A numbered heading as each language writes it: 一、组织领导 / 1. Organisation."""
    if (get_language() or "").startswith("zh"):
        return f"{chinese_number(number)}、{clean(title)}"
    return f"{number}. {clean(title)}"
