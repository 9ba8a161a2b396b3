"""Fill the zh_Hant and en catalogues from zh_Hans (run by `make messages`).

zh_Hans is translated by people. zh_Hant is its OpenCC conversion (Simplified →
Traditional characters, `s2t`), regenerated whole each time: correct a Traditional
wording in zh_Hans, not in zh_Hant. en gets msgstr = msgid, because Django falls back
to the default language (Simplified Chinese) for any string a catalogue leaves empty.

Usage: .venv/bin/python scripts/fill_catalogues.py
"""

from __future__ import annotations

import re
from pathlib import Path

import opencc

LOCALE = Path(__file__).resolve().parent.parent / "locale"
SOURCE = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
STRING = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)?\s*(".*")\s*$')


def _entries(text: str) -> list[list[str]]:
    return [block.splitlines() for block in text.strip().split("\n\n")]


def _convert_block(lines: list[str], convert: opencc.OpenCC) -> list[str]:
    out, in_msgstr = [], False
    for line in lines:
        match = STRING.match(line)
        if match and match.group(1):
            in_msgstr = match.group(1).startswith("msgstr")
        if match and in_msgstr:
            line = line.replace(match.group(2), convert.convert(match.group(2)))
        out.append(line)
    return out


def _without_fuzzy(comments: list[str]) -> list[str]:
    """Drop the fuzzy flag (msgstr = msgid is exact) but keep the format flags msgfmt checks."""
    out = []
    for line in comments:
        if line.startswith("#,"):
            flags = [flag.strip() for flag in line[2:].split(",")]
            flags = [flag for flag in flags if flag and flag != "fuzzy"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags)
        out.append(line)
    return out


def _english_block(lines: list[str]) -> list[str]:
    """msgstr := msgid (and msgstr[n] := msgid / msgid_plural)."""
    parts: dict[str, list[str]] = {}
    order: list[str] = []
    current = ""
    for line in lines:
        match = STRING.match(line)
        if match and match.group(1):
            current = match.group(1)
            order.append(current)
            parts[current] = [match.group(2)]
        elif match and current:
            parts[current].append(match.group(2))
    if "msgid" not in parts or parts["msgid"] == ['""']:
        return lines  # the header
    out = _without_fuzzy([line for line in lines if line.startswith("#")])
    if "msgctxt" in parts:
        out += [f"msgctxt {parts['msgctxt'][0]}", *parts["msgctxt"][1:]]
    out += [f"msgid {parts['msgid'][0]}", *parts["msgid"][1:]]
    if "msgid_plural" in parts:
        out += [f"msgid_plural {parts['msgid_plural'][0]}", *parts["msgid_plural"][1:]]
        out += [f"msgstr[0] {parts['msgid'][0]}", *parts["msgid"][1:]]
        out += [f"msgstr[1] {parts['msgid_plural'][0]}", *parts["msgid_plural"][1:]]
    else:
        out += [f"msgstr {parts['msgid'][0]}", *parts["msgid"][1:]]
    return out


def main() -> None:
    text = SOURCE.read_text(encoding="utf-8")
    convert = opencc.OpenCC("s2t")
    hant = [_convert_block(b, convert) for b in _entries(text)]
    hant_text = "\n\n".join("\n".join(b) for b in hant) + "\n"
    hant_text = hant_text.replace("Language: zh_Hans", "Language: zh_Hant")
    target = LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hant_text, encoding="utf-8")

    english = [_english_block(b) for b in _entries(text)]
    en_text = "\n\n".join("\n".join(b) for b in english) + "\n"
    en_text = en_text.replace("Language: zh_Hans", "Language: en")
    en_text = re.sub(
        r'"Plural-Forms: [^"]*"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\\\n"', en_text
    )
    target = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(en_text, encoding="utf-8")


if __name__ == "__main__":
    main()
